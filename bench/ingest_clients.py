#!/usr/bin/env python3
"""Python side of the ingest bench: bulk-load the same Arrow table into Skein and into DuckDB itself.

Paths:
  skein_adbc     Skein, ADBC DBAPI: cursor.adbc_ingest(table, reader, mode="replace"), the table streamed
                 as a RecordBatchReader of --batch-rows batches (DoPut CommandStatementIngest)
  duckdb_local   the duckdb package in this process: CREATE OR REPLACE TABLE t AS SELECT * FROM arrow_tbl
                 (DuckDB scanning the Arrow table in memory: no network, no IPC, all threads)

The table: a BIGINT, a DOUBLE, an INTEGER with NULLs and a short VARCHAR (--rows rows), built once by
DuckDB before timing. One warm-up per path, then --rounds rounds interleaved; the best round counts.
Checks that Skein holds the same count and sums afterwards. Prints a report and one JSON object
(also written to --out).
"""

import argparse
import sys

import duckdb
import pyarrow as pa

from benchlib import adbc_connect, now, write_json

TABLE = "bench_ingest"
DATA_SQL = (
    "SELECT i::BIGINT a, i * 0.5 b, CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 100000)::INTEGER END c, "
    "'v' || (i % 1000)::VARCHAR s FROM range({rows}) t(i)"
)
CHECK_SQL = f"SELECT count(*), sum(a), sum(c), sum(length(s)) FROM {TABLE}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skein-uri", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--batch-rows", type=int, default=65_536)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    args = ap.parse_args()

    local = duckdb.connect()
    arrow_tbl = local.execute(DATA_SQL.format(rows=args.rows)).to_arrow_table()
    arrow_tbl = pa.Table.from_batches(arrow_tbl.to_batches(max_chunksize=args.batch_rows))
    nbytes = arrow_tbl.nbytes

    conn = adbc_connect(args.skein_uri, args.user, args.password)
    cur = conn.cursor()

    def skein_adbc():
        reader = pa.RecordBatchReader.from_batches(arrow_tbl.schema, arrow_tbl.to_batches())
        n = cur.adbc_ingest(TABLE, reader, mode="replace")
        assert n == args.rows, f"Skein reported {n} rows, expected {args.rows}"

    def duckdb_local():
        local.register("arrow_tbl", arrow_tbl)
        local.execute(f"CREATE OR REPLACE TABLE {TABLE} AS SELECT * FROM arrow_tbl")

    paths = {"skein_adbc": skein_adbc, "duckdb_local": duckdb_local}
    times = {name: [] for name in paths}
    for name, fn in paths.items():
        fn()  # warm-up
    for _ in range(args.rounds):
        for name, fn in paths.items():
            t0 = now()
            fn()
            times[name].append(now() - t0)

    cur.execute(CHECK_SQL)
    skein_check = [tuple(str(v) for v in row) for row in cur.fetchall()]
    local_check = [tuple(str(v) for v in row) for row in local.execute(CHECK_SQL).fetchall()]
    cur.close()
    conn.close()
    if skein_check != local_check:
        print(f"ingest bench: Skein holds {skein_check}, DuckDB {local_check}", file=sys.stderr)
        return 1

    result = {"bench": "ingest", "rows": args.rows, "arrow_bytes": nbytes, "batch_rows": args.batch_rows,
              "rounds": args.rounds, "paths": {}}
    for name, ts in times.items():
        best = min(ts)
        result["paths"][name] = {"seconds": ts, "best_s": best, "rows_per_s": args.rows / best,
                                 "bytes_per_s": nbytes / best}
    skein = result["paths"]["skein_adbc"]
    duck = result["paths"]["duckdb_local"]
    result["ratio_skein_to_duckdb_local"] = skein["rows_per_s"] / duck["rows_per_s"]

    print(f"ingest: {args.rows:,} rows ({nbytes / 1e6:.0f} MB of Arrow) in {args.batch_rows:,}-row batches, "
          f"best of {args.rounds}", file=sys.stderr)
    for name, p in result["paths"].items():
        print(f"  {name:<13} {p['best_s']:7.3f} s  {p['rows_per_s'] / 1e6:6.2f} M rows/s  "
              f"{p['bytes_per_s'] / 1e6:7.1f} MB/s", file=sys.stderr)
    print(f"  Skein ÷ DuckDB local (rows/s): {result['ratio_skein_to_duckdb_local']:.2f}", file=sys.stderr)
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
