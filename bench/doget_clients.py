#!/usr/bin/env python3
"""Python side of the doget bench: fetch the 10M-row table from every server, in the same process.

Paths (each runs only if its URI is given):
  skein_adbc   Skein, ADBC DBAPI: cursor.execute("SELECT * FROM bench10m") + fetch_arrow_table()   [G1 numerator]
  skein_flight Skein, pyarrow.flight by hand: GetFlightInfo(CommandStatementQuery) + DoGet.read_all()
  raw_flight   raw grpc-js server, pyarrow.flight do_get(...).read_all()                            [G1 ceiling]
  raw_adbc     raw grpc-js server, ADBC DBAPI (same client stack as skein_adbc)
  peer_flight  pyarrow.flight (C++) server, pyarrow.flight do_get(...).read_all()

Each path gets one warm-up, then --rounds rounds interleaved across paths (so drift hits every path
alike); the best round counts. bytes = the received pyarrow Table's nbytes.
With --create, first creates bench10m inside Skein through ADBC's update path.
Prints one JSON object (and writes it to --out).
"""

import argparse
import gc

import pyarrow as pa

from benchlib import BENCH_SQL_CREATE, LowLevelFlightSql, adbc_connect, adbc_update, now, write_json

import pyarrow.flight as flight

EXPECTED_TYPES = [pa.int64(), pa.float64(), pa.int32(), pa.float64()]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skein-uri")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--raw-uri")
    ap.add_argument("--peer-uri")
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--create", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()

    sql = "SELECT * FROM bench10m"
    result = {"bench": "doget-python-clients", "rows": args.rows, "rounds": args.rounds, "paths": {}}
    fetchers = {}
    closers = []

    if args.skein_uri:
        conn = adbc_connect(args.skein_uri, args.user, args.password)
        closers.append(conn.close)
        if args.create:
            t0 = now()
            adbc_update(conn, BENCH_SQL_CREATE.format(rows=args.rows))
            result["create_table_s"] = now() - t0
        cur = conn.cursor()
        closers.insert(0, cur.close)

        def skein_adbc(cur=cur):
            cur.execute(sql)
            return cur.fetch_arrow_table()

        fetchers["skein_adbc"] = skein_adbc

        ll = LowLevelFlightSql(args.skein_uri, args.user, args.password)
        closers.append(ll.close)
        fetchers["skein_flight"] = lambda ll=ll: ll.query(sql)

    if args.raw_uri:
        raw = flight.FlightClient(args.raw_uri)
        closers.append(raw.close)
        fetchers["raw_flight"] = lambda raw=raw: raw.do_get(flight.Ticket(b"bench10m")).read_all()
        rconn = adbc_connect(args.raw_uri)
        closers.append(rconn.close)
        rcur = rconn.cursor()
        closers.insert(0, rcur.close)

        def raw_adbc(rcur=rcur):
            rcur.execute(sql)
            return rcur.fetch_arrow_table()

        fetchers["raw_adbc"] = raw_adbc

    if args.peer_uri:
        peer = flight.FlightClient(args.peer_uri)
        closers.append(peer.close)
        fetchers["peer_flight"] = lambda peer=peer: peer.do_get(flight.Ticket(b"bench10m")).read_all()

    def run(name):
        gc.collect()
        t0 = now()
        tbl = fetchers[name]()
        dt = now() - t0
        info = {"rows": tbl.num_rows, "nbytes": tbl.nbytes, "batches": len(tbl.to_batches()),
                "types": [str(t) for t in tbl.schema.types]}
        ok_types = [t for t in tbl.schema.types] == EXPECTED_TYPES
        del tbl
        if info["rows"] != args.rows:
            raise SystemExit(f"{name}: expected {args.rows} rows, got {info['rows']}")
        if not ok_types:
            print(f"warning: {name}: unexpected types {info['types']}", flush=True)
        return dt, info

    for name in fetchers:  # warm-up
        _, info = run(name)
        result["paths"][name] = dict(info, times_s=[])
    for _ in range(args.rounds):
        for name in fetchers:
            dt, _ = run(name)
            result["paths"][name]["times_s"].append(dt)
    for name, p in result["paths"].items():
        p["best_s"] = min(p["times_s"])
        p["bytes_per_s"] = p["nbytes"] / p["best_s"]

    for c in closers:
        try:
            c()
        except Exception:
            pass
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
