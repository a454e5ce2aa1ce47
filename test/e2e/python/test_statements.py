"""Prepared statements, parameters, schemas, DDL/DML and row counts through the ADBC DBAPI."""

import datetime
import decimal

import duckdb
import pyarrow as pa
import pytest

import helpers


def _duckdb_schema(sql):
    con = duckdb.connect()
    try:
        return con.sql(sql).to_arrow_table().schema
    finally:
        con.close()


def test_parameters_basic(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT ? + 1, ?::VARCHAR", (41, "x"))
        assert cur.fetchall() == [(42, "x")]


def test_parameters_of_several_types(conn):
    params = (
        -9_000_000_000,
        2.5,
        "héllo 🦆",
        b"\x00\xffab",
        True,
        None,
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 2, 29, 12, 34, 56, 123456),
        decimal.Decimal("-12.34"),
    )
    sql = ("SELECT ?::BIGINT AS i, ?::DOUBLE AS f, ?::VARCHAR AS s, ?::BLOB AS b, ?::BOOLEAN AS t, "
           "?::INTEGER AS n, ?::DATE AS d, ?::TIMESTAMP AS ts, ?::DECIMAL(10,2) AS dec")
    with conn.cursor() as cur:
        cur.execute(sql, params)
        table = cur.fetch_arrow_table()
    assert table.schema.names == ["i", "f", "s", "b", "t", "n", "d", "ts", "dec"]
    assert [f.type for f in table.schema] == [
        pa.int64(), pa.float64(), pa.string(), pa.binary(), pa.bool_(), pa.int32(), pa.date32(),
        pa.timestamp("us"), pa.decimal128(10, 2)]
    assert table.to_pylist() == [{
        "i": -9_000_000_000, "f": 2.5, "s": "héllo 🦆", "b": b"\x00\xffab", "t": True, "n": None,
        "d": datetime.date(2024, 2, 29), "ts": datetime.datetime(2024, 2, 29, 12, 34, 56, 123456),
        "dec": decimal.Decimal("-12.34")}]


def test_parameters_without_casts(conn):
    """Untyped placeholders take their type from the bound values."""
    with conn.cursor() as cur:
        cur.execute("SELECT ? AS a, ? AS b, ? AS c", (7, "seven", 7.5))
        assert cur.fetchall() == [(7, "seven", 7.5)]


def test_prepared_statement_reexecuted_with_new_parameters(conn):
    with conn.cursor() as cur:
        sql = "SELECT ?::INTEGER * 2 AS doubled"
        for value in (1, 2, 50, -3):
            cur.execute(sql, (value,))
            assert cur.fetchall() == [(value * 2,)]


