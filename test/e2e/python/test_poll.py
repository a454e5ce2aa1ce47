"""ADBC incremental execution (the Flight SQL driver's PollFlightInfo path): a long query is polled
until done, its progress can be read while it runs, and the partitions hold the plain query's rows."""

import threading
import time

import pyarrow as pa
import pytest

import helpers

INCREMENTAL = "adbc.statement.exec.incremental"
PROGRESS = "adbc.statement.exec.progress"
TABLE = "test_poll_big"
# a few seconds of DuckDB work: a scan of 20M rows with md5 over a quarter of them
SLOW = (f"SELECT a % 7 AS k, count(*) AS n, sum(length(md5(CAST(a AS VARCHAR)))) AS s "
        f"FROM {TABLE} WHERE a % 4 = 0 GROUP BY k ORDER BY k")


@pytest.fixture(scope="module")
def big_table(conn):
    with conn.cursor() as cur:
        cur.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT range a FROM range(20000000)")
    yield TABLE
    with conn.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")


def _incremental(cur):
    cur.adbc_statement.set_options(**{INCREMENTAL: "true"})


def _run_incremental(conn, cur, sql, params=None, max_calls=50):
    """Calls adbc_execute_partitions until it returns none; returns the rows of every partition."""
    tables = []
    calls = 0
    while True:
        calls += 1
        assert calls <= max_calls, "incremental execution never reported completion"
        partitions, _schema = cur.adbc_execute_partitions(sql, params)
        if not partitions:
            break
        for p in partitions:
            with conn.cursor() as reader:
                reader.adbc_read_partition(p)
                tables.append(reader.fetch_arrow_table())
    return tables


def test_incremental_execution_returns_the_plain_query_rows_and_reports_progress(conn, big_table):
    expected = helpers.query_table(conn, SLOW)
    assert expected.num_rows == 7
    assert sum(expected.column("n").to_pylist()) == 5_000_000

    samples = []
    done = threading.Event()
    with conn.cursor() as cur:
        _incremental(cur)

        def sample():
            # the driver polls inside adbc_execute_partitions; its progress is readable meanwhile
            while not done.is_set():
                samples.append(cur.adbc_statement.get_option_float(PROGRESS))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            partitions, schema = cur.adbc_execute_partitions(SLOW)
        finally:
            done.set()
            sampler.join()
        assert schema is not None and schema.names == ["k", "n", "s"]
        assert len(partitions) == 1
        assert cur.adbc_statement.get_option_float(PROGRESS) == 1.0
        with conn.cursor() as reader:
            reader.adbc_read_partition(partitions[0])
            actual = reader.fetch_arrow_table()
        # the next call reports completion: no more partitions
        more, _ = cur.adbc_execute_partitions(SLOW)
        assert more == []

    assert actual.equals(expected)
    assert all(0.0 <= s <= 1.0 for s in samples), samples
    assert any(0.0 < s < 1.0 for s in samples), f"no progress seen while running: {samples[:20]}..."
    running = [s for s in samples if s < 1.0]
    assert running == sorted(running), "progress went backwards"


def test_incremental_execution_loop_until_no_partitions(conn, big_table):
    with conn.cursor() as cur:
        _incremental(cur)
        tables = _run_incremental(conn, cur, SLOW)
        # the statement can run again incrementally once the previous execution completed
        again = _run_incremental(conn, cur, SLOW)
    expected = helpers.query_table(conn, SLOW)
    assert pa.concat_tables(tables).equals(expected)
    assert pa.concat_tables(again).equals(expected)


def test_incremental_execution_with_parameters(conn, big_table):
    sql = f"SELECT count(*) AS n, max(a) AS m FROM {TABLE} WHERE a < ?"
    with conn.cursor() as cur:
        _incremental(cur)
        tables = _run_incremental(conn, cur, sql, (1000,))
    assert pa.concat_tables(tables).to_pylist() == [{"n": 1000, "m": 999}]


def test_incremental_execution_of_a_quick_query(conn):
    with conn.cursor() as cur:
        _incremental(cur)
        tables = _run_incremental(conn, cur, "SELECT 42 AS x UNION ALL SELECT 43 ORDER BY x")
    assert pa.concat_tables(tables).to_pylist() == [{"x": 42}, {"x": 43}]


def test_incremental_execution_of_a_failing_query(conn):
    with conn.cursor() as cur:
        _incremental(cur)
        with pytest.raises(Exception) as info:
            # fails while running (not when prepared): the error arrives through a poll
            _run_incremental(conn, cur, "SELECT CAST(CASE WHEN a = 5 THEN 'oops' ELSE '1' END AS INTEGER) AS x "
                                        "FROM range(10) t(a)")
    assert helpers.error_code(info.value) == helpers.GRPC_INVALID_ARGUMENT, str(info.value)
    assert "oops" in str(info.value)
