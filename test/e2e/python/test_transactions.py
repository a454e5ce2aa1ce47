"""Flight SQL transactions through the ADBC DBAPI (autocommit off) and on the wire with
pyarrow.flight: isolation, commit, rollback (DML and DDL), parameters and executemany inside a
transaction, an aborted transaction, two cursors sharing one transaction, write-write conflicts,
rollback on close, and the raw Begin/EndTransaction actions with their errors.
"""

import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

import flight_proto as fp
import helpers


def unique(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def rows(conn, sql, params=None):
    """Runs sql on a fresh cursor (so no prepared statement is reused) and returns all rows."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def count(conn, table):
    return rows(conn, f"SELECT count(*) FROM {table}")[0][0]


def run(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)


@pytest.fixture
def table(conn):
    """A fresh two-column table created (and dropped) outside any transaction."""
    name = unique("txn_t")
    run(conn, f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v VARCHAR)")
    yield name
    run(conn, f"DROP TABLE IF EXISTS {name}")


def test_sql_info_says_transactions_without_savepoints(flight_session):
    table = fp.query(flight_session.client, flight_session.options(), fp.sql_info(8))
    assert table.column("info_name").to_pylist() == [8]
    # SqlSupportedTransaction: 0 none, 1 transactions, 2 savepoints too
    assert table.column("value").to_pylist() == [1]


def test_uncommitted_rows_visible_inside_invisible_outside_then_commit(connect, conn, table):
    txn = connect(autocommit=False)
    run(txn, f"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')")
    assert rows(txn, f"SELECT id, v FROM {table} ORDER BY id") == [(1, "a"), (2, "b")]
    assert count(conn, table) == 0, "another connection must not see uncommitted rows"
    other_txn = connect(autocommit=False)
    assert count(other_txn, table) == 0, "another transaction must not see them either"
    txn.commit()
    assert rows(conn, f"SELECT id, v FROM {table} ORDER BY id") == [(1, "a"), (2, "b")]
    # the connection is in a new transaction after commit and keeps working
    run(txn, f"INSERT INTO {table} VALUES (3, 'c')")
    assert count(txn, table) == 3
    assert count(conn, table) == 2
    txn.commit()
    assert count(conn, table) == 3


def test_rollback_discards_changes(connect, conn, table):
    run(conn, f"INSERT INTO {table} VALUES (1, 'kept')")
    txn = connect(autocommit=False)
    run(txn, f"INSERT INTO {table} VALUES (2, 'gone')")
    run(txn, f"UPDATE {table} SET v = 'changed' WHERE id = 1")
    run(txn, f"DELETE FROM {table} WHERE id = 1")
    assert rows(txn, f"SELECT id, v FROM {table}") == [(2, "gone")]
    txn.rollback()
    assert rows(txn, f"SELECT id, v FROM {table}") == [(1, "kept")]
    assert rows(conn, f"SELECT id, v FROM {table}") == [(1, "kept")]


def test_rollback_of_ddl(connect, conn, table):
    created = unique("txn_ddl")
    run(conn, f"INSERT INTO {table} VALUES (1, 'x')")
    txn = connect(autocommit=False)
    run(txn, f"CREATE TABLE {created} AS SELECT 42 AS answer")
    assert rows(txn, f"SELECT answer FROM {created}") == [(42,)]
    with pytest.raises(Exception) as info:
        rows(conn, f"SELECT * FROM {created}")
    assert helpers.error_code(info.value) == helpers.GRPC_NOT_FOUND, info.value
    run(txn, f"DROP TABLE {table}")
    run(txn, f"ALTER TABLE {created} RENAME COLUMN answer TO a2")
    txn.rollback()
    with pytest.raises(Exception) as info:
        rows(txn, f"SELECT * FROM {created}")
    assert helpers.error_code(info.value) == helpers.GRPC_NOT_FOUND, info.value
    assert rows(txn, f"SELECT id, v FROM {table}") == [(1, "x")], "the dropped table is back"


def test_parameters_inside_a_transaction(connect, conn, table):
    txn = connect(autocommit=False)
    with txn.cursor() as cur:
        cur.execute(f"INSERT INTO {table} VALUES (?, ?)", (10, "ten"))
        cur.execute(f"INSERT INTO {table} VALUES (?, ?)", (11, None))
        cur.execute(f"SELECT id, v FROM {table} WHERE id >= ? ORDER BY id", (10,))
        assert cur.fetchall() == [(10, "ten"), (11, None)]
        cur.execute(f"UPDATE {table} SET v = ? WHERE id = ?", ("eleven", 11))
    assert count(conn, table) == 0
    txn.rollback()
    assert count(txn, table) == 0
    with txn.cursor() as cur:
        cur.execute(f"INSERT INTO {table} VALUES (?, ?)", (12, "twelve"))
    txn.commit()
    assert rows(conn, f"SELECT id, v FROM {table}") == [(12, "twelve")]


def test_executemany_inside_a_transaction_then_rollback(connect, conn, table):
    txn = connect(autocommit=False)
    with txn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(i, f"v{i}") for i in range(200)])
    assert rows(txn, f"SELECT count(*), sum(id), min(v), max(v) FROM {table}") == [(200, 19900, "v0", "v99")]
    assert count(conn, table) == 0
    txn.rollback()
    assert count(conn, table) == 0
    assert count(txn, table) == 0
    with txn.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(i, "w") for i in range(5)])
    txn.commit()
    assert rows(conn, f"SELECT count(*), sum(id) FROM {table}") == [(5, 10)]


def test_same_statement_reused_across_commits(connect, conn, table):
    """The DBAPI prepares a statement once per cursor and reuses it for the same SQL: after
    commit or rollback it carries the transaction that ended, and must run in the new one."""
    txn = connect(autocommit=False)
    with txn.cursor() as cur:
        for i in range(3):
            cur.execute(f"INSERT INTO {table} VALUES (?, 'c')", (i,))
            txn.commit()
        cur.execute(f"INSERT INTO {table} VALUES (?, 'r')", (100,))
        txn.rollback()
        cur.execute(f"INSERT INTO {table} VALUES (?, 'r')", (101,))
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchall() == [(4,)]
        assert count(conn, table) == 3, "the second 'r' insert is not committed yet"
        txn.rollback()
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchall() == [(3,)]
    assert rows(conn, f"SELECT id, v FROM {table} ORDER BY id") == [(0, "c"), (1, "c"), (2, "c")]


def test_adbc_ingest_with_autocommit_off_is_committed_at_once(connect, conn):
    """The ADBC Flight SQL driver (1.13) sends CommandStatementIngest without the connection's
    transaction id, so bulk ingestion auto-commits even with autocommit off: visible to others at
    once, and a rollback does not undo it."""
    name = unique("txn_ingest")
    data = pa.table({"id": pa.array(range(1000), pa.int64()), "s": [f"s{i}" for i in range(1000)]})
    txn = connect(autocommit=False)
    try:
        with txn.cursor() as cur:
            assert cur.adbc_ingest(name, data, mode="create") in (1000, -1)
        assert rows(conn, f"SELECT count(*), sum(id), max(s) FROM {name}") == [(1000, 499500, "s999")]
        run(txn, f"DELETE FROM {name} WHERE id < 10")
        assert count(txn, name) == 990
        txn.rollback()
        assert count(conn, name) == 1000, "the rollback undoes the DELETE, not the ingest"
    finally:
        run(conn, f"DROP TABLE IF EXISTS {name}")


def test_failed_statement_aborts_the_transaction_until_rollback(connect, conn, table):
    txn = connect(autocommit=False)
    run(txn, f"INSERT INTO {table} VALUES (1, 'first')")
    with pytest.raises(Exception) as info:
        run(txn, f"INSERT INTO {table} VALUES (1, 'duplicate')")
    assert "Constraint Error" in str(info.value), info.value
    for sql in ("SELECT 1", f"SELECT count(*) FROM {table}"):
        with pytest.raises(Exception) as info:
            rows(txn, sql)
        assert "transaction is aborted" in str(info.value), info.value
    txn.rollback()
    assert rows(txn, "SELECT 1") == [(1,)]
    assert count(txn, table) == 0
    assert count(conn, table) == 0


def test_commit_of_an_aborted_transaction_fails(connect, conn, table):
    """A commit that cannot commit must say so: DuckDB itself silently rolls back."""
    txn = connect(autocommit=False)
    run(txn, f"INSERT INTO {table} VALUES (1, 'first')")
    with pytest.raises(Exception):
        run(txn, f"INSERT INTO {table} VALUES (1, 'duplicate')")
    with pytest.raises(Exception) as info:
        txn.commit()
    assert "aborted" in str(info.value), info.value
    assert count(conn, table) == 0
    # The ADBC driver drops its transaction when a commit fails (it does not begin another), so
    # this connection can only be closed now; a new one works.
    txn.close()
    again = connect(autocommit=False)
    run(again, f"INSERT INTO {table} VALUES (2, 'second')")
    again.commit()
    assert rows(conn, f"SELECT id, v FROM {table}") == [(2, "second")]


@pytest.mark.timeout(120)
def test_two_cursors_while_the_first_result_is_unread(connect, table):
    """A second statement of the same transaction while the first result is still streaming:
    no deadlock, and both results are complete and exact."""
    txn = connect(autocommit=False)
    run(txn, f"INSERT INTO {table} SELECT i, 'r' || i FROM range(100000) t(i)")
    n = 2_000_000
    big = txn.cursor()
    small = txn.cursor()
    try:
        big.execute(f"SELECT i, i * 3 AS j FROM range({n}) t(i)")
        snapshot = txn.cursor()
        snapshot.execute(f"SELECT id, v FROM {table}")
        small.execute(f"DELETE FROM {table} WHERE id % 2 = 0")
        small.execute(f"SELECT count(*), sum(id) FROM {table}")
        assert small.fetchall() == [(50000, 2500000000)]
        # read the results started before the DELETE only now: they are what they were then
        before = snapshot.fetch_arrow_table()
        assert before.num_rows == 100000
        assert pc.sum(before.column("id")).as_py() == 4999950000
        result = big.fetch_arrow_table()
        assert result.num_rows == n
        assert result.column("i").to_pylist()[:3] == [0, 1, 2]
        assert pc.sum(result.column("i")).as_py() == n * (n - 1) // 2
        assert pc.sum(result.column("j")).as_py() == 3 * n * (n - 1) // 2
        snapshot.close()
    finally:
        big.close()
        small.close()
    txn.rollback()
    assert count(txn, table) == 0


@pytest.mark.timeout(120)
def test_reading_a_spilled_result_does_not_disturb_the_next_statement(connect):
    """A result read into memory (spilled) gave its connection to the transaction's next statement:
    finishing it must not interrupt whatever runs there now."""
    txn = connect(autocommit=False)
    for i in range(30):
        with txn.cursor() as big, txn.cursor() as other:
            big.execute("SELECT i FROM range(300000) t(i)")
            other.execute("SELECT 1")  # waits for the connection: the big result spills
            assert other.fetchall() == [(1,)]
            assert big.fetch_arrow_table().num_rows == 300000
            other.execute("SELECT 2")
            assert other.fetchall() == [(2,)]
        assert rows(txn, f"SELECT {i} + 1") == [(i + 1,)], f"iteration {i}"


def test_write_write_conflict_fails_the_second_commit(connect, conn, table):
    first = connect(autocommit=False)
    second = connect(autocommit=False)
    run(first, f"INSERT INTO {table} VALUES (7, 'first')")
    run(second, f"INSERT INTO {table} VALUES (7, 'second')")
    first.commit()
    with pytest.raises(Exception) as info:
        second.commit()
    message = str(info.value)
    assert "Failed to commit" in message and "duplicate key" in message, message
    assert helpers.error_code(info.value) == "FailedPrecondition", message
    assert rows(conn, f"SELECT id, v FROM {table}") == [(7, "first")]


def test_conflicting_update_fails_at_once(connect, conn, table):
    run(conn, f"INSERT INTO {table} VALUES (1, 'base')")
    first = connect(autocommit=False)
    second = connect(autocommit=False)
    run(first, f"UPDATE {table} SET v = 'first' WHERE id = 1")
    with pytest.raises(Exception) as info:
        run(second, f"UPDATE {table} SET v = 'second' WHERE id = 1")
    assert "Conflict on update" in str(info.value), info.value
    assert helpers.error_code(info.value) == "FailedPrecondition", info.value
    first.commit()
    second.rollback()
    assert rows(conn, f"SELECT v FROM {table}") == [("first",)]


def test_closing_a_connection_rolls_back_its_transaction(server, connect, conn, table):
    run(conn, f"INSERT INTO {table} VALUES (1, 'base')")
    txn = helpers.connect(server, autocommit=False)
    run(txn, f"INSERT INTO {table} VALUES (2, 'uncommitted')")
    run(txn, f"UPDATE {table} SET v = 'locked' WHERE id = 1")
    txn.close()  # ADBC sends CloseSession, which rolls the transaction back
    assert rows(conn, f"SELECT id, v FROM {table}") == [(1, "base")]
    # the rolled-back transaction no longer holds the row: a new one may change it
    other = connect(autocommit=False)
    run(other, f"UPDATE {table} SET v = 'free' WHERE id = 1")
    other.commit()
    assert rows(conn, f"SELECT v FROM {table}") == [("free",)]


# --- the raw actions ---------------------------------------------------------------------------
# pyarrow.flight turns NOT_FOUND into ArrowKeyError and INVALID_ARGUMENT into ArrowInvalid, with
# "Flight returned <status> error" in the message.

def test_raw_begin_and_end_transaction(flight_session, conn, table):
    client, opts = flight_session.client, flight_session.options()
    txn = fp.begin_transaction(client, opts)
    assert fp.update(client, opts, fp.statement_update(f"INSERT INTO {table} VALUES (1, 'raw')", txn)) == 1
    inside = fp.query(client, opts, fp.statement_query(f"SELECT id, v FROM {table}", txn))
    assert inside.to_pylist() == [{"id": 1, "v": "raw"}]
    outside = fp.query(client, opts, fp.statement_query(f"SELECT count(*) AS n FROM {table}"))
    assert outside.to_pylist() == [{"n": 0}]
    assert fp.end_transaction(client, opts, txn, fp.COMMIT) == []
    assert rows(conn, f"SELECT id, v FROM {table}") == [(1, "raw")]

    txn = fp.begin_transaction(client, opts)
    assert fp.update(client, opts, fp.statement_update(f"DELETE FROM {table}", txn)) == 1
    assert fp.end_transaction(client, opts, txn, fp.ROLLBACK) == []
    assert count(conn, table) == 1
    # an ended transaction is gone
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.end_transaction(client, opts, txn, fp.COMMIT)
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.query(client, opts, fp.statement_query("SELECT 1", txn))


def test_raw_unknown_transaction_is_not_found(flight_session):
    client, opts = flight_session.client, flight_session.options()
    bogus = b"t-00000000-0000-0000-0000-000000000000"
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.end_transaction(client, opts, bogus, fp.ROLLBACK)
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.query(client, opts, fp.statement_query("SELECT 1", bogus))
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.update(client, opts, fp.statement_update("CREATE TABLE txn_never (a INT)", bogus))
    with pytest.raises(pa.ArrowKeyError, match="not found error.*unknown transaction"):
        fp.query(client, opts, fp.statement_query("SELECT 1", b"x"))


def test_raw_end_transaction_needs_a_valid_action(flight_session):
    client, opts = flight_session.client, flight_session.options()
    txn = fp.begin_transaction(client, opts)
    with pytest.raises(pa.ArrowInvalid, match="invalid argument error.*COMMIT or ROLLBACK"):
        fp.end_transaction(client, opts, txn, 0)
    # the transaction survives a malformed request
    assert fp.query(client, opts, fp.statement_query("SELECT 5 AS five", txn)).to_pylist() == [{"five": 5}]
    fp.end_transaction(client, opts, txn, fp.ROLLBACK)


def test_raw_transaction_is_usable_from_another_client_with_the_token(server, flight_session, table):
    client, opts = flight_session.client, flight_session.options()
    txn = fp.begin_transaction(client, opts)
    other = flight.FlightClient(server.uri)
    try:
        fp.update(other, opts, fp.statement_update(f"INSERT INTO {table} VALUES (9, 'other')", txn))
        seen = fp.query(client, opts, fp.statement_query(f"SELECT id FROM {table}", txn))
        assert seen.to_pylist() == [{"id": 9}]
    finally:
        other.close()
        fp.end_transaction(client, opts, txn, fp.ROLLBACK)


def test_close_session_rolls_back_its_transactions(server, conn, table):
    session = helpers.FlightSession(server)
    try:
        client, opts = session.client, session.options()
        txn = fp.begin_transaction(client, opts)
        fp.update(client, opts, fp.statement_update(f"INSERT INTO {table} VALUES (5, 'x')", txn))
        assert fp.close_session(client, opts) == 1
        with pytest.raises(pa.ArrowKeyError, match="unknown transaction"):
            fp.query(client, opts, fp.statement_query(f"SELECT * FROM {table}", txn))
        assert count(conn, table) == 0
    finally:
        session.close()
