"""TPC-H differential test: each of the 22 queries, on each layout, through a Skein server (ADBC Flight
SQL driver), must give single-node DuckDB's answer on the same files (reference.py); see compare.py for
what "the same" means (ties in ORDER BY, LIMIT, doubles).

The server exposes each layout as a schema (`single.lineitem`, `partitioned.orders`, ...). Queries keep
their unqualified table names and run in a session whose current schema is the layout (ADBC's
adbc_current_db_schema, i.e. Flight SQL SetSessionOptions), so the query text is exactly DuckDB's.

Environment (test/tpch/run.sh sets it all):
  SKEIN_TPCH_URI             the server (grpc://host:port); without it the module is skipped
  SKEIN_TPCH_USER/PASSWORD   credentials (default: SKEIN_TEST_USER/SKEIN_TEST_PASSWORD, else none)
  SKEIN_TPCH_QUERIES         folder with q01.sql..q22.sql (queries.py)
  SKEIN_TPCH_REFERENCE       folder written by reference.py
  SKEIN_TPCH_LAYOUTS         layouts to test (default: single multi partitioned); `schema=layout` tests
                             the server's schema `schema` against `layout`'s answers (the Iceberg lake
                             of iceberg_lake.py is `lake=single`: the same rows in other files)
  SKEIN_TPCH_CACHE_CHECK     a schema whose tables are on an object store: first, EXPLAIN ANALYZE of Q6
                             twice must show partition cache misses, then only hits (a fresh server);
                             it is the Iceberg lake: Q6 reads one of lineitem's 7 manifests (one per ship year)
  SKEIN_TPCH_ONLY            query numbers to run, e.g. "1 3 18" (default: all 22)
  SKEIN_TPCH_CREATE_VIEWS    a data root: before the tests, create the layout schemas as views over
                             its files through ADBC (for servers without a directory catalog)
"""

import json
import os

import pytest

if not os.environ.get("SKEIN_TPCH_URI"):
    pytest.skip("SKEIN_TPCH_URI is not set: the TPC-H differential test needs a Skein server serving the "
                "TPC-H layouts (test/tpch/run.sh starts one)", allow_module_level=True)

import adbc_driver_flightsql.dbapi as flightsql  # noqa: E402

from compare import compare_tables, read_arrows  # noqa: E402
from tpch_tables import LAYOUTS, create_views_sql  # noqa: E402

URI = os.environ["SKEIN_TPCH_URI"]
USER = os.environ.get("SKEIN_TPCH_USER") or os.environ.get("SKEIN_TEST_USER")
PASSWORD = os.environ.get("SKEIN_TPCH_PASSWORD") or os.environ.get("SKEIN_TEST_PASSWORD")
# schema -> the layout whose reference answers it must give ("lake=single", or just "single")
SCHEMAS = {e.partition("=")[0]: e.partition("=")[2] or e for e in os.environ.get("SKEIN_TPCH_LAYOUTS", " ".join(LAYOUTS)).split()}
SELECTED_LAYOUTS = list(SCHEMAS)
CACHE_CHECK = os.environ.get("SKEIN_TPCH_CACHE_CHECK")
SELECTED_QUERIES = [int(n) for n in os.environ.get("SKEIN_TPCH_ONLY", " ".join(map(str, range(1, 23)))).split()]


def required_dir(name):
    path = os.environ.get(name)
    if not path or not os.path.isdir(path):
        pytest.fail(f"{name} must name a folder (got {path!r}); test/tpch/run.sh sets it", pytrace=False)
    return path


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def connect():
    kwargs = {} if USER is None else {"username": USER, "password": PASSWORD}
    return flightsql.connect(URI, db_kwargs=kwargs, autocommit=True)


@pytest.fixture(scope="session")
def views():
    """Creates the layout schemas as views over the files when SKEIN_TPCH_CREATE_VIEWS names a root."""
    root = os.environ.get("SKEIN_TPCH_CREATE_VIEWS")
    if root:
        conn = connect()
        try:
            with conn.cursor() as cur:
                for layout in SELECTED_LAYOUTS:
                    for statement in create_views_sql(os.path.abspath(root), SCHEMAS[layout], schema=layout):
                        cur.execute(statement)
        finally:
            conn.close()


