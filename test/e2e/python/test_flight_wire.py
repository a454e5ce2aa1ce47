"""Wire-level checks with pyarrow.flight: Basic->Bearer auth, FlightInfo vs DoGet schemas, SqlInfo."""

import base64
import os

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import helpers


def test_basic_token_returns_bearer(server):
    client = flight.FlightClient(server.uri)
    try:
        name, value = client.authenticate_basic_token(server.user, server.password)
        assert name.lower() == b"authorization"
        assert value.startswith(b"Bearer ") and len(value) > len(b"Bearer ")
        opts = flight.FlightCallOptions(headers=[(name, value)])
        info = client.get_flight_info(helpers.statement_descriptor("SELECT 42 AS answer"), opts)
        tables = [client.do_get(ep.ticket, opts).read_all() for ep in info.endpoints]
        assert pa.concat_tables(tables).to_pylist() == [{"answer": 42}]
    finally:
        client.close()


def test_padded_and_unpadded_basic_auth(private_server):
    """pyarrow sends padded base64 ('=' for these credentials); the ADBC Go driver sends it unpadded."""
    user = helpers.PRIVATE_USERS[1]
    assert base64.b64encode(f"{user['username']}:{user['password']}".encode()).endswith(b"=")
    session = helpers.FlightSession(private_server, user["username"], user["password"])
    try:
        _, tables = session.query("SELECT 'padded' AS v")
        assert pa.concat_tables(tables).to_pylist() == [{"v": "padded"}]
    finally:
        session.close()
    conn = helpers.connect(private_server, user=user["username"], password=user["password"])
    try:
        assert helpers.query_rows(conn, "SELECT 'unpadded' AS v") == [("unpadded",)]
    finally:
        conn.close()


def test_bogus_bearer_is_rejected(server):
    client = flight.FlightClient(server.uri)
    try:
        opts = flight.FlightCallOptions(headers=[(b"authorization", b"Bearer not-a-real-token")])
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.get_flight_info(helpers.statement_descriptor("SELECT 1"), opts)
    finally:
        client.close()


def test_missing_authorization_is_rejected(server):
    client = flight.FlightClient(server.uri)
    try:
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.get_flight_info(helpers.statement_descriptor("SELECT 1"))
    finally:
        client.close()


def test_wrong_password_handshake_is_rejected(server):
    client = flight.FlightClient(server.uri)
    try:
        with pytest.raises(flight.FlightUnauthenticatedError):
            client.authenticate_basic_token(server.user, server.password + "x")
    finally:
        client.close()


def test_token_of_one_client_works_on_another_connection(server, flight_session):
    other = flight.FlightClient(server.uri)
    try:
        opts = flight.FlightCallOptions(headers=[flight_session.auth_header])
        info = other.get_flight_info(helpers.statement_descriptor("SELECT 7 AS seven"), opts)
        tables = [other.do_get(ep.ticket, opts).read_all() for ep in info.endpoints]
        assert pa.concat_tables(tables).to_pylist() == [{"seven": 7}]
    finally:
        other.close()


SCHEMA_QUERIES = [
    "SELECT 1 AS a, 'x' AS b, NULL AS c",
    "SELECT * FROM range(10)",
    "SELECT 1 AS a WHERE false",
    "SELECT [1, 2]::INTEGER[] AS l, {'x': 1, 'y': [DATE '2024-01-01']} AS s, MAP {'k': 2.5} AS m",
    "SELECT * FROM e2e_ints",
    "SELECT * FROM e2e_decimals",
    "SELECT * FROM e2e_strings",
    "SELECT * FROM e2e_temporal",
    "SELECT * FROM e2e_misc",
    "SELECT * FROM e2e_nested",
    "SELECT * FROM e2e_nested WHERE id < 0",
    "SELECT * FROM e2e_many",
    "SELECT category, sum(amount) AS total FROM e2e_orders GROUP BY category",
]


@pytest.mark.parametrize("sql", SCHEMA_QUERIES)
def test_flight_info_schema_equals_stream_schema(script_ready, flight_session, sql):
    info = flight_session.flight_info(sql)
    assert info.schema is not None
    assert len(info.endpoints) >= 1
    for i, endpoint in enumerate(info.endpoints):
        reader = flight_session.read_endpoint(endpoint)
        table = reader.read_all()
        # ADBC compares these with field metadata stripped, but names, types and nullability exact.
        assert table.schema.equals(info.schema, check_metadata=False), \
            f"endpoint {i} stream schema\n{table.schema}\n!= FlightInfo schema\n{info.schema}"


def test_flight_info_schema_matches_duckdb(script_ready, flight_session):
    """FlightInfo carries the same column names and Arrow types DuckDB exports itself."""
    for name in ("types_ints", "types_temporal", "types_nested", "types_misc"):
        query = next(q for q in script_ready["queries"] if q["name"] == name)
        expected = helpers.read_arrows(os.path.join(helpers.expected_dir(), name + ".arrows")).schema
        schema = flight_session.flight_info(query["sql"]).schema
        assert schema.names == expected.names, name
        for got, want in zip(schema, expected):
            assert got.type.equals(want.type), f"{name}.{want.name}: {got.type} != {want.type}"


def test_get_schema_statement_query(script_ready, flight_session):
    sql = "SELECT * FROM e2e_temporal"
    schema = flight_session.client.get_schema(helpers.statement_descriptor(sql), flight_session.options()).schema
    info = flight_session.flight_info(sql)
    assert schema.equals(info.schema, check_metadata=False), f"{schema}\n!=\n{info.schema}"


def test_unknown_command_is_unimplemented(flight_session):
    command = helpers.pack_any("CommandThatDoesNotExist", b"")
    with pytest.raises(NotImplementedError):
        flight_session.client.get_flight_info(flight.FlightDescriptor.for_command(command), flight_session.options())


def test_sql_info_vendor(conn):
    info = conn.adbc_get_info()
    assert info.get("vendor_name") == "Skein", info
    version = info.get("vendor_version")
    assert isinstance(version, str) and version.strip(), info
    assert any(ch.isdigit() for ch in version), info
