#!/usr/bin/env python3
"""Print the figures and ratios of a bench from the JSON files its clients wrote.

Usage: python bench/report.py doget|latency RESULTS_DIR
Writes RESULTS_DIR/summary-<bench>.json too. Exit status 0, or 1 with BENCH_STRICT=1 when a target is missed.
"""

import json
import os
import sys

GB = 1e9


def load(d, name):
    path = os.path.join(d, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.loads(f.read())


def verdict(ok):
    return "PASS" if ok else "MISS"


def doget(d):
    py = load(d, "doget-python.json")
    duck = load(d, "doget-duckdb.json")
    gjs = load(d, "doget-grpcjs-default.json")
    gjs_big = load(d, "doget-grpcjs-window.json")
    paths = py["paths"]
    nbytes = paths["skein_adbc"]["nbytes"]
    rounds = py["rounds"]

    def row(label, seconds, bytes_, note=""):
        rate = f"{bytes_ / seconds / GB:6.3f} GB/s" if bytes_ else " " * 11
        print(f"  {label:<66} {seconds:8.3f} s  {rate}  {note}")

    print(f"doget: SELECT * FROM bench10m, {py['rows']:,} rows, {nbytes:,} bytes as Arrow "
          f"(pyarrow Table.nbytes); best of {rounds} after 1 warm-up")
    row("Skein, ADBC DBAPI execute + fetch_arrow_table", paths["skein_adbc"]["best_s"], paths["skein_adbc"]["nbytes"])
    row("Skein, pyarrow.flight GetFlightInfo + DoGet.read_all", paths["skein_flight"]["best_s"],
        paths["skein_flight"]["nbytes"])
    row("raw grpc-js DoGet -> pyarrow.flight do_get.read_all", paths["raw_flight"]["best_s"],
        paths["raw_flight"]["nbytes"], "[ceiling]")
    row("raw grpc-js DoGet -> ADBC DBAPI", paths["raw_adbc"]["best_s"], paths["raw_adbc"]["nbytes"])
    if gjs:
        row("raw grpc-js DoGet -> grpc-js client (default 64 KiB window)", gjs["best_ms"] / 1000, gjs["arrow_bytes"],
            "[anchor 0.81]")
    if gjs_big:
        row("raw grpc-js DoGet -> grpc-js client (4 MiB flow window)", gjs_big["best_ms"] / 1000,
            gjs_big["arrow_bytes"])
    row("pyarrow.flight (C++) server -> pyarrow.flight client", paths["peer_flight"]["best_s"],
        paths["peer_flight"]["nbytes"], "[peer]")
    row("DuckDB in-process materialised SELECT * (node-api run)", duck["best_ms"] / 1000, None)
    if "create_table_s" in py:
        print(f"  (CREATE OR REPLACE TABLE bench10m through ADBC took {py['create_table_s']:.2f} s)")

    sk = paths["skein_adbc"]["nbytes"] / paths["skein_adbc"]["best_s"]
    sk_fl = paths["skein_flight"]["nbytes"] / paths["skein_flight"]["best_s"]
    raw = paths["raw_flight"]["nbytes"] / paths["raw_flight"]["best_s"]
    raw_adbc = paths["raw_adbc"]["nbytes"] / paths["raw_adbc"]["best_s"]
    peer = paths["peer_flight"]["nbytes"] / paths["peer_flight"]["best_s"]
    g1 = sk / raw
    wall_vs_duck = paths["skein_adbc"]["best_s"] / (duck["best_ms"] / 1000)
    print("ratios:")
    print(f"  G1  Skein(ADBC) / raw ceiling(pyarrow.flight)      = {g1:6.3f}   target >= 0.6   {verdict(g1 >= 0.6)}")
    print(f"      Skein(ADBC) / raw(ADBC), same client           = {sk / raw_adbc:6.3f}")
    print(f"      Skein(pyarrow.flight) / raw(pyarrow.flight)    = {sk_fl / raw:6.3f}")
    print(f"      Skein(ADBC) / pyarrow.flight C++ peer          = {sk / peer:6.3f}")
    print(f"  G1' Skein DoGet wall / DuckDB materialise          = {wall_vs_duck:6.2f}x  target <= 6    "
          f"{verdict(wall_vs_duck <= 6)}")
    summary = {
        "bench": "doget",
        "bytes": nbytes,
        "skein_adbc_bytes_per_s": sk,
        "skein_flight_bytes_per_s": sk_fl,
        "raw_flight_bytes_per_s": raw,
        "raw_adbc_bytes_per_s": raw_adbc,
        "raw_grpcjs_default_window_bytes_per_s": gjs["bytes_per_s"] if gjs else None,
        "raw_grpcjs_4mib_window_bytes_per_s": gjs_big["bytes_per_s"] if gjs_big else None,
        "peer_flight_bytes_per_s": peer,
        "duckdb_materialise_s": duck["best_ms"] / 1000,
        "ratio_skein_raw": g1,
        "ratio_skein_raw_same_client_adbc": sk / raw_adbc,
        "ratio_skein_raw_same_client_flight": sk_fl / raw,
        "ratio_skein_peer": sk / peer,
        "ratio_wall_duckdb_materialise": wall_vs_duck,
        "targets_met": g1 >= 0.6 and wall_vs_duck <= 6,
    }
    return summary


def latency(d):
    sk = load(d, "latency-skein.json")
    floor = load(d, "latency-floor.json")
    duck = load(d, "latency-duckdb.json")
    p = sk["paths"]
    print(f"latency: SELECT 42, {sk['n']} timed queries per round after {sk['warmup']} warm-ups; "
          f"best p50 and best p99 over {len(p['adbc']['rounds'])} rounds")
    print(f"  {'':<66} {'p50':>9} {'p99':>9}")

    def row(label, x):
        allp50 = " ".join(f"{r['p50_ms']:.3f}" for r in x["rounds"])
        print(f"  {label:<66} {x['p50_ms']:6.3f} ms {x['p99_ms']:6.3f} ms   (p50 per round: {allp50})")

    row("Skein, ADBC DBAPI, one cursor: execute + fetchall", p["adbc"])
    if "adbc_new_cursor" in p:
        row("Skein, ADBC DBAPI, new cursor per query (prepare+close)", p["adbc_new_cursor"])
    row("Skein, pyarrow.flight GetFlightInfo(CommandStatementQuery)+DoGet", p["flight"])
    if floor:
        fp = floor["paths"]
        if "adbc" in fp:
            row("floor: raw grpc-js 1-row server, ADBC DBAPI", fp["adbc"])
        if "flight" in fp:
            row("floor: raw grpc-js 1-row server, pyarrow.flight", fp["flight"])
    row("DuckDB in-process (node-api run + read value)", duck)
    p50 = p["adbc"]["p50_ms"]
    p99 = p["adbc"]["p99_ms"]
    ratio = p50 / duck["p50_ms"]
    ratio_fl = p["flight"]["p50_ms"] / duck["p50_ms"]
    print("targets (Skein via ADBC, one cursor):")
    print(f"  G5  p50                                     = {p50:7.3f} ms  target <= 3 ms   {verdict(p50 <= 3)}")
    print(f"  G5  p99                                     = {p99:7.3f} ms  target <= 10 ms  {verdict(p99 <= 10)}")
    print(f"  G5  p50 Skein(ADBC) / p50 in-process        = {ratio:7.2f}     target <= 15    {verdict(ratio <= 15)}")
    print(f"      p50 Skein(pyarrow.flight) / in-process  = {ratio_fl:7.2f}")
    if "adbc_new_cursor" in p:
        extra = p["adbc_new_cursor"]["p50_ms"] - p["adbc"]["p50_ms"]
        print(f"      prepared-statement round trips (new cursor - reused cursor, p50) = {extra:.3f} ms")
    print(f"      DBAPI overhead over hand-written Flight SQL (p50)              = "
          f"{p['adbc']['p50_ms'] - p['flight']['p50_ms']:.3f} ms")
    summary = {
        "bench": "latency",
        "skein_adbc_p50_ms": p50,
        "skein_adbc_p99_ms": p99,
        "skein_adbc_new_cursor_p50_ms": p.get("adbc_new_cursor", {}).get("p50_ms"),
        "skein_adbc_new_cursor_p99_ms": p.get("adbc_new_cursor", {}).get("p99_ms"),
        "skein_flight_p50_ms": p["flight"]["p50_ms"],
        "skein_flight_p99_ms": p["flight"]["p99_ms"],
        "floor_adbc_p50_ms": floor["paths"]["adbc"]["p50_ms"] if floor else None,
        "floor_flight_p50_ms": floor["paths"]["flight"]["p50_ms"] if floor else None,
        "duckdb_p50_ms": duck["p50_ms"],
        "duckdb_p99_ms": duck["p99_ms"],
        "ratio_p50": ratio,
        "targets_met": p50 <= 3 and p99 <= 10 and ratio <= 15,
    }
    return summary


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("doget", "latency"):
        print(__doc__, file=sys.stderr)
        return 2
    bench, d = sys.argv[1], sys.argv[2]
    summary = doget(d) if bench == "doget" else latency(d)
    with open(os.path.join(d, f"summary-{bench}.json"), "w") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    if os.environ.get("BENCH_STRICT") == "1" and not summary["targets_met"]:
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