@pytest.fixture(scope="session")
def layout_connection(views):
    """One ADBC connection per layout, its session's current schema set to the layout."""
    opened = {}

    def get(layout):
        if layout not in opened:
            conn = connect()
            conn.adbc_current_db_schema = layout
            opened[layout] = conn
        return opened[layout]

    yield get
    for conn in opened.values():
        conn.close()


def explain_analyze_stats(conn, sql):
    with conn.cursor() as cur:
        cur.execute("EXPLAIN ANALYZE " + sql)
        rows = dict(cur.fetchall())
    assert "stats" in rows, f"EXPLAIN ANALYZE gave no stats row: {rows}"
    return json.loads(rows["stats"])


# First in the file (pytest runs tests in file order): it needs a cache no other query has filled.
@pytest.mark.skipif(not CACHE_CHECK, reason="SKEIN_TPCH_CACHE_CHECK names no object-store schema")
def test_explain_analyze_q6_misses_then_hits_the_partition_cache(layout_connection):
    sql = read(os.path.join(required_dir("SKEIN_TPCH_QUERIES"), "q06.sql"))
    conn = layout_connection(CACHE_CHECK)
    cold = explain_analyze_stats(conn, sql)
    warm = explain_analyze_stats(conn, sql)
    assert cold["cache"] is not None and warm["cache"] is not None, (cold, warm)
    # Q6 reads one ship year of lineitem: its files' l_shipdate bounds prune the others
    assert 0 < cold["filesKept"] < cold["filesTotal"], cold
    assert cold["cache"]["misses"] == cold["filesKept"] and cold["cache"]["bytesFetched"] > 0, cold
    assert warm["cache"] == {"hits": cold["cache"]["misses"] + cold["cache"]["hits"], "misses": 0, "bytesFetched": 0}, warm
    assert cold["resultRows"] == warm["resultRows"] == 1


@pytest.mark.skipif(not CACHE_CHECK, reason="SKEIN_TPCH_CACHE_CHECK names no object-store schema")
def test_explain_q6_reads_one_manifest_of_lineitem(layout_connection):
    # lineitem was appended one ship year per snapshot: Q6's year skips the other manifests by their partition summaries
    sql = read(os.path.join(required_dir("SKEIN_TPCH_QUERIES"), "q06.sql"))
    with layout_connection(CACHE_CHECK).cursor() as cur:
        cur.execute("EXPLAIN " + sql)
        text = "\n".join(f"{k}: {v}" for k, v in cur.fetchall())
    assert "manifests: 1 of 7 read (partition summaries exclude 6)" in text, text


@pytest.mark.parametrize("layout", SELECTED_LAYOUTS)
def test_session_schema_is_the_layout(layout_connection, layout):
    with layout_connection(layout).cursor() as cur:
        cur.execute("SELECT current_schema(), count(*) FROM lineitem")
        schema, rows = cur.fetchone()
    assert schema == layout
    assert rows > 0


@pytest.mark.parametrize("query", SELECTED_QUERIES, ids=lambda n: f"q{n:02d}")
@pytest.mark.parametrize("layout", SELECTED_LAYOUTS)
def test_query_matches_duckdb(layout_connection, layout, query):
    queries, reference = required_dir("SKEIN_TPCH_QUERIES"), required_dir("SKEIN_TPCH_REFERENCE")
    sql = read(os.path.join(queries, f"q{query:02d}.sql"))
    expected = read_arrows(os.path.join(reference, SCHEMAS[layout], f"q{query:02d}.arrows"))
    shape = json.loads(read(os.path.join(reference, f"q{query:02d}.json")))["shape"]
    with layout_connection(layout).cursor() as cur:
        cur.execute(sql)
        actual = cur.fetch_arrow_table()
    problem = compare_tables(expected, actual, shape)
    assert problem is None, f"Q{query} on {layout}: {problem}"
