"""Large results: fetched whole through ADBC; streamed through DoGet in batches under 4 MiB."""

import pyarrow as pa
import pyarrow.compute as pc

import helpers

FOUR_MIB = 4 * 1024 * 1024


def test_three_million_rows_through_adbc(conn):
    n = 3_000_000
    with conn.cursor() as cur:
        cur.execute(f"SELECT range AS i, range % 1000 AS m FROM range({n})")
        table = cur.fetch_arrow_table()
    assert table.num_rows == n
    assert table.schema.names == ["i", "m"]
    assert table.schema.field("i").type == pa.int64()
    assert pc.sum(table["i"]).as_py() == n * (n - 1) // 2
    assert pc.count_distinct(table["i"]).as_py() == n
    assert pc.min(table["i"]).as_py() == 0 and pc.max(table["i"]).as_py() == n - 1
    assert pc.sum(table["m"]).as_py() == (n // 1000) * (999 * 1000 // 2)


def _stream_batches(session, sql):
    info = session.flight_info(sql)
    sizes = []
    rows = 0
    tables = []
    for endpoint in info.endpoints:
        reader = session.read_endpoint(endpoint)
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            batch = chunk.data
            sizes.append(pa.ipc.get_record_batch_size(batch))
            rows += batch.num_rows
            tables.append(batch)
    return info, sizes, rows, tables


def test_doget_batches_stay_under_4_mib_narrow(flight_session):
    n = 3_000_000
    info, sizes, rows, batches = _stream_batches(flight_session, f"SELECT range AS i FROM range({n})")
    assert rows == n
    assert sum(pc.sum(b.column(0)).as_py() or 0 for b in batches) == n * (n - 1) // 2
    assert sizes and max(sizes) < FOUR_MIB, f"largest record batch is {max(sizes)} bytes ({len(sizes)} batches)"


def test_doget_batches_stay_under_4_mib_wide(flight_session):
    n = 400_000
    sql = f"SELECT range AS i, repeat('x', 200) || range AS s, range * 1.5 AS d FROM range({n})"
    info, sizes, rows, batches = _stream_batches(flight_session, sql)
    assert rows == n
    assert sizes and max(sizes) < FOUR_MIB, f"largest record batch is {max(sizes)} bytes ({len(sizes)} batches)"
    total_chars = sum(pc.sum(pc.utf8_length(b.column(1))).as_py() for b in batches)
    assert total_chars == sum(200 + len(str(i)) for i in range(n))


def test_single_huge_value_row(flight_session):
    """One row that alone is bigger than 4 MiB cannot be split; the server must still deliver it
    (clients are expected to accept messages up to at least 16 MiB)."""
    sql = "SELECT repeat('y', 6 * 1024 * 1024) AS big"
    info, sizes, rows, batches = _stream_batches(flight_session, sql)
    assert rows == 1
    assert pc.utf8_length(batches[0].column(0))[0].as_py() == 6 * 1024 * 1024
