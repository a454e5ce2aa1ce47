"""Flight session options: ADBC's current catalog/schema and session options, and the raw
SetSessionOptions / GetSessionOptions / CloseSession actions with pyarrow.flight. Sessions are keyed
by the session inside the bearer token: they follow the token to another connection, and another
login starts a fresh one.
"""

import json
import uuid

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import flight_proto as fp
import helpers

OPTION = "adbc.flight.sql.session.option."
ERASE = "adbc.flight.sql.session.optionerase."
ALL_OPTIONS = "adbc.flight.sql.session.options"


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def rows(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)


def session_options(conn):
    return json.loads(conn.adbc_connection.get_option(ALL_OPTIONS))


@pytest.fixture(scope="module")
def default_time_zone(conn):
    return rows(conn, "SELECT current_setting('TimeZone')")[0][0]


@pytest.fixture
def schema(conn):
    """A fresh schema holding a table `t` with one row (id = 1)."""
    name = unique("sess_s")
    run(conn, f"CREATE SCHEMA {name}")
    run(conn, f"CREATE TABLE {name}.t AS SELECT 1 AS id, '{name}' AS origin")
    yield name
    run(conn, f"DROP SCHEMA IF EXISTS {name} CASCADE")


# --- ADBC -----------------------------------------------------------------------------------

def test_current_catalog_and_schema(connect, conn, schema):
    c = connect()
    assert c.adbc_current_catalog == "memory"
    assert c.adbc_current_db_schema == "main"
    c.adbc_current_db_schema = schema
    assert c.adbc_current_db_schema == schema
    assert c.adbc_current_catalog == "memory"
    assert rows(c, "SELECT id, origin FROM t") == [(1, schema)]
    assert rows(c, "SELECT current_schema()") == [(schema,)]
    run(c, "CREATE TABLE created_here AS SELECT 2 AS id")
    assert rows(conn, f"SELECT id FROM {schema}.created_here") == [(2,)]
    # other connections are other sessions
    assert rows(conn, "SELECT current_schema()") == [("main",)]
    c.adbc_current_db_schema = "main"
    with pytest.raises(Exception) as info:
        rows(c, "SELECT * FROM created_here")
    assert helpers.error_code(info.value) == helpers.GRPC_NOT_FOUND, info.value


def test_current_catalog_switch(connect, conn):
    catalog = unique("sess_cat")
    run(conn, f"ATTACH ':memory:' AS {catalog}")
    try:
        run(conn, f"CREATE TABLE {catalog}.main.only_here AS SELECT 'attached' AS v")
        c = connect()
        c.adbc_current_catalog = catalog
        assert c.adbc_current_catalog == catalog
        assert c.adbc_current_db_schema == "main"
        assert rows(c, "SELECT v FROM only_here") == [("attached",)]
        assert rows(c, "SELECT current_database()") == [(catalog,)]
        c.close()
    finally:
        run(conn, f"DETACH {catalog}")


def test_unknown_catalog_or_schema_is_refused(connect):
    c = connect()
    for attr in ("adbc_current_db_schema", "adbc_current_catalog"):
        with pytest.raises(Exception) as info:
            setattr(c, attr, unique("sess_missing"))
        assert "invalid value" in str(info.value), info.value
    assert (c.adbc_current_catalog, c.adbc_current_db_schema) == ("memory", "main")


def test_time_zone_option(connect, default_time_zone):
    assert default_time_zone != "America/New_York"
    c = connect()
    c.adbc_connection.set_options(**{OPTION + "TimeZone": "America/New_York"})
    assert rows(c, "SELECT current_setting('TimeZone')") == [("America/New_York",)]
    with c.cursor() as cur:
        cur.execute("SELECT TIMESTAMPTZ '2024-07-01 12:00:00+00' AS ts, "
                    "strftime(TIMESTAMPTZ '2024-07-01 12:00:00+00', '%H:%M') AS local_time")
        table = cur.fetch_arrow_table()
    assert table.schema.field("ts").type == pa.timestamp("us", tz="America/New_York")
    assert table.column("local_time").to_pylist() == ["08:00"]
    assert table.column("ts").cast(pa.int64()).to_pylist() == [1719835200000000]
    assert c.adbc_connection.get_option(OPTION + "TimeZone") == "America/New_York"
    # another connection (another session) keeps the server's time zone
    other = connect()
    assert rows(other, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]


def test_session_options_json(connect, schema):
    c = connect()
    c.adbc_current_db_schema = schema
    c.adbc_connection.set_options(**{OPTION + "TimeZone": "Asia/Tokyo", OPTION + "default_order": "DESC"})
    assert session_options(c) == {"catalog": "memory", "schema": schema, "TimeZone": "Asia/Tokyo",
                                  "default_order": "DESC"}
    assert rows(c, "SELECT list(i ORDER BY i) FROM range(3) t(i)") == [([2, 1, 0],)]


