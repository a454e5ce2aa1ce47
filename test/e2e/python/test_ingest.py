"""Bulk ingest (DoPut CommandStatementIngest) through ADBC's adbc_ingest and raw pyarrow.flight:
every mode, target catalog/schema, every Arrow type compared with DuckDB's own Arrow import, a large
generated stream, and failures that must leave the target exactly as it was."""

import datetime
import decimal
import struct
import threading
import time
import uuid

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.flight as flight
import pytest

import helpers

dbapi = helpers.flightsql


def _name(stem):
    return f"py_ingest_{stem}_{uuid.uuid4().hex[:8]}"


def _rows(conn, sql):
    return helpers.query_rows(conn, sql)


def _count(conn, table):
    return _rows(conn, f'SELECT count(*) FROM "{table}"')[0][0]


def _exists(conn, table):
    return _rows(conn, f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{table}'")[0][0] == 1


def _expect_error(fn, code):
    with pytest.raises(dbapi.Error) as info:
        fn()
    assert helpers.error_code(info.value) == code, f"gRPC code {helpers.error_code(info.value)} != {code}: {info.value}"
    return info.value


SMALL = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "s": pa.array(["a", None, "a string longer than 12"])})


# --- modes ------------------------------------------------------------------------------------

def test_create_append_replace_create_append(conn):
    t = _name("modes")
    with conn.cursor() as cur:
        assert cur.adbc_ingest(t, SMALL, mode="create") == 3
        assert _rows(conn, f'SELECT id, s FROM "{t}" ORDER BY id') == [(1, "a"), (2, None), (3, "a string longer than 12")]
        assert cur.adbc_ingest(t, SMALL, mode="append") == 3
        assert _count(conn, t) == 6
        assert cur.adbc_ingest(t, SMALL, mode="create_append") == 3
        assert _count(conn, t) == 9
        assert cur.adbc_ingest(t, SMALL.slice(0, 1), mode="replace") == 1
        assert _rows(conn, f'SELECT id, s FROM "{t}"') == [(1, "a")]
        t2 = _name("create_append_new")
        assert cur.adbc_ingest(t2, SMALL, mode="create_append") == 3
        assert _count(conn, t2) == 3
        t3 = _name("replace_new")
        assert cur.adbc_ingest(t3, SMALL, mode="replace") == 3
        assert _count(conn, t3) == 3


def test_append_matches_columns_by_name(conn):
    t = _name("byname")
    with conn.cursor() as cur:
        cur.execute(f'CREATE TABLE "{t}" (s VARCHAR, id BIGINT)')
        assert cur.adbc_ingest(t, SMALL, mode="append") == 3
    assert _rows(conn, f'SELECT id, s FROM "{t}" ORDER BY id') == [(1, "a"), (2, None), (3, "a string longer than 12")]


def test_append_widens_like_duckdb(conn):
    """int32 data into a BIGINT column: DuckDB casts implicitly, so the append is accepted."""
    t = _name("widen")
    with conn.cursor() as cur:
        cur.execute(f'CREATE TABLE "{t}" (id BIGINT, s VARCHAR)')
        data = pa.table({"id": pa.array([7], pa.int32()), "s": pa.array(["x"])})
        assert cur.adbc_ingest(t, data, mode="append") == 1
    assert _rows(conn, f'SELECT id, s FROM "{t}"') == [(7, "x")]


def test_target_catalog_and_schema(conn):
    t = _name("target")
    schema = _name("schema")
    catalog = _rows(conn, "SELECT current_database()")[0][0]
    with conn.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
        assert cur.adbc_ingest(t, SMALL, mode="create", catalog_name=catalog, db_schema_name=schema) == 3
        assert cur.adbc_ingest(t, SMALL, mode="append", db_schema_name=schema) == 3
    assert _rows(conn, f'SELECT count(*) FROM "{catalog}"."{schema}"."{t}"') == [(6,)]
    assert _rows(conn, f"SELECT schema_name FROM duckdb_tables() WHERE table_name = '{t}'") == [(schema,)]


def test_unknown_catalog_is_not_found(conn):
    with conn.cursor() as cur:
        _expect_error(lambda: cur.adbc_ingest(_name("nocat"), SMALL, mode="create", catalog_name="py_no_such_catalog"),
                      helpers.GRPC_NOT_FOUND)


