"""Failed-login limiting as a real client sees it (ADBC and pyarrow.flight), on a private server
with a small limit and a short window."""

import time

import pyarrow.flight as flight
import pytest

import helpers

dbapi = helpers.flightsql
WINDOW_SECONDS = 2


@pytest.fixture(scope="module")
def limited_server():
    srv = helpers.PrivateServer({"loginMaxFailures": 2, "loginWindowSeconds": WINDOW_SECONDS})
    yield srv
    srv.stop()


def _login_error(server, password):
    with pytest.raises(dbapi.Error) as info:
        conn = helpers.connect(server, password=password)
        try:
            helpers.query_rows(conn, "SELECT 1")
        finally:
            conn.close()
    return info.value


def test_too_many_failed_logins_refuse_the_right_password_until_the_window_passes(limited_server):
    for _ in range(2):
        err = _login_error(limited_server, "wrong")
        assert "invalid username or password" in str(err), str(err)
    started = time.monotonic()
    err = _login_error(limited_server, limited_server.password)
    assert helpers.error_code(err) == helpers.GRPC_UNAUTHENTICATED, str(err)
    assert 'too many failed logins for user "alice"; retry in' in str(err), str(err)

    client = flight.FlightClient(limited_server.uri)
    try:
        with pytest.raises(flight.FlightUnauthenticatedError, match="too many failed logins"):
            client.authenticate_basic_token(limited_server.user, limited_server.password)
    finally:
        client.close()

    time.sleep(max(0.0, WINDOW_SECONDS + 0.3 - (time.monotonic() - started)))
    conn = helpers.connect(limited_server)
    try:
        assert helpers.query_rows(conn, "SELECT 'in again' AS v") == [("in again",)]
    finally:
        conn.close()
