"""Arrow → DuckDB → Arrow: every Arrow type a client can bind is sent as a typed parameter batch,
echoed back by the server, and must come back as the same value, typed as DuckDB's own answer."""

import datetime
import decimal

import duckdb
import pyarrow as pa

UTC = datetime.timezone.utc

# (Arrow type, value, DuckDB type it is echoed as)
CASES = [
    (pa.int8(), -128, "TINYINT"),
    (pa.int16(), 32767, "SMALLINT"),
    (pa.int32(), -2_147_483_648, "INTEGER"),
    (pa.int64(), 9_223_372_036_854_775_807, "BIGINT"),
    (pa.uint8(), 255, "UTINYINT"),
    (pa.uint16(), 65535, "USMALLINT"),
    (pa.uint32(), 4_294_967_295, "UINTEGER"),
    (pa.uint64(), 18_446_744_073_709_551_615, "UBIGINT"),
    (pa.float32(), 1.5, "FLOAT"),
    (pa.float64(), -1e300, "DOUBLE"),
    (pa.string(), "naïve 🦆 text longer than twelve bytes", "VARCHAR"),
    (pa.large_string(), "large", "VARCHAR"),
    (pa.binary(), b"\x00\x01\xfe\xff", "BLOB"),
    (pa.bool_(), False, "BOOLEAN"),
    (pa.decimal128(10, 2), decimal.Decimal("-12345678.90"), "DECIMAL(10,2)"),
    (pa.decimal128(38, 10), decimal.Decimal("1234567890123456789012345678.0123456789"), "DECIMAL(38,10)"),
    (pa.date32(), datetime.date(1969, 7, 20), "DATE"),
    (pa.time64("us"), datetime.time(23, 59, 59, 999999), "TIME"),
    (pa.timestamp("s"), datetime.datetime(2001, 2, 3, 4, 5, 6), "TIMESTAMP_S"),
    (pa.timestamp("ms"), datetime.datetime(1960, 1, 1, 0, 0, 0, 123000), "TIMESTAMP_MS"),
    (pa.timestamp("us"), datetime.datetime(2024, 2, 29, 12, 34, 56, 123456), "TIMESTAMP"),
    (pa.timestamp("ns"), datetime.datetime(2030, 1, 1, 0, 0, 0, 1), "TIMESTAMP_NS"),
    (pa.timestamp("us", tz="UTC"), datetime.datetime(2024, 1, 1, 8, 0, tzinfo=UTC), "TIMESTAMPTZ"),
    (pa.month_day_nano_interval(), pa.MonthDayNano([14, -3, 5_000_000_000]), "INTERVAL"),
]


def test_every_bindable_arrow_type_round_trips(conn):
    params = pa.RecordBatch.from_arrays(
        [pa.array([v], type=t) for t, v, _ in CASES], names=[str(i) for i in range(len(CASES))])
    sql = "SELECT " + ", ".join(f"?::{d} AS c{i}" for i, (_, _, d) in enumerate(CASES))
    with conn.cursor() as cur:
        cur.execute(sql, params)
        got = cur.fetch_arrow_table()

    ref = duckdb.connect()
    try:
        expected = ref.execute(sql, [v if not isinstance(v, pa.MonthDayNano) else "14 months -3 days 5 seconds"
                                     for _, v, _ in CASES]).to_arrow_table()
    finally:
        ref.close()

    assert got.schema.equals(expected.schema), f"{got.schema}\n!=\n{expected.schema}"
    row = got.to_pylist()[0]
    want = expected.to_pylist()[0]
    for i, (t, v, d) in enumerate(CASES):
        assert row[f"c{i}"] == want[f"c{i}"], f"{t} as {d}: got {row[f'c{i}']!r}, DuckDB says {want[f'c{i}']!r}"


def test_nulls_of_every_bindable_type_round_trip(conn):
    params = pa.RecordBatch.from_arrays(
        [pa.array([None], type=t) for t, _, _ in CASES], names=[str(i) for i in range(len(CASES))])
    sql = "SELECT " + ", ".join(f"?::{d} IS NULL AS c{i}" for i, (_, _, d) in enumerate(CASES))
    with conn.cursor() as cur:
        cur.execute(sql, params)
        assert all(cur.fetchall()[0])