def test_option_names_are_case_insensitive(connect):
    c = connect()
    c.adbc_connection.set_options(**{OPTION + "timezone": "Europe/Berlin"})
    assert session_options(c)["TimeZone"] == "Europe/Berlin"
    assert rows(c, "SELECT current_setting('TimeZone')") == [("Europe/Berlin",)]


def test_invalid_name_and_invalid_value(connect):
    c = connect()
    c.adbc_connection.set_options(**{OPTION + "TimeZone": "Asia/Tokyo"})
    with pytest.raises(Exception) as info:
        c.adbc_connection.set_options(**{OPTION + "threads": "1"})
    assert "'threads' (invalid name)" in str(info.value), info.value
    with pytest.raises(Exception) as info:
        c.adbc_connection.set_options(**{OPTION + "no_such_setting": "x"})
    assert "(invalid name)" in str(info.value), info.value
    with pytest.raises(Exception) as info:
        c.adbc_connection.set_options(**{OPTION + "TimeZone": "Not/A_Zone"})
    assert "'TimeZone' (invalid value)" in str(info.value), info.value
    # a refused value leaves the session as it was
    assert session_options(c)["TimeZone"] == "Asia/Tokyo"
    assert rows(c, "SELECT current_setting('TimeZone')") == [("Asia/Tokyo",)]


def test_erase_an_option(connect, default_time_zone):
    c = connect()
    c.adbc_connection.set_options(**{OPTION + "TimeZone": "Asia/Tokyo", OPTION + "integer_division": "true"})
    assert rows(c, "SELECT 7 / 2") == [(3,)]
    c.adbc_connection.set_options(**{ERASE + "TimeZone": ""})
    options = session_options(c)
    assert "TimeZone" not in options and options["integer_division"] == "true", options
    assert rows(c, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]
    with pytest.raises(Exception) as info:
        c.adbc_connection.get_option(OPTION + "TimeZone")
    assert helpers.error_code(info.value) == helpers.GRPC_NOT_FOUND or "NOT_FOUND" in str(info.value), info.value
    c.adbc_connection.set_options(**{ERASE + "integer_division": ""})
    assert rows(c, "SELECT 7 / 2") == [(3.5,)]


def test_options_apply_inside_an_open_transaction(connect, schema, default_time_zone):
    """With autocommit off the transaction is already open when the options change."""
    c = connect(autocommit=False)
    c.adbc_current_db_schema = schema
    c.adbc_connection.set_options(**{OPTION + "TimeZone": "Asia/Tokyo"})
    assert rows(c, "SELECT id FROM t") == [(1,)]
    with c.cursor() as cur:
        cur.execute("SELECT current_setting('TimeZone') AS tz, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS ts")
        table = cur.fetch_arrow_table()
    assert table.column("tz").to_pylist() == ["Asia/Tokyo"]
    assert table.schema.field("ts").type == pa.timestamp("us", tz="Asia/Tokyo")
    run(c, "INSERT INTO t VALUES (2, 'txn')")
    c.adbc_connection.set_options(**{ERASE + "TimeZone": ""})
    c.adbc_current_db_schema = "main"
    assert rows(c, "SELECT current_setting('TimeZone'), current_schema()") == [(default_time_zone, "main")]
    c.adbc_current_db_schema = schema
    assert rows(c, "SELECT count(*) FROM t") == [(2,)], "still the same transaction"
    c.rollback()
    assert rows(c, "SELECT count(*) FROM t") == [(1,)]
    assert rows(c, "SELECT current_schema()") == [(schema,)], "the next transaction starts from the session"


# --- raw actions with pyarrow.flight --------------------------------------------------------

@pytest.fixture
def login(server):
    """Opens pyarrow.flight sessions (each a fresh login); all closed afterwards."""
    opened = []

    def _login():
        s = helpers.FlightSession(server)
        opened.append(s)
        return s

    yield _login
    for s in opened:
        s.close()


def raw_rows(session, sql):
    table = fp.query(session.client, session.options(), fp.statement_query(sql))
    return [tuple(r.values()) for r in table.to_pylist()]


