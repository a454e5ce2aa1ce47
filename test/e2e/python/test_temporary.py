"""Temporary tables live as long as the session: a session that creates one (by SQL or by bulk
ingest with temporary=True) gets a DuckDB connection of its own, where its later statements and
transactions run. Also bulk ingest inside a transaction named by the client (raw Flight SQL, since
ADBC does not send the transaction id with an ingest)."""

import uuid

import pyarrow as pa
import pyarrow.flight as flight
import pytest

import flight_proto as fp
import helpers

dbapi = helpers.flightsql
# pyarrow raises some gRPC codes as FlightError, others (FAILED_PRECONDITION, ALREADY_EXISTS…) as ArrowException
ERRORS = (flight.FlightError, pa.ArrowException)
SMALL = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "s": pa.array(["a", None, "c"])})


def _name(stem):
    return f"py_tmp_{stem}_{uuid.uuid4().hex[:8]}"


def _fails(fn):
    with pytest.raises(dbapi.Error) as info:
        fn()
    return info.value


def test_temporary_ingest_lives_with_the_session(server):
    t = _name("ingest")
    a = helpers.connect(server)
    b = helpers.connect(server)
    try:
        with a.cursor() as cur:
            assert cur.adbc_ingest(t, SMALL, mode="create", temporary=True) == 3
        assert helpers.query_rows(a, f'SELECT id, s FROM "{t}" ORDER BY id') == [(1, "a"), (2, None), (3, "c")]
        assert helpers.query_rows(a, f"SELECT database_name FROM duckdb_tables() WHERE table_name = '{t}'") == [("temp",)]
        with a.cursor() as cur:  # appending to it works too
            assert cur.adbc_ingest(t, SMALL, mode="append", temporary=True) == 3
        assert helpers.query_rows(a, f'SELECT count(*) FROM "{t}"') == [(6,)]
        # another session does not see it
        err = _fails(lambda: helpers.query_rows(b, f'SELECT * FROM "{t}"'))
        assert helpers.error_code(err) == helpers.GRPC_NOT_FOUND, err
    finally:
        a.close()
        b.close()
    # closing the session (ADBC sends CloseSession) dropped it
    c = helpers.connect(server)
    try:
        assert helpers.query_rows(c, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{t}'") == [(0,)]
    finally:
        c.close()


def test_sql_temp_table_persists_across_statements(server):
    t = _name("sql")
    a = helpers.connect(server)
    try:
        with a.cursor() as cur:
            cur.execute(f'CREATE TEMP TABLE "{t}" AS SELECT range AS x FROM range(5)')
            cur.execute(f'INSERT INTO "{t}" VALUES (100)')
            cur.execute(f'SELECT sum(x) FROM "{t}"')
            assert cur.fetchall() == [(110,)]
            cur.execute(f'SELECT x FROM "{t}" WHERE x > ?', (3,))
            assert sorted(cur.fetchall()) == [(4,), (100,)]
    finally:
        a.close()


def test_temporary_ingest_in_a_dbapi_transaction(server):
    """autocommit off (the DBAPI default): the ingest joins the open transaction and the table stays
    for the session after commit; a rollback undoes the rows."""
    t = _name("dbapi")
    a = helpers.connect(server, autocommit=False)
    try:
        with a.cursor() as cur:
            assert cur.adbc_ingest(t, SMALL, mode="create", temporary=True) == 3
            cur.execute(f'SELECT count(*) FROM "{t}"')
            assert cur.fetchall() == [(3,)]
        a.commit()
        with a.cursor() as cur:
            cur.execute(f'INSERT INTO "{t}" VALUES (4, \'d\')')
            cur.execute(f'SELECT count(*) FROM "{t}"')
            assert cur.fetchall() == [(4,)]
        a.rollback()
        with a.cursor() as cur:
            cur.execute(f'SELECT count(*) FROM "{t}"')
            assert cur.fetchall() == [(3,)]
        a.commit()
    finally:
        a.close()


def _ingest_descriptor(table, txn=None, temporary=False):
    # TableDefinitionOptions{if_not_exist=CREATE(1), if_exists=APPEND(2)}
    options = fp.field_varint(1, 1) + fp.field_varint(2, 2)
    cmd = fp.field_len(1, options) + fp.field_len(2, table.encode())
    if temporary:
        cmd += fp.field_varint(5, 1)
    if txn is not None:
        cmd += fp.field_len(6, txn)
    return flight.FlightDescriptor.for_command(fp.pack_any("CommandStatementIngest", cmd))


def _put(session, descriptor, batches, schema):
    writer, reader = session.client.do_put(descriptor, schema, session.options())
    for b in batches:
        writer.write_batch(b)
    writer.done_writing()
    meta = reader.read()
    writer.close()
    return fp.first(fp.parse(meta.to_pybytes()), 1, 0)


def _count(session, table, txn=None):
    tbl = fp.query(session.client, session.options(), fp.statement_query(f'SELECT count(*) AS n FROM "{table}"', txn))
    return tbl.column("n")[0].as_py()


def test_ingest_inside_a_transaction_commits_and_rolls_back_with_it(flight_session, conn):
    t = _name("txn")
    s = flight_session
    batch = SMALL.to_batches()[0]
    txn = fp.begin_transaction(s.client, s.options())
    assert _put(s, _ingest_descriptor(t, txn), [batch], SMALL.schema) == 3
    assert _count(s, t, txn) == 3  # visible inside the transaction
    assert helpers.query_rows(conn, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{t}'") == [(0,)]
    fp.end_transaction(s.client, s.options(), txn, fp.ROLLBACK)
    assert helpers.query_rows(conn, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{t}'") == [(0,)]

    txn = fp.begin_transaction(s.client, s.options())
    assert _put(s, _ingest_descriptor(t, txn), [batch, batch], SMALL.schema) == 6
    fp.end_transaction(s.client, s.options(), txn, fp.COMMIT)
    assert helpers.query_rows(conn, f'SELECT count(*) FROM "{t}"') == [(6,)]


def test_failed_ingest_rolls_its_transaction_back(flight_session, conn):
    t = _name("txnfail")
    s = flight_session
    good = pa.table({"id": pa.array([1], pa.int64()), "s": pa.array(["x"])})
    helpers.query_rows(conn, f'CREATE TABLE "{t}" (id BIGINT NOT NULL, s VARCHAR)')
    txn = fp.begin_transaction(s.client, s.options())
    fp.update(s.client, s.options(), fp.statement_update(f"INSERT INTO \"{t}\" VALUES (10, 'before')", txn))
    bad = pa.table({"id": pa.array([2, None], pa.int64()), "s": pa.array(["y", "z"])})  # NOT NULL violated
    with pytest.raises(ERRORS):
        _put(s, _ingest_descriptor(t, txn), [good.to_batches()[0], bad.to_batches()[0]], good.schema)
    # the transaction is gone with everything in it: later statements and COMMIT say why
    with pytest.raises(ERRORS, match="rolled back"):
        fp.query(s.client, s.options(), fp.statement_query(f'SELECT count(*) FROM "{t}"', txn))
    with pytest.raises(ERRORS, match="rolled back"):
        fp.end_transaction(s.client, s.options(), txn, fp.COMMIT)
    assert helpers.query_rows(conn, f'SELECT count(*) FROM "{t}"') == [(0,)]


def test_ingest_check_failure_leaves_the_transaction_usable(flight_session, conn):
    """A refusal before anything changed (wrong column types) does not cost the client its transaction."""
    t = _name("txncheck")
    s = flight_session
    helpers.query_rows(conn, f'CREATE TABLE "{t}" (id BIGINT, s VARCHAR)')
    txn = fp.begin_transaction(s.client, s.options())
    fp.update(s.client, s.options(), fp.statement_update(f"INSERT INTO \"{t}\" VALUES (1, 'kept')", txn))
    wrong = pa.table({"id": pa.array([b"\x00"], pa.binary()), "s": pa.array(["y"])})
    with pytest.raises(ERRORS):
        _put(s, _ingest_descriptor(t, txn), wrong.to_batches(), wrong.schema)
    fp.end_transaction(s.client, s.options(), txn, fp.COMMIT)
    assert helpers.query_rows(conn, f'SELECT id, s FROM "{t}"') == [(1, "kept")]


def test_sql_info_says_ingest_in_transactions(flight_session):
    s = flight_session
    tbl = fp.query(s.client, s.options(), fp.sql_info(10, 11))
    values = {r["info_name"]: r["value"] for r in tbl.to_pylist()}
    assert values == {10: True, 11: True}