# --- types -------------------------------------------------------------------------------------

def _every_type_table():
    n = None
    d = decimal.Decimal
    dt = datetime
    return pa.table({
        "id": pa.array([1, 2, 3], pa.int32()),
        "b": pa.array([True, None, False], pa.bool_()),
        "i8": pa.array([-128, None, 127], pa.int8()),
        "i16": pa.array([-32768, None, 32767], pa.int16()),
        "i32": pa.array([-2**31, None, 2**31 - 1], pa.int32()),
        "i64": pa.array([-2**63, None, 2**63 - 1], pa.int64()),
        "u8": pa.array([0, None, 255], pa.uint8()),
        "u16": pa.array([0, None, 65535], pa.uint16()),
        "u32": pa.array([0, None, 2**32 - 1], pa.uint32()),
        "u64": pa.array([0, None, 2**64 - 1], pa.uint64()),
        "f32": pa.array([1.5, None, float("inf")], pa.float32()),
        "f64": pa.array([-0.25, None, float("nan")], pa.float64()),
        "dec4": pa.array([d("-99.99"), n, d("12.34")], pa.decimal128(4, 2)),
        "dec9": pa.array([d("-1234567.89"), n, d("0.01")], pa.decimal128(9, 2)),
        "dec18": pa.array([d("-123456789012345.678"), n, d("1.000")], pa.decimal128(18, 3)),
        "dec38": pa.array([d("-1234567890123456789012345678.0123456789"), n, d("1E-10")], pa.decimal128(38, 10)),
        "utf8": pa.array(["short", None, "ünïcödé and longer than twelve bytes"], pa.utf8()),
        "lutf8": pa.array(["", None, "x" * 100], pa.large_utf8()),
        "bin": pa.array([b"\x00\x01", None, b"\xff" * 40], pa.binary()),
        "lbin": pa.array([b"", None, b"abc"], pa.large_binary()),
        "fbin": pa.array([b"abcd", None, b"\x00\x00\x00\x01"], pa.binary(4)),
        "sview": pa.array(["inline", None, "a view long enough for a data buffer"], pa.string_view()),
        "bview": pa.array([b"\x00", None, b"\x01" * 30], pa.binary_view()),
        "date32": pa.array([dt.date(1970, 1, 1), None, dt.date(2262, 4, 11)], pa.date32()),
        "date64": pa.array([dt.date(1969, 12, 31), None, dt.date(2024, 2, 29)], pa.date64()),
        "t32s": pa.array([0, None, 86399], pa.time32("s")),
        "t32ms": pa.array([1, None, 86399999], pa.time32("ms")),
        "t64us": pa.array([0, None, 86399999999], pa.time64("us")),
        "t64ns": pa.array([1, None, 86399999999999], pa.time64("ns")),
        "ts_s": pa.array([-1, None, 10**10], pa.timestamp("s")),
        "ts_ms": pa.array([-1, None, 10**13], pa.timestamp("ms")),
        "ts_us": pa.array([-1, None, 10**16], pa.timestamp("us")),
        "ts_ns": pa.array([-1, None, 10**18], pa.timestamp("ns")),
        "tstz_s": pa.array([-1, None, 10**10], pa.timestamp("s", tz="UTC")),
        "tstz_ms": pa.array([-1, None, 10**13], pa.timestamp("ms", tz="Europe/Paris")),
        "tstz_us": pa.array([-1, None, 10**16], pa.timestamp("us", tz="UTC")),
        "tstz_ns": pa.array([-1500, None, 10**18 + 999], pa.timestamp("ns", tz="America/New_York")),
        "dur_s": pa.array([-3, None, 2 * 86400 + 5], pa.duration("s")),
        "dur_ms": pa.array([1, None, -1], pa.duration("ms")),
        "dur_us": pa.array([1, None, 10**12], pa.duration("us")),
        "dur_ns": pa.array([-1500, None, 1999], pa.duration("ns")),
        "mdn": pa.array([pa.MonthDayNano([1, 2, 3000]), None, pa.MonthDayNano([-1, -2, -3000])],
                        pa.month_day_nano_interval()),
        "nul": pa.array([None, None, None], pa.null()),
        "lst": pa.array([[1, None, 3], None, []], pa.list_(pa.int32())),
        "llst": pa.array([["a", "long string in a large list"], None, [None]], pa.large_list(pa.utf8())),
        "lstlst": pa.array([[[1], [], None], None, [[2, 3]]], pa.list_(pa.list_(pa.int64()))),
        "fsl": pa.array([[1.5, 2.5], None, [None, 4.0]], pa.list_(pa.float64(), 2)),
        "st": pa.array([{"x": 1, "y": "one"}, None, {"x": None, "y": "three, long enough to be heap"}],
                       pa.struct([("x", pa.int32()), ("y", pa.utf8())])),
        # a NULL struct row whose field still holds a value: the field reads as NULL too
        "stm": pa.StructArray.from_arrays([pa.array([1, 2, 3], pa.int32())], names=["x"],
                                          mask=pa.array([False, True, False])),
        "stlst": pa.array([{"v": [1, 2]}, {"v": None}, None], pa.struct([("v", pa.list_(pa.int16()))])),
        "lstst": pa.array([[{"k": "a", "n": 1}, None], None, []],
                          pa.list_(pa.struct([("k", pa.utf8()), ("n", pa.int64())]))),
        "mp": pa.array([[("k1", 1), ("k2", None)], None, []], pa.map_(pa.utf8(), pa.int32())),
        "uuid": pa.array([uuid.UUID("8f14e45f-ceea-467f-a0e6-6a5f3b0c9d1e").bytes, None, b"\xff" * 16], pa.uuid()),
        "json": pa.array(['{"a": [1, 2]}', None, "3"], pa.json_()),
        "dict": pa.array(["red", None, "blue"]).dictionary_encode(),
        "dict_i": pa.DictionaryArray.from_arrays(pa.array([1, None, 0], pa.int8()), pa.array([10, 20], pa.int64())),
    })


