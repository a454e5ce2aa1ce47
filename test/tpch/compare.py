"""Compares two query results (pyarrow Tables) the way the TPC-H differential test needs.

- Column names must be equal, and types too (string, large_string and string_view count as one type:
  a transport may pick any of them for VARCHAR).
- Cells are compared in their canonical form (test/e2e/script/canonical.py): integers, decimals (with
  their exact scale), dates and strings exactly; doubles with a relative tolerance of 1e-9. DuckDB's
  own TPC-H doubles (AVG, decimal divisions) come from exact sums, but a distributed plan may merge
  partial aggregates in another order and double addition is not associative; the error of such a sum
  of n terms is at most ~n * 2^-53 relative, so 1e-9 covers millions of rows and still catches any real
  mistake (a missing or doubled row moves a TPC-H average by far more).
- Order: without ORDER BY the rows are compared as multisets. With ORDER BY the expected rows are cut
  into runs of equal sort keys; each run must hold the same rows (as a multiset) at the same positions,
  since rows tied on the sort keys may come in any order. With a LIMIT the last run may have been cut
  by the limit, so other rows of the same tie are valid: there only the sort keys are compared. When a
  sort key is not an output column the whole result is compared in strict order.
"""

import json
import math
import os
import sys

import pyarrow as pa
import pyarrow.types as pt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "script"))
import canonical  # noqa: E402

REL_TOL = 1e-9
ABS_TOL = 1e-12
_MAX_GREEDY = 5000


def query_shape(con, sql):
    """{"ordered", "sort_keys", "limit"} of a query's outermost SELECT, from DuckDB's parse tree.

    sort_keys: list of {"name": column} or {"position": 1-based}, or None when some ORDER BY key is an
    expression (compare in strict order then). `con` is a DuckDB connection (any database).
    """
    tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise ValueError(f"cannot parse query: {tree.get('error_message')}")
    node = tree["statements"][-1]["node"]
    ordered, keys, limit = False, [], False
    for modifier in node.get("modifiers", []):
        if modifier["type"] == "ORDER_MODIFIER":
            ordered = True
            for order in modifier["orders"]:
                keys = _sort_key(order["expression"], keys)
        elif modifier["type"] in ("LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER"):
            limit = True
    return {"ordered": ordered, "sort_keys": keys if ordered else [], "limit": limit}


def _sort_key(expr, keys):
    if keys is None:
        return None
    if expr.get("class") == "COLUMN_REF":
        return keys + [{"name": expr["column_names"][-1]}]
    value = expr.get("value") or {}
    if expr.get("class") == "CONSTANT" and isinstance(value.get("value"), int):
        return keys + [{"position": value["value"]}]
    return None


def _key_indexes(shape, names):
    if shape["sort_keys"] is None:
        return None
    out = []
    for key in shape["sort_keys"]:
        if "position" in key:
            if not 1 <= key["position"] <= len(names):
                return None
            out.append(key["position"] - 1)
        elif names.count(key["name"]) == 1:
            out.append(names.index(key["name"]))
        else:
            return None
    return out


def type_name(t):
    if pt.is_string(t) or pt.is_large_string(t) or pt.is_string_view(t):
        return "string"
    if pt.is_binary(t) or pt.is_large_binary(t) or pt.is_binary_view(t):
        return "binary"
    return str(t)


def cells_equal(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(cells_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(cells_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def rows_equal(a, b):
    return len(a) == len(b) and all(cells_equal(x, y) for x, y in zip(a, b))


def _order_key(row):
    out = []
    for cell in row:
        if cell is None:
            out.append((0, ""))
        elif isinstance(cell, float):
            out.append((1, f"{cell:.8e}"))
        else:
            out.append((2, json.dumps(cell, sort_keys=True)))
    return out


def multiset_equal(expected, actual):
    if len(expected) != len(actual):
        return False
    if all(rows_equal(e, a) for e, a in zip(sorted(expected, key=_order_key), sorted(actual, key=_order_key))):
        return True
    # doubles within tolerance can still sort apart when rounding splits them: match greedily
    if len(expected) > _MAX_GREEDY:
        return False
    left = list(actual)
    for row in expected:
        match = next((i for i, other in enumerate(left) if rows_equal(row, other)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def _runs(rows, key_idx):
    """[lo, hi) ranges of consecutive rows with equal sort keys."""
    runs, lo = [], 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or [rows[i][k] for k in key_idx] != [rows[lo][k] for k in key_idx]:
            runs.append((lo, i))
            lo = i
    return runs


def _show(rows, limit=5):
    text = "\n".join(f"    {r}" for r in rows[:limit])
    return text + (f"\n    ... ({len(rows)} rows)" if len(rows) > limit else "")


def compare_rows(names, expected, actual, shape):
    """None when `actual` matches `expected` (canonical rows); else a message saying where it differs."""
    if len(expected) != len(actual):
        return (f"{len(actual)} rows, expected {len(expected)}\n  expected:\n{_show(expected)}\n"
                f"  actual:\n{_show(actual)}")
    if not shape["ordered"]:
        if multiset_equal(expected, actual):
            return None
        return f"rows differ (no ORDER BY)\n  expected:\n{_show(expected)}\n  actual:\n{_show(actual)}"
    key_idx = _key_indexes(shape, names)
    if key_idx is None:
        for i, (e, a) in enumerate(zip(expected, actual)):
            if not rows_equal(e, a):
                return f"row {i} differs (strict order)\n  expected: {e}\n  actual:   {a}"
        return None
    for lo, hi in _runs(expected, key_idx):
        exp, act = expected[lo:hi], actual[lo:hi]
        if shape["limit"] and hi == len(expected):
            # the limit may have cut this tie: any rows with these sort keys are a valid answer
            exp = [[r[k] for k in key_idx] for r in exp]
            act = [[r[k] for k in key_idx] for r in act]
        if not multiset_equal(exp, act):
            return (f"rows {lo}..{hi - 1} (equal sort keys) differ\n  expected:\n{_show(exp)}\n"
                    f"  actual:\n{_show(act)}")
    return None


def compare_tables(expected, actual, shape):
    """None when the pyarrow Table `actual` matches `expected`; else a message."""
    names = expected.column_names
    if actual.column_names != names:
        return f"columns {actual.column_names}, expected {names}"
    want = [type_name(f.type) for f in expected.schema]
    got = [type_name(f.type) for f in actual.schema]
    if want != got:
        diffs = [f"{n}: {g} (expected {w})" for n, w, g in zip(names, want, got) if w != g]
        return "column types differ: " + ", ".join(diffs)
    return compare_rows(names, canonical.rows(expected), canonical.rows(actual), shape)


def read_arrows(path):
    with pa.OSFile(path, "rb") as f:
        return pa.ipc.open_stream(f).read_all()


def write_arrows(path, table):
    with pa.OSFile(path, "wb") as f, pa.ipc.new_stream(f, table.schema) as writer:
        writer.write_table(table)