def test_parameters_in_where_clause(conn):
    with conn.cursor() as cur:
        cur.executescript("CREATE OR REPLACE TABLE py_params (id INTEGER, name VARCHAR)")
        cur.executescript("INSERT INTO py_params VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        cur.execute("SELECT name FROM py_params WHERE id = ?", (2,))
        assert cur.fetchall() == [("two",)]
        cur.execute("SELECT id FROM py_params WHERE name LIKE ? ORDER BY id", ("t%",))
        assert cur.fetchall() == [(2,), (3,)]


def test_executemany_insert_then_count(conn):
    rows = [(i, None if i % 10 == 0 else f"name-{i}", i / 4) for i in range(250)]
    with conn.cursor() as cur:
        cur.executescript("CREATE OR REPLACE TABLE py_many (id INTEGER, name VARCHAR, score DOUBLE)")
        cur.executemany("INSERT INTO py_many VALUES (?, ?, ?)", rows)
        assert cur.rowcount == len(rows)
        cur.execute("SELECT count(*), sum(id), count(name), sum(score) FROM py_many")
        assert cur.fetchall() == [(250, sum(range(250)), 225, sum(i / 4 for i in range(250)))]
        cur.execute("SELECT name, score FROM py_many WHERE id = 37")
        assert cur.fetchall() == [("name-37", 37 / 4)]


def test_execute_schema(script_ready, conn):
    sql = ("SELECT 1::INTEGER AS a, 'x'::VARCHAR AS b, [1, 2]::INTEGER[] AS c, "
           "{'k': 1.5::DOUBLE} AS d, DATE '2024-01-01' AS e, 1.25::DECIMAL(9,2) AS f")
    with conn.cursor() as cur:
        schema = cur.adbc_execute_schema(sql)
    expected = _duckdb_schema(sql)
    assert schema.names == expected.names
    assert [f.type for f in schema] == [f.type for f in expected]

    with conn.cursor() as cur:
        schema = cur.adbc_execute_schema("SELECT * FROM e2e_temporal")
    assert schema.names == ["id", "d", "t", "ts", "ts_s", "ts_ms", "ts_ns", "tstz", "iv"]
    assert [f.type for f in schema][:7] == [
        pa.int32(), pa.date32(), pa.time64("us"), pa.timestamp("us"), pa.timestamp("s"),
        pa.timestamp("ms"), pa.timestamp("ns")]
    assert schema.field("tstz").type.unit == "us" and schema.field("tstz").type.tz
    assert schema.field("iv").type == pa.month_day_nano_interval()


def test_execute_schema_matches_result(script_ready, conn):
    sql = "SELECT * FROM e2e_nested"
    with conn.cursor() as cur:
        schema = cur.adbc_execute_schema(sql)
        cur.execute(sql)
        table = cur.fetch_arrow_table()
    assert schema.equals(table.schema, check_metadata=False), f"{schema}\n!=\n{table.schema}"


def test_prepare_parameter_schema(conn):
    with conn.cursor() as cur:
        schema = cur.adbc_prepare("SELECT ?::INTEGER + 1 AS a, ?::VARCHAR AS b")
        assert schema is not None, "server returned no parameter_schema"
        assert len(schema) == 2
        assert [f.type for f in schema] == [pa.int32(), pa.string()]
        # executing the prepared statement afterwards works
        cur.execute("SELECT ?::INTEGER + 1 AS a, ?::VARCHAR AS b", (1, "z"))
        assert cur.fetchall() == [(2, "z")]


def test_prepare_parameter_schema_without_parameters(conn):
    with conn.cursor() as cur:
        schema = cur.adbc_prepare("SELECT 1 AS one")
        assert schema is not None and len(schema) == 0


def test_ddl_and_dml_through_execute(conn):
    """DBAPI execute() always takes the query path (prepare + GetFlightInfo + DoGet), also for DDL/DML."""
    with conn.cursor() as cur:
        cur.execute("CREATE OR REPLACE TABLE py_ddl (a INTEGER, b VARCHAR)")
        cur.fetch_arrow_table()
        cur.execute("INSERT INTO py_ddl VALUES (1, 'x'), (2, 'y'), (3, NULL)")
        result = cur.fetch_arrow_table()
        if "Count" in result.schema.names:
            assert result.column("Count").to_pylist() == [3]
        cur.execute("UPDATE py_ddl SET b = 'z' WHERE a >= 2")
        result = cur.fetch_arrow_table()
        if "Count" in result.schema.names:
            assert result.column("Count").to_pylist() == [2]
        cur.execute("DELETE FROM py_ddl WHERE a = 1")
        cur.fetch_arrow_table()
        cur.execute("SELECT a, b FROM py_ddl ORDER BY a")
        assert cur.fetchall() == [(2, "z"), (3, "z")]
        cur.execute("ALTER TABLE py_ddl ADD COLUMN c DOUBLE DEFAULT 1.5")
        cur.fetch_arrow_table()
        cur.execute("SELECT sum(c) FROM py_ddl")
        assert cur.fetchall() == [(3.0,)]
        cur.execute("DROP TABLE py_ddl")
        cur.fetch_arrow_table()
        with pytest.raises(helpers.flightsql.Error):
            cur.execute("SELECT * FROM py_ddl")
            cur.fetchall()


def test_update_path_row_counts(conn):
    """The ADBC update path (DoPut CommandStatementUpdate) reports affected row counts."""
    with conn.cursor() as cur:
        stmt = cur.adbc_statement
        stmt.set_sql_query("CREATE OR REPLACE TABLE py_upd (a INTEGER)")
        stmt.execute_update()
        stmt.set_sql_query("INSERT INTO py_upd SELECT range FROM range(17)")
        assert stmt.execute_update() == 17
        stmt.set_sql_query("UPDATE py_upd SET a = a + 100 WHERE a < 5")
        assert stmt.execute_update() == 5
        stmt.set_sql_query("DELETE FROM py_upd WHERE a >= 100")
        assert stmt.execute_update() == 5
        cur.execute("SELECT count(*) FROM py_upd")
        assert cur.fetchall() == [(12,)]


def test_executescript_multiple_statements(conn):
    with conn.cursor() as cur:
        cur.executescript(
            "CREATE OR REPLACE TABLE py_multi (a INTEGER); INSERT INTO py_multi VALUES (1), (2); "
            "INSERT INTO py_multi VALUES (3);")
        cur.execute("SELECT sum(a), count(*) FROM py_multi")
        assert cur.fetchall() == [(6, 3)]


def test_rowcount_for_select(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM range(123)")
        table = cur.fetch_arrow_table()
        assert table.num_rows == 123
        assert cur.rowcount in (-1, 123)


def test_tables_shared_between_connections(connect):
    a = connect()
    b = connect()
    with a.cursor() as cur:
        cur.executescript("CREATE OR REPLACE TABLE py_shared AS SELECT 'visible' AS v")
    assert helpers.query_rows(b, "SELECT v FROM py_shared") == [("visible",)]


def test_fetch_apis(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT range AS i, 'v' || range AS s FROM range(5) ORDER BY i")
        assert cur.fetchone() == (0, "v0")
        assert cur.fetchmany(2) == [(1, "v1"), (2, "v2")]
        assert cur.fetchall() == [(3, "v3"), (4, "v4")]
        assert [d[0] for d in cur.description] == ["i", "s"]


def test_client_deadlines_far_in_the_future_are_harmless(server, connect):
    """Clients commonly set call deadlines (here 120 s); a query that takes milliseconds must not be
    cancelled because of one."""
    kwargs = {"adbc.flight.sql.rpc.timeout_seconds." + k: "120" for k in helpers.DEADLINE_OPTIONS}
    c = connect(**kwargs)
    assert helpers.query_rows(c, "SELECT 42 AS answer") == [(42,)]
    assert helpers.query_rows(c, "SELECT ?::INTEGER + 1 AS a", (1,)) == [(2,)]
    with c.cursor() as cur:
        cur.executescript("CREATE OR REPLACE TABLE py_deadline AS SELECT 1 AS a")
    assert helpers.query_rows(c, "SELECT a FROM py_deadline") == [(1,)]