def _duckdb_reference(arrow_tbl, time_zone):
    """What DuckDB itself makes of the same Arrow table: column types and the data read back."""
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{time_zone}'")
        con.register("arrow_tbl", arrow_tbl)
        con.execute("CREATE TABLE x AS SELECT * FROM arrow_tbl")
        types = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'x' ORDER BY column_index").fetchall()
        data = con.execute("SELECT * FROM x ORDER BY id").to_arrow_table()
        return types, data
    finally:
        con.close()


def test_every_type_round_trips_like_duckdb(conn):
    t = _name("types")
    data = _every_type_table()
    with conn.cursor() as cur:
        assert cur.adbc_ingest(t, data, mode="create") == 3
    skein_types = _rows(conn, "SELECT column_name, data_type FROM duckdb_columns() "
                              f"WHERE table_name = '{t}' ORDER BY column_index")
    time_zone = _rows(conn, "SELECT current_setting('TimeZone')")[0][0]
    ref_types, ref_data = _duckdb_reference(data, time_zone)
    assert skein_types == ref_types
    got = helpers.query_table(conn, f'SELECT * FROM "{t}" ORDER BY id')
    helpers.assert_table_matches(got, ref_data, ordered=True, label="ingested table")
    assert _rows(conn, f'SELECT stm.x FROM "{t}" ORDER BY id') == [(1,), (None,), (3,)]


def _nested_rows(n):
    """Rows whose NULLs and list lengths vary, so chunk and batch boundaries cut through them."""
    rows = []
    for i in range(n):
        rows.append({
            "id": i,
            "s": None if i % 5 == 0 else ("s%d" % i) * (i % 7),
            "lst": None if i % 11 == 0 else [None if (i + k) % 4 == 0 else i + k for k in range(i % 9)],
            "st": None if i % 13 == 0 else {"a": None if i % 3 == 0 else i, "b": [str(i)] * (i % 3)},
            "mp": None if i % 17 == 0 else [("k%d" % k, None if k % 2 else float(k)) for k in range(i % 4)],
            "fsl": None if i % 19 == 0 else [i, None if i % 2 else -i, i * 2],
            "d": None if i % 23 == 0 else ["x", "y", "z"][i % 3],
            "b": None if i % 6 == 0 else i % 2 == 0,
        })
    schema = pa.schema([
        ("id", pa.int64()), ("s", pa.utf8()), ("lst", pa.list_(pa.int64())),
        ("st", pa.struct([("a", pa.int64()), ("b", pa.list_(pa.utf8()))])),
        ("mp", pa.map_(pa.utf8(), pa.float64())), ("fsl", pa.list_(pa.int32(), 3)),
        ("d", pa.dictionary(pa.int16(), pa.utf8())), ("b", pa.bool_()),
    ])
    return pa.Table.from_pylist(rows, schema=schema)


