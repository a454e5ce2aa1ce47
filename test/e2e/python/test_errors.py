"""Error mapping (gRPC status codes, DuckDB messages) and authentication failures via ADBC."""

import pytest

import helpers

dbapi = helpers.flightsql


def _still_answers(conn):
    assert helpers.query_rows(conn, "SELECT 1 + 1") == [(2,)]


def _expect_query_error(conn, sql, code, klass):
    with conn.cursor() as cur:
        with pytest.raises(dbapi.Error) as info:
            cur.execute(sql)
            cur.fetchall()
    err = info.value
    assert isinstance(err, klass), f"{type(err).__name__}: {err}"
    assert helpers.error_code(err) == code, f"gRPC code {helpers.error_code(err)} != {code}: {err}"
    return err


@pytest.mark.parametrize("sql", ["SELECT", "SELEC 1", "SELECT 1 FROM", "SELECT (1"])
def test_syntax_error_is_invalid_argument(conn, sql):
    err = _expect_query_error(conn, sql, helpers.GRPC_INVALID_ARGUMENT, dbapi.ProgrammingError)
    duck = helpers.duckdb_error_first_line(sql)
    assert duck in str(err), f"DuckDB's message {duck!r} not in {str(err)!r}"
    assert "InvalidArgument" in str(err) or "INVALID_ARGUMENT" in str(err)
    _still_answers(conn)


def test_unknown_table_is_not_found(conn):
    sql = "SELECT * FROM py_no_such_table_xyz"
    err = _expect_query_error(conn, sql, helpers.GRPC_NOT_FOUND, dbapi.ProgrammingError)
    duck = helpers.duckdb_error_first_line(sql)
    assert duck in str(err), f"DuckDB's message {duck!r} not in {str(err)!r}"
    _still_answers(conn)


def test_unknown_column_is_invalid_argument(conn):
    sql = "SELECT no_such_column FROM range(3)"
    err = _expect_query_error(conn, sql, helpers.GRPC_INVALID_ARGUMENT, dbapi.ProgrammingError)
    assert helpers.duckdb_error_first_line(sql) in str(err)
    _still_answers(conn)


def test_runtime_error_carries_duckdb_message(conn):
    sql = "SELECT CAST('not a number' AS INTEGER) FROM range(3)"
    with conn.cursor() as cur:
        with pytest.raises(dbapi.Error) as info:
            cur.execute(sql)
            cur.fetchall()
    duck = helpers.duckdb_error_first_line(sql)
    assert duck in str(info.value), f"DuckDB's message {duck!r} not in {str(info.value)!r}"
    _still_answers(conn)


def test_bad_parameter_value(conn):
    with conn.cursor() as cur:
        with pytest.raises(dbapi.Error) as info:
            cur.execute("SELECT ?::INTEGER AS v", ("definitely not an int",))
            cur.fetchall()
    assert "definitely not an int" in str(info.value) or "Conversion" in str(info.value), str(info.value)
    _still_answers(conn)


def test_error_on_update_path(conn):
    with conn.cursor() as cur:
        with pytest.raises(dbapi.ProgrammingError) as info:
            cur.executescript("CREATE TABLE (")
    assert helpers.error_code(info.value) == helpers.GRPC_INVALID_ARGUMENT, str(info.value)
    _still_answers(conn)


def test_wrong_password_is_unauthenticated(server, connect):
    with pytest.raises(dbapi.Error) as info:
        c = connect(password=server.password + "-wrong")
        helpers.query_rows(c, "SELECT 1")
    err = info.value
    assert helpers.error_code(err) == helpers.GRPC_UNAUTHENTICATED or "Unauthenticated" in str(err), \
        f"{type(err).__name__} grpc code={helpers.error_code(err)}: {err}"
    _still_answers(connect())


def test_unknown_user_is_unauthenticated(connect):
    with pytest.raises(dbapi.Error) as info:
        c = connect(user="py-nobody", password="nothing")
        helpers.query_rows(c, "SELECT 1")
    err = info.value
    assert helpers.error_code(err) == helpers.GRPC_UNAUTHENTICATED or "Unauthenticated" in str(err), \
        f"{type(err).__name__} grpc code={helpers.error_code(err)}: {err}"


def test_no_credentials_is_unauthenticated(connect):
    with pytest.raises(dbapi.Error) as info:
        c = connect(user=None)
        helpers.query_rows(c, "SELECT 1")
    err = info.value
    assert helpers.error_code(err) == helpers.GRPC_UNAUTHENTICATED, \
        f"{type(err).__name__} grpc code={helpers.error_code(err)}: {err}"
    _still_answers(connect())


def test_many_errors_then_still_serving(connect):
    c = connect()
    for i in range(30):
        with c.cursor() as cur:
            with pytest.raises(dbapi.Error):
                cur.execute(f"SELECT * FROM py_missing_{i}")
                cur.fetchall()
    _still_answers(c)
