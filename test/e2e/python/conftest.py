import pytest

import helpers


@pytest.fixture(scope="session")
def server():
    return helpers.server_from_env()


@pytest.fixture(scope="session")
def script():
    return helpers.load_script()


@pytest.fixture
def connect(server):
    """Factory for ADBC connections to the shared server; all are closed after the test."""
    opened = []

    def _connect(**kwargs):
        conn = helpers.connect(server, **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        try:
            conn.close()
        except Exception:
            pass


@pytest.fixture(scope="module")
def conn(server):
    c = helpers.connect(server)
    yield c
    c.close()


@pytest.fixture(scope="session")
def script_ready(server, script):
    """Runs the shared script's setup once, through the update path (DoPut CommandStatementUpdate)."""
    c = helpers.connect(server)
    try:
        with c.cursor() as cur:
            for statement in script["setup"]:
                cur.executescript(statement)
    finally:
        c.close()
    return script


@pytest.fixture
def flight_session(server):
    s = helpers.FlightSession(server)
    yield s
    s.close()


@pytest.fixture
def private_server():
    """A Skein server of our own (for CPU measurements and cancellation); stopped afterwards."""
    srv = helpers.PrivateServer()
    yield srv
    srv.stop()