def test_nested_types_across_chunk_and_batch_boundaries(conn):
    t = _name("nested")
    table = _nested_rows(12_000)
    sizes = [1, 2047, 2049, 777, 3000, 5, 4121]
    batches, at = [], 0
    for size in sizes:
        batches.extend(table.slice(at, size).to_batches())
        at += size
    assert at == table.num_rows
    reader = pa.RecordBatchReader.from_batches(table.schema, batches)
    with conn.cursor() as cur:
        assert cur.adbc_ingest(t, reader, mode="create") == table.num_rows
    time_zone = _rows(conn, "SELECT current_setting('TimeZone')")[0][0]
    _, ref_data = _duckdb_reference(table, time_zone)
    got = helpers.query_table(conn, f'SELECT * FROM "{t}" ORDER BY id')
    helpers.assert_table_matches(got, ref_data, ordered=True, label="nested table")
    # a NULL struct row has NULL fields, as in DuckDB's own Arrow import
    assert _rows(conn, f'SELECT count(*) FROM "{t}" WHERE st IS NULL AND st.a IS NOT NULL') == [(0,)]


def test_types_duckdb_cannot_import_themselves(conn):
    """float16 is widened to FLOAT; decimals up to 38 digits stored in 256 bits fit DuckDB's DECIMAL."""
    t = _name("half")
    data = pa.table({
        "id": pa.array([1, 2], pa.int32()),
        "h": pa.array([1.5, None], pa.float16()),
        "d256": pa.array([decimal.Decimal("-12.5"), None], pa.decimal256(20, 1)),
    })
    with conn.cursor() as cur:
        assert cur.adbc_ingest(t, data, mode="create") == 2
    assert _rows(conn, "SELECT column_name, data_type FROM duckdb_columns() "
                       f"WHERE table_name = '{t}' ORDER BY column_index") == [
        ("id", "INTEGER"), ("h", "FLOAT"), ("d256", "DECIMAL(20,1)")]
    assert _rows(conn, f'SELECT h, d256 FROM "{t}" ORDER BY id') == [(1.5, decimal.Decimal("-12.5")), (None, None)]


def test_unsupported_type_is_invalid_argument(conn):
    t = _name("union")
    u = pa.UnionArray.from_sparse(pa.array([0, 1], pa.int8()), [pa.array([1, 2]), pa.array(["a", "b"])])
    with conn.cursor() as cur:
        err = _expect_error(lambda: cur.adbc_ingest(t, pa.table({"u": u}), mode="create"),
                            helpers.GRPC_INVALID_ARGUMENT)
    assert "not supported" in str(err)
    assert not _exists(conn, t)


# --- a large stream ---------------------------------------------------------------------------

LARGE_ROWS = 1_500_000
LARGE_BATCH = 50_000


