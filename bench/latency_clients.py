#!/usr/bin/env python3
"""Python side of the latency bench: `SELECT 42` round trips against Skein.

Paths:
  adbc             ADBC DBAPI, one connection and one cursor: cursor.execute + fetchall()   [G5 numerator]
                   (DBAPI prepares once per distinct SQL text on a cursor, so each call is
                   GetFlightInfo(CommandPreparedStatementQuery) + DoGet)
  adbc_new_cursor  ADBC DBAPI, a new cursor per query (CreatePreparedStatement + GetFlightInfo + DoGet +
                   ClosePreparedStatement): what `with conn.cursor() as c: c.execute(...)` costs
  flight           pyarrow.flight by hand, bearer token from authenticate_basic_token:
                   GetFlightInfo(CommandStatementQuery) + DoGet + read_all (no prepared statements)

Each path: --warmup queries, then --rounds rounds of --n timed queries; p50/p99 per round, and the
best (lowest) p50 and p99 over the rounds. Prints one JSON object (and writes it to --out).
"""

import argparse

from benchlib import LowLevelFlightSql, adbc_connect, now, percentile, write_json

SQL = "SELECT 42"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--paths", default="adbc,adbc_new_cursor,flight")
    ap.add_argument("--no-check", action="store_true", help="do not check that the answer is 42")
    ap.add_argument("--out")
    args = ap.parse_args()

    def check(v):
        if not args.no_check and v != 42:
            raise SystemExit(f"SELECT 42 returned {v!r}")

    conn = adbc_connect(args.uri, args.user, args.password)
    cur = conn.cursor()

    def adbc_once():
        cur.execute(SQL)
        rows = cur.fetchall()
        check(rows[0][0])

    def adbc_new_cursor_once():
        with conn.cursor() as c:
            c.execute(SQL)
            rows = c.fetchall()
        check(rows[0][0])

    ll = LowLevelFlightSql(args.uri, args.user, args.password)

    def flight_once():
        tbl = ll.query(SQL)
        check(tbl.column(0)[0].as_py())

    funcs = {"adbc": adbc_once, "adbc_new_cursor": adbc_new_cursor_once, "flight": flight_once}
    result = {"bench": "latency-python-clients", "n": args.n, "warmup": args.warmup, "paths": {}}
    for name in [p for p in args.paths.split(",") if p]:
        fn = funcs[name]
        for _ in range(args.warmup):
            fn()
        rounds = []
        for _ in range(args.rounds):
            lat = []
            for _ in range(args.n):
                t0 = now()
                fn()
                lat.append((now() - t0) * 1000.0)
            lat.sort()
            rounds.append({"p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99),
                           "mean_ms": sum(lat) / len(lat)})
        result["paths"][name] = {
            "rounds": rounds,
            "p50_ms": min(r["p50_ms"] for r in rounds),
            "p99_ms": min(r["p99_ms"] for r in rounds),
        }

    cur.close()
    conn.close()
    ll.close()
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