def test_raw_set_get_typed_values(login, schema):
    s = login()
    client, opts = s.client, s.options()
    errors = fp.set_session_options(client, opts, {
        "TIMEZONE": "Australia/Sydney",        # names are case-insensitive
        "integer_division": True,              # bool
        "max_expression_depth": 1234,          # int64 (sfixed64)
        "search_path": [schema, "main"],       # string list
        "schema": schema,
    })
    assert errors == {}
    got = fp.get_session_options(client, opts)
    assert got == {"catalog": "memory", "schema": schema, "TimeZone": "Australia/Sydney",
                   "integer_division": True, "max_expression_depth": 1234,
                   "search_path": [schema, "main"]}, got
    assert raw_rows(s, "SELECT current_setting('TimeZone'), current_setting('max_expression_depth'), "
                       "current_setting('search_path'), 7 / 2") == \
        [("Australia/Sydney", 1234, f"{schema},main", 3)]
    assert raw_rows(s, "SELECT origin FROM t") == [(schema,)]


def test_raw_errors_per_option(login):
    s = login()
    client, opts = s.client, s.options()
    errors = fp.set_session_options(client, opts, {
        "no_such_option": "x",
        "threads": 1,
        "TimeZone": "Not/A_Zone",
        "catalog": True,                 # catalog and schema are names
        "default_order": "DESC",         # valid: applied despite the others
    })
    assert errors == {"no_such_option": fp.INVALID_NAME, "threads": fp.INVALID_NAME,
                      "TimeZone": fp.INVALID_VALUE, "catalog": fp.INVALID_VALUE}, errors
    got = fp.get_session_options(client, opts)
    assert got == {"catalog": "memory", "schema": "main", "default_order": "DESC"}, got


def test_raw_erase_with_an_empty_value(login, default_time_zone):
    s = login()
    client, opts = s.client, s.options()
    assert fp.set_session_options(client, opts, {"TimeZone": "Asia/Kolkata", "default_order": "DESC"}) == {}
    assert fp.set_session_options(client, opts, {"TimeZone": None}) == {}
    assert fp.get_session_options(client, opts) == {"catalog": "memory", "schema": "main", "default_order": "DESC"}
    assert raw_rows(s, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]
    # erasing what is not set is fine too
    assert fp.set_session_options(client, opts, {"TimeZone": None}) == {}


def test_session_follows_the_token_to_another_connection(server, login, default_time_zone):
    s = login()
    assert fp.set_session_options(s.client, s.options(), {"TimeZone": "America/Chicago"}) == {}
    again = flight.FlightClient(server.uri)
    try:
        opts = flight.FlightCallOptions(headers=[s.auth_header])
        assert fp.get_session_options(again, opts)["TimeZone"] == "America/Chicago"
        table = fp.query(again, opts, fp.statement_query("SELECT current_setting('TimeZone') AS tz"))
        assert table.to_pylist() == [{"tz": "America/Chicago"}]
        # a change made through the second connection is seen by the first
        assert fp.set_session_options(again, opts, {"default_order": "DESC"}) == {}
        assert fp.get_session_options(s.client, s.options())["default_order"] == "DESC"
        # another login is another session
        fresh = login()
        assert fp.get_session_options(fresh.client, fresh.options()) == {"catalog": "memory", "schema": "main"}
        assert raw_rows(fresh, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]
        # closing the session (from either connection) forgets its options
        assert fp.close_session(again, opts) == 1
        assert fp.get_session_options(s.client, s.options()) == {"catalog": "memory", "schema": "main"}
        assert raw_rows(s, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]
    finally:
        again.close()


def test_close_session_then_keep_using_the_token(login, default_time_zone):
    s = login()
    client, opts = s.client, s.options()
    assert fp.close_session(client, opts) == 1, "closing a session with nothing set"
    assert fp.set_session_options(client, opts, {"TimeZone": "Asia/Tokyo"}) == {}
    assert raw_rows(s, "SELECT current_setting('TimeZone')") == [("Asia/Tokyo",)]
    assert fp.close_session(client, opts) == 1
    assert raw_rows(s, "SELECT current_setting('TimeZone')") == [(default_time_zone,)]


def test_transactions_begin_with_the_session_options(login, schema):
    s = login()
    client, opts = s.client, s.options()
    assert fp.set_session_options(client, opts, {"schema": schema, "TimeZone": "Asia/Tokyo"}) == {}
    txn = fp.begin_transaction(client, opts)
    try:
        table = fp.query(client, opts, fp.statement_query(
            "SELECT origin, current_setting('TimeZone') AS tz, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS ts FROM t", txn))
        assert table.column("origin").to_pylist() == [schema]
        assert table.column("tz").to_pylist() == ["Asia/Tokyo"]
        assert table.schema.field("ts").type == pa.timestamp("us", tz="Asia/Tokyo")
    finally:
        fp.end_transaction(client, opts, txn, fp.ROLLBACK)