def _large_reader():
    schema = pa.schema([("i", pa.int64()), ("x", pa.float64()), ("s", pa.utf8()), ("n", pa.int32())])

    def batches():
        for start in range(0, LARGE_ROWS, LARGE_BATCH):
            i = pa.array(range(start, min(start + LARGE_BATCH, LARGE_ROWS)), pa.int64())
            mod = pc.cast(pc.bit_wise_and(i, 1023), pa.int32())
            s = pc.binary_join_element_wise("v", pc.cast(mod, pa.utf8()), "")
            # every 7th n is NULL
            n = pc.if_else(pc.equal(pc.bit_wise_and(i, 7), 0), pa.scalar(None, pa.int32()), mod)
            yield pa.record_batch([i, pc.multiply(pc.cast(i, pa.float64()), 0.5), s, n], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def test_large_generated_stream_arrives_exactly(conn):
    t = _name("large")
    with conn.cursor() as cur:
        assert cur.adbc_ingest(t, _large_reader(), mode="create") == LARGE_ROWS
    n = LARGE_ROWS
    [(count, sum_i, sum_x, sum_len, nulls, distinct_s)] = _rows(
        conn, f'SELECT count(*), sum(i), sum(x), sum(length(s)), count(*) - count(n), count(DISTINCT s) FROM "{t}"')
    assert count == n
    assert sum_i == n * (n - 1) // 2
    assert sum_x == n * (n - 1) / 4
    assert sum_len == sum(1 + len(str(k & 1023)) for k in range(n))
    assert nulls == (n + 7) // 8
    assert distinct_s == 1024


# --- failures leave the target as it was -----------------------------------------------------

def test_create_on_existing_table_fails_and_keeps_rows(conn):
    t = _name("exists")
    with conn.cursor() as cur:
        cur.adbc_ingest(t, SMALL, mode="create")
        err = _expect_error(lambda: cur.adbc_ingest(t, SMALL, mode="create"), "AlreadyExists")
    assert "already exists" in str(err)
    assert _rows(conn, f'SELECT id FROM "{t}" ORDER BY id') == [(1,), (2,), (3,)]


def test_append_to_missing_table_is_not_found(conn):
    t = _name("missing")
    with conn.cursor() as cur:
        _expect_error(lambda: cur.adbc_ingest(t, SMALL, mode="append"), helpers.GRPC_NOT_FOUND)
    assert not _exists(conn, t)


@pytest.mark.parametrize("data", [
    pa.table({"id": pa.array(["1"]), "s": pa.array(["x"])}),                    # utf8 into BIGINT
    pa.table({"id": pa.array([1], pa.int64())}),                                  # a column short
    pa.table({"id": pa.array([1], pa.int64()), "s": ["x"], "extra": [1]}),        # a column too many
    pa.table({"id": pa.array([1], pa.int64()), "t": pa.array(["x"])}),           # another name
], ids=["type", "missing-column", "extra-column", "renamed-column"])
def test_append_with_another_schema_fails_and_keeps_rows(conn, data):
    t = _name("mismatch")
    with conn.cursor() as cur:
        cur.adbc_ingest(t, SMALL, mode="create")
        err = _expect_error(lambda: cur.adbc_ingest(t, data, mode="append"), "AlreadyExists")
    assert "different schema" in str(err)
    assert _rows(conn, f'SELECT id, s FROM "{t}" ORDER BY id') == [(1, "a"), (2, None), (3, "a string longer than 12")]


def test_constraint_violation_rolls_back_everything(conn):
    t = _name("notnull")
    with conn.cursor() as cur:
        cur.execute(f'CREATE TABLE "{t}" (id BIGINT NOT NULL, s VARCHAR)')
        cur.adbc_ingest(t, SMALL.slice(0, 1), mode="append")
        many = pa.table({"id": pa.array(list(range(100_000)) + [None], pa.int64()),
                         "s": pa.array(["v"] * 100_001)})
        _expect_error(lambda: cur.adbc_ingest(t, many, mode="append"), "FailedPrecondition")
    assert _rows(conn, f'SELECT id, s FROM "{t}"') == [(1, "a")]


# --- raw Flight: garbage and cancellation mid-stream ------------------------------------------

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _field_varint(number, value):
    return _varint(number << 3) + _varint(value)


def _field_bytes(number, payload):
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


CREATE, FAIL = 1, 2            # TableNotExistOption
EXISTS_FAIL, APPEND, REPLACE = 1, 2, 3


def _ingest_descriptor(table, if_not_exist, if_exists):
    options = _field_varint(1, if_not_exist) + _field_varint(2, if_exists)
    cmd = _field_bytes(1, options) + _field_bytes(2, table.encode())
    return flight.FlightDescriptor.for_command(helpers.pack_any("CommandStatementIngest", cmd))


SCHEMA = pa.schema([("id", pa.int64()), ("s", pa.utf8())])


def _good_batch(start, n):
    return pa.record_batch([pa.array(range(start, start + n), pa.int64()), pa.array(["ok"] * n)], schema=SCHEMA)


def _invalid_utf8_batch():
    offsets = pa.py_buffer(struct.pack("<3i", 0, 2, 4))
    strings = pa.Array.from_buffers(pa.utf8(), 2, [None, offsets, pa.py_buffer(b"\xff\xfeok")])
    return pa.record_batch([pa.array([-1, -2], pa.int64()), strings], schema=SCHEMA)


def _put(session, descriptor, batches, timeout=None):
    writer, reader = session.client.do_put(descriptor, SCHEMA, session.options(timeout))
    for b in batches:
        writer.write_batch(b)
    writer.done_writing()
    meta = reader.read()
    writer.close()
    return meta


def test_raw_flight_ingest_reports_record_count(flight_session, conn):
    t = _name("raw")
    meta = _put(flight_session, _ingest_descriptor(t, CREATE, EXISTS_FAIL), [_good_batch(0, 10), _good_batch(10, 5)])
    # DoPutUpdateResult{record_count = 15}: field 1, varint
    assert meta.to_pybytes() == _field_varint(1, 15)
    assert _count(conn, t) == 15


@pytest.mark.parametrize("if_not_exist,if_exists,existing", [
    (CREATE, EXISTS_FAIL, False),
    (FAIL, APPEND, True),
    (CREATE, REPLACE, True),
], ids=["create", "append", "replace"])
def test_garbage_mid_stream_is_invalid_argument_and_changes_nothing(flight_session, conn, if_not_exist, if_exists,
                                                                    existing):
    t = _name("garbage")
    if existing:
        with conn.cursor() as cur:
            cur.adbc_ingest(t, SMALL, mode="create")
    batches = [_good_batch(0, 3000), _good_batch(3000, 3000), _invalid_utf8_batch(), _good_batch(6000, 10)]
    with pytest.raises(pa.ArrowInvalid) as info:
        _put(flight_session, _ingest_descriptor(t, if_not_exist, if_exists), batches)
    assert "UTF-8" in str(info.value)
    if existing:
        assert _rows(conn, f'SELECT id, s FROM "{t}" ORDER BY id') == [(1, "a"), (2, None), (3, "a string longer than 12")]
    else:
        assert not _exists(conn, t)
    assert helpers.query_rows(conn, "SELECT 1 + 1") == [(2,)]


def test_missing_table_options_are_invalid_argument(flight_session):
    cmd = _field_bytes(2, _name("noopts").encode())
    descriptor = flight.FlightDescriptor.for_command(helpers.pack_any("CommandStatementIngest", cmd))
    with pytest.raises(pa.ArrowInvalid):
        _put(flight_session, descriptor, [_good_batch(0, 1)])


def test_cancelled_upload_changes_nothing(flight_session, conn):
    """The client's deadline passes mid-stream: the server rolls the ingest back."""
    t = _name("cancel")
    with conn.cursor() as cur:
        cur.adbc_ingest(t, SMALL, mode="create")
    writer, reader = flight_session.client.do_put(_ingest_descriptor(t, FAIL, APPEND), SCHEMA,
                                                  flight_session.options(timeout=1.0))
    writer.write_batch(_good_batch(100, 5000))
    time.sleep(1.5)
    with pytest.raises(flight.FlightError):
        writer.write_batch(_good_batch(200, 5000))
        writer.done_writing()
        reader.read()
    try:
        writer.close()
    except flight.FlightError:
        pass
    # the server notices the deadline and rolls back; the table keeps its rows and takes new ones
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with conn.cursor() as cur:
            try:
                assert cur.adbc_ingest(t, SMALL, mode="append") == 3
                break
            except dbapi.Error:
                time.sleep(0.2)
    assert _rows(conn, f'SELECT count(*), min(id), max(id) FROM "{t}"') == [(6, 1, 3)]


def test_concurrent_ingests_into_separate_tables(server):
    names = [_name(f"conc{i}") for i in range(3)]
    errors = []

    def run(name):
        c = helpers.connect(server)
        try:
            with c.cursor() as cur:
                cur.adbc_ingest(name, _large_slice(), mode="create")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in names]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    assert not errors
    c = helpers.connect(server)
    try:
        for n in names:
            assert _count(c, n) == 200_000
    finally:
        c.close()


def _large_slice():
    i = pa.array(range(200_000), pa.int64())
    return pa.table({"i": i, "s": pc.cast(i, pa.utf8())})
