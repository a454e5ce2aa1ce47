"""Cancellation (ADBC adbc_cancel) and deadlines (gRPC timeout) must stop the work in DuckDB.

Each test starts a server of its own so the CPU use of its process can be measured."""

import subprocess
import sys
import threading
import time

import pyarrow.flight as flight
import pytest

import helpers

# Busy cores while the query runs must be at least this; after the cancel at most IDLE.
BUSY = 0.6
IDLE = 0.2


def _endless_sql():
    # ~1e12 rows: hours of work, so it only ends if it is cancelled.
    return helpers.cross_join_sql(1_000_000)


def _endless_query_in_child_process(srv):
    """A separate client process (GetFlightInfo + DoGet of the endless query) that can be killed."""
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import helpers\n"
        "s = helpers.FlightSession(helpers.Server(%r, %r, %r))\n"
        "info = s.flight_info(%r)\n"
        "for ep in info.endpoints: s.read_endpoint(ep).read_all()\n"
    ) % (helpers.HERE, srv.uri, srv.user, srv.password, _endless_sql())
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_busy(srv, label):
    rate = 0.0
    for _ in range(10):
        rate = srv.cpu_rate(0.5)
        if rate >= BUSY:
            return rate
    pytest.fail(f"{label}: server never got busy (cpu {rate:.2f} cores); is the query running?")


def _assert_goes_idle(srv, label):
    time.sleep(1.0)
    rate = srv.cpu_rate(1.5)
    if rate > IDLE:
        # give a slow interruption a little more time, but fail if it keeps burning CPU
        time.sleep(3.0)
        rate = srv.cpu_rate(1.5)
    assert rate <= IDLE, f"{label}: server still uses {rate:.2f} cores after the query was cancelled"


def test_adbc_cancel_stops_query(private_server):
    srv = private_server
    conn = helpers.connect(srv)
    outcome = {}
    cur = conn.cursor()

    def run():
        try:
            cur.execute(_endless_sql())
            outcome["rows"] = cur.fetchall()
        except BaseException as e:
            outcome["error"] = e
        outcome["end"] = time.monotonic()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    _wait_busy(srv, "adbc_cancel")
    cancelled_at = time.monotonic()
    cur.adbc_cancel()
    t.join(timeout=15)
    assert not t.is_alive(), "execute/fetch did not return within 15 s of adbc_cancel()"
    err = outcome.get("error")
    assert err is not None, f"the cancelled query returned {outcome.get('rows')}"
    assert isinstance(err, helpers.flightsql.OperationalError) or "cancel" in str(err).lower(), \
        f"{type(err).__name__}: {err}"
    assert outcome["end"] - cancelled_at < 15
    _assert_goes_idle(srv, "adbc_cancel")

    conn2 = helpers.connect(srv)
    try:
        assert helpers.query_rows(conn2, "SELECT 42") == [(42,)]
    finally:
        conn2.close()
    try:
        cur.close()
        conn.close()
    except Exception:
        pass


def test_deadline_stops_query(private_server):
    srv = private_server
    session = helpers.FlightSession(srv)
    try:
        start = time.monotonic()
        with pytest.raises(flight.FlightTimedOutError):
            # Whether the server runs the query in GetFlightInfo or in DoGet, one of them must
            # hit the 0.5 s deadline.
            info = session.flight_info(_endless_sql(), timeout=0.5)
            for endpoint in info.endpoints:
                session.read_endpoint(endpoint, timeout=0.5).read_all()
        assert time.monotonic() - start < 10
        _assert_goes_idle(srv, "deadline")
        _, tables = session.query("SELECT 42 AS answer")
        assert tables[0].to_pylist() == [{"answer": 42}]
    finally:
        session.close()


def test_client_disconnect_stops_query(private_server):
    """A client process that dies mid-query must not leave the query running."""
    srv = private_server
    child = _endless_query_in_child_process(srv)
    try:
        _wait_busy(srv, "disconnect")
    finally:
        child.kill()
        child.wait(timeout=10)
    _assert_goes_idle(srv, "disconnect")
    again = helpers.FlightSession(srv)
    try:
        _, tables = again.query("SELECT 42 AS answer")
        assert tables[0].to_pylist() == [{"answer": 42}]
    finally:
        again.close()


def test_sigterm_stops_server_with_running_query(private_server):
    """`skein serve` stops on SIGTERM (test/e2e/README.md) also while DuckDB is busy."""
    srv = private_server
    child = _endless_query_in_child_process(srv)
    try:
        _wait_busy(srv, "sigterm")
        start = time.monotonic()
        exited = srv.stop(grace=10)
        assert exited, "server still running 10 s after SIGTERM (a query was running)"
        assert time.monotonic() - start < 10
    finally:
        child.kill()
        child.wait(timeout=10)
