"""The TPC-H comparator must accept every valid answer and refuse wrong ones (no server needed)."""

import decimal

import duckdb
import pyarrow as pa
import pytest

from compare import compare_tables, query_shape


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def table(rows, types=None):
    names = ["k", "v", "x"]
    types = types or [pa.string(), pa.decimal128(38, 2), pa.float64()]
    cols = list(zip(*rows)) if rows else [[] for _ in names]
    return pa.table({n: pa.array(list(c), type=t) for n, c, t in zip(names, cols, types)})


D = decimal.Decimal
ROWS = [("a", D("1.00"), 0.5), ("b", D("2.00"), 1.5), ("b", D("3.00"), 2.5), ("c", D("4.00"), 3.5)]


def test_shape_from_duckdb_parse_tree(con):
    assert query_shape(con, "SELECT 1") == {"ordered": False, "sort_keys": [], "limit": False}
    assert query_shape(con, "SELECT a AS k FROM t ORDER BY k DESC, 2 LIMIT 5") == {
        "ordered": True, "sort_keys": [{"name": "k"}, {"position": 2}], "limit": True}
    assert query_shape(con, "SELECT a FROM t ORDER BY t.a")["sort_keys"] == [{"name": "a"}]
    assert query_shape(con, "SELECT a FROM t ORDER BY a + 1")["sort_keys"] is None
    # a subquery's ORDER BY / LIMIT is not the result's
    assert query_shape(con, "SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 1)")["ordered"] is False


def test_unordered_results_compare_as_multisets():
    shape = {"ordered": False, "sort_keys": [], "limit": False}
    assert compare_tables(table(ROWS), table(list(reversed(ROWS))), shape) is None
    assert compare_tables(table(ROWS), table(ROWS[:3] + [ROWS[0]]), shape) is not None
    assert compare_tables(table(ROWS), table(ROWS[:3]), shape) is not None


def test_ties_on_the_sort_keys_may_come_in_any_order():
    shape = {"ordered": True, "sort_keys": [{"name": "k"}], "limit": False}
    swapped = [ROWS[0], ROWS[2], ROWS[1], ROWS[3]]
    assert compare_tables(table(ROWS), table(swapped), shape) is None
    out_of_order = [ROWS[1], ROWS[0], ROWS[2], ROWS[3]]
    assert "rows 0..0" in compare_tables(table(ROWS), table(out_of_order), shape)


def test_strict_order_when_a_sort_key_is_not_an_output_column():
    shape = {"ordered": True, "sort_keys": None, "limit": False}
    swapped = [ROWS[0], ROWS[2], ROWS[1], ROWS[3]]
    assert compare_tables(table(ROWS), table(ROWS), shape) is None
    assert "strict order" in compare_tables(table(ROWS), table(swapped), shape)


def test_a_limit_may_cut_the_last_tie_anywhere():
    shape = {"ordered": True, "sort_keys": [{"name": "k"}], "limit": True}
    expected = ROWS[:3]  # the tie on "b" may continue past the limit
    other_b = [ROWS[0], ROWS[1], ("b", D("9.00"), 9.5)]
    assert compare_tables(table(expected), table(other_b), shape) is None
    wrong_key = [ROWS[0], ROWS[1], ("c", D("3.00"), 2.5)]
    assert compare_tables(table(expected), table(wrong_key), shape) is not None
    # only the last run is loosened
    other_a = [("a", D("7.00"), 0.5), ROWS[1], ROWS[2]]
    assert compare_tables(table(expected), table(other_a), shape) is not None


def test_decimals_exact_doubles_within_tolerance():
    shape = {"ordered": False, "sort_keys": [], "limit": False}
    close = [(k, v, x * (1 + 1e-12)) for k, v, x in ROWS]
    assert compare_tables(table(ROWS), table(close), shape) is None
    far = [(k, v, x * (1 + 1e-6)) for k, v, x in ROWS]
    assert compare_tables(table(ROWS), table(far), shape) is not None
    cent = [("a", D("1.01"), 0.5)] + ROWS[1:]
    assert compare_tables(table(ROWS), table(cent), shape) is not None


def test_names_and_types_must_match():
    shape = {"ordered": False, "sort_keys": [], "limit": False}
    scale4 = [pa.string(), pa.decimal128(38, 4), pa.float64()]
    assert "types differ" in compare_tables(table(ROWS), table(ROWS, scale4), shape)
    views = [pa.string_view(), pa.decimal128(38, 2), pa.float64()]
    assert compare_tables(table(ROWS), table(ROWS, views), shape) is None
    renamed = table(ROWS).rename_columns(["k", "v", "y"])
    assert "columns" in compare_tables(table(ROWS), renamed, shape)
