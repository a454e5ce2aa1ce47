"""A slow query must not hold up quick queries from other connections."""

import threading
import time

import helpers

QUICK_QUERIES = 20


def test_quick_queries_finish_while_slow_query_runs(server, connect):
    calib = connect()
    n = helpers.calibrate_cross_join(calib, target_seconds=8)
    # Connections for the quick queries are opened up front so only query latency is measured.
    quick_conns = [connect() for _ in range(QUICK_QUERIES)]
    slow_conn = connect()

    slow = {}

    def run_slow():
        slow["start"] = time.monotonic()
        try:
            slow["rows"] = helpers.query_rows(slow_conn, helpers.cross_join_sql(n))
        except Exception as e:  # reported below
            slow["error"] = e
        slow["end"] = time.monotonic()

    slow_thread = threading.Thread(target=run_slow, daemon=True)
    slow_thread.start()
    time.sleep(1.0)

    quick = [dict() for _ in range(QUICK_QUERIES)]

    def run_quick(i):
        quick[i]["start"] = time.monotonic()
        try:
            quick[i]["rows"] = helpers.query_rows(quick_conns[i], f"SELECT {i} AS i, sum(range) AS s FROM range(1000)")
        except Exception as e:
            quick[i]["error"] = e
        quick[i]["end"] = time.monotonic()

    threads = [threading.Thread(target=run_quick, args=(i,), daemon=True) for i in range(QUICK_QUERIES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    slow_thread.join(timeout=300)
    assert not slow_thread.is_alive(), "slow query did not finish within 300 s"
    assert "error" not in slow, f"slow query failed: {slow.get('error')}"
    assert slow["rows"][0][0] == n * n

    for i, q in enumerate(quick):
        assert "error" not in q, f"quick query {i} failed: {q.get('error')}"
        assert q.get("rows") == [(i, 499500)], f"quick query {i}: {q.get('rows')}"
    last_quick_end = max(q["end"] for q in quick)
    slow_seconds = slow["end"] - slow["start"]
    assert slow_seconds > 3, f"slow query took only {slow_seconds:.1f}s: calibration failed (n={n})"
    assert last_quick_end < slow["end"], (
        f"quick queries finished {last_quick_end - slow['start']:.1f}s after the slow query started, "
        f"the slow query itself after {slow_seconds:.1f}s")
    worst = max(q["end"] - q["start"] for q in quick)
    assert worst < slow_seconds / 2, f"slowest quick query took {worst:.1f}s (slow query {slow_seconds:.1f}s)"


def test_quick_query_answers_while_several_slow_queries_run(server, connect):
    """Each running DuckDB query holds a thread of the server's I/O pool; several at once must not
    starve a quick query (the pool is larger than a handful of slow queries)."""
    slow_count = 6
    slow_conns = [connect() for _ in range(slow_count)]
    cursors = [c.cursor() for c in slow_conns]
    quick_conn = connect()
    errors = []

    def run_slow(cur):
        try:
            cur.execute("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3")
            cur.fetchall()
        except Exception as e:  # cancelled below, as intended
            errors.append(e)

    threads = [threading.Thread(target=run_slow, args=(cur,), daemon=True) for cur in cursors]
    for t in threads:
        t.start()
    time.sleep(1.5)
    quick = {}

    def run_quick():
        start = time.monotonic()
        quick["rows"] = helpers.query_rows(quick_conn, "SELECT 42 AS answer")
        quick["elapsed"] = time.monotonic() - start

    try:
        quick_thread = threading.Thread(target=run_quick, daemon=True)
        quick_thread.start()
        quick_thread.join(timeout=10)  # a starved server would hold it until the slow queries end
        assert "elapsed" in quick, f"a quick query got no answer within 10 s while {slow_count} slow queries ran"
        assert quick["rows"] == [(42,)]
        assert all(t.is_alive() for t in threads), "the slow queries were meant to still be running"
        assert quick["elapsed"] < 2.0, f"a quick query took {quick['elapsed']:.2f} s while {slow_count} slow queries ran"
    finally:
        for cur in cursors:
            cur.adbc_cancel()
        for t in threads:
            t.join(timeout=30)
    assert len(errors) == slow_count
