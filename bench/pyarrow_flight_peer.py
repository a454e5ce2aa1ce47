#!/usr/bin/env python3
"""Peer for the doget bench: a pyarrow.flight (Arrow C++ Flight) server serving the bench table.

The table comes from DuckDB (Python package, same version as the server's @duckdb/node-api) running
the same SQL as the Skein bench, so the Arrow types and values are what DuckDB exports. By default it
is re-chunked into ~1 MiB record batches (the same batch size as the raw grpc-js ceiling);
--batch-rows 0 keeps DuckDB's own batches (1M rows, ~28 MB each).

DoGet (any ticket) streams the table; GetFlightInfo (any descriptor) returns one endpoint on itself.

Usage: python bench/pyarrow_flight_peer.py [--host 127.0.0.1] [--port 0] [--rows 10000000] [--batch-rows N]
Prints `listening on grpc://HOST:PORT` when ready; SIGTERM/SIGINT stop it.
"""

import argparse
import signal
import sys
import time

import duckdb
import pyarrow as pa
import pyarrow.flight as flight

BYTES_PER_ROW = 28
ROWS_PER_MIB = (1 << 20) // BYTES_PER_ROW // 64 * 64  # 37440, same as bench/lib/bench-table.mjs


def make_table(rows: int, batch_rows: int) -> pa.Table:
    con = duckdb.connect()
    con.execute("SET threads=2")
    tbl = con.sql(
        "SELECT i::BIGINT a, i::DOUBLE b, (i % 1000000)::INTEGER c, (i*0.5)::DOUBLE d "
        f"FROM range({rows}) t(i)"
    ).to_arrow_table()
    con.close()
    if batch_rows > 0:
        tbl = tbl.combine_chunks()  # contiguous buffers, then zero-copy slices
        tbl = pa.Table.from_batches(tbl.to_batches(max_chunksize=batch_rows), schema=tbl.schema)
    return tbl


class PeerServer(flight.FlightServerBase):
    def __init__(self, location: str, table: pa.Table):
        super().__init__(location)
        self._table = table
        self._location = location

    def do_get(self, context, ticket):
        return flight.RecordBatchStream(self._table)

    def get_flight_info(self, context, descriptor):
        endpoint = flight.FlightEndpoint(b"bench10m", [])
        return flight.FlightInfo(
            self._table.schema, descriptor, [endpoint], self._table.num_rows, self._table.nbytes
        )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--batch-rows", type=int, default=ROWS_PER_MIB)
    args = ap.parse_args()

    t0 = time.perf_counter()
    table = make_table(args.rows, args.batch_rows)
    prep_ms = (time.perf_counter() - t0) * 1000
    server = PeerServer(f"grpc://{args.host}:{args.port}", table)
    print(
        f"pyarrow-flight-peer: {table.num_rows} rows, {table.num_columns} columns, "
        f"{len(table.to_batches())} batches, {table.nbytes} Arrow bytes, prepared in {prep_ms:.0f} ms",
        file=sys.stderr,
        flush=True,
    )

    def stop(*_):
        # shutdown() blocks until serve() returns; call it from a side thread.
        import threading

        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on grpc://{args.host}:{server.port}", flush=True)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
