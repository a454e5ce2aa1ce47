#!/usr/bin/env python3
"""Fan-out model (issue 7): a scan-heavy query over a table on S3 (moto) through N child-process
executors, each capped at --rate bytes/s of object-store reads (store.readBytesPerSecond), against
the ideal max(bytes / (N × rate), largest fragment's bytes / rate). bench/run.sh fanout starts moto
and one Skein server per N and mode, and calls the subcommands:

  data    builds the dataset once: --copies copies of TPC-H lineitem (l_orderkey shifted per copy)
          in --files Parquet files, under build/fanout (kept; a stamp says what it holds)
  upload  puts those files into s3://<bucket>/lake/tpch/lineitem/ on moto
  run     one server (N executors, throttled or not): warm-up, EXPLAIN ANALYZE, timed rounds; JSON out
  report  the per-N table, the ratios and PASS/MISS, and what bounds each N on this machine
"""

import argparse
import decimal
import glob
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proc_cpu  # noqa: E402
import tpch_explain  # noqa: E402

SCHEMA = "tpch"
TABLE_PREFIX = "lake/tpch/lineitem/"
TARGET = 1.3
STAMP = ".fanout-stamp.json"


def cmd_data(args):
    import duckdb

    want = {"src": os.path.abspath(args.src), "copies": args.copies, "files": args.files, "version": 1}
    stamp = os.path.join(args.out, STAMP)
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            if json.load(f) == want:
                print(f"fanout data: {args.out} is up to date", file=sys.stderr)
                return
    sources = sorted(glob.glob(os.path.join(args.src, "*.parquet")))
    if not sources:
        sys.exit(f"fanout_bench data: no Parquet files in {args.src} (run test/tpch/generate.py --sf 1)")
    per_copy = args.files // args.copies
    if per_copy * args.copies != args.files or per_copy % len(sources) != 0:
        sys.exit(f"fanout_bench data: --files {args.files} must be --copies {args.copies} × a multiple of "
                 f"{len(sources)} (the source files)")
    split = per_copy // len(sources)
    os.makedirs(args.out, exist_ok=True)
    for old in glob.glob(os.path.join(args.out, "*.parquet")):
        os.remove(old)
    con = duckdb.connect(config={"threads": 2})
    # copy c of rows with l_orderkey % split = h of source file s → one file; shifting l_orderkey keeps
    # the copies' rows distinct (max l_orderkey at SF 1 is 6,000,000)
    n = 0
    for c in range(args.copies):
        for s in sources:
            for h in range(split):
                path = os.path.join(args.out, f"part-{n:03d}.parquet")
                con.execute(
                    f"COPY (SELECT * REPLACE (l_orderkey + {c * 100_000_000} AS l_orderkey) FROM read_parquet(?) "
                    f"WHERE l_orderkey % {split} = {h}) TO '{path}' (FORMAT parquet)", [s])
                n += 1
    con.close()
    with open(stamp, "w", encoding="utf-8") as f:
        json.dump(want, f)
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(args.out, "*.parquet")))
    print(f"fanout data: {n} files, {total / 1e6:.0f} MB in {args.out}", file=sys.stderr)


def s3_client(endpoint):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=os.environ["FANOUT_S3_KEY"], aws_secret_access_key=os.environ["FANOUT_S3_SECRET"])


def cmd_upload(args):
    s3 = s3_client(args.endpoint)
    s3.create_bucket(Bucket=args.bucket)
    files = sorted(glob.glob(os.path.join(args.data, "*.parquet")))
    total = 0
    t0 = time.perf_counter()
    for p in files:
        with open(p, "rb") as f:
            body = f.read()
        s3.put_object(Bucket=args.bucket, Key=TABLE_PREFIX + os.path.basename(p), Body=body)
        total += len(body)
    print(f"  uploaded {len(files)} files, {total / 1e6:.0f} MB to s3://{args.bucket}/{TABLE_PREFIX} "
          f"in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def expected_answer(data, sql):
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    con.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet('{os.path.join(data, '*.parquet')}')")
    value = con.execute(sql).fetchall()
    con.close()
    return value


def cmd_run(args):
    import adbc_driver_flightsql.dbapi as flightsql

    with open(args.query, encoding="utf-8") as f:
        sql = f.read().strip().rstrip(";")
    conn = flightsql.connect(args.uri, db_kwargs={"username": args.user, "password": args.password}, autocommit=True)
    conn.adbc_current_db_schema = SCHEMA
    cur = conn.cursor()
    executors = proc_cpu.children(args.server_pid)
    if len(executors) != args.n:
        sys.exit(f"fanout_bench run: server {args.server_pid} has {len(executors)} child processes, expected {args.n}")
    meter = proc_cpu.CpuMeter({"executors": executors, "coordinator": [args.server_pid],
                               "moto": [args.moto_pid] if args.moto_pid else []})

    def query():
        t0 = time.perf_counter()
        cur.execute(sql)
        table = cur.fetch_arrow_table()
        return time.perf_counter() - t0, table

    load_before = os.getloadavg()[0]
    warm, table = query()
    answer = [tuple(r.values()) for r in table.to_pylist()]
    rows = tpch_explain.explain_rows(cur, "EXPLAIN ANALYZE " + sql)
    a = tpch_explain.analyze(rows)
    frags = tpch_explain.fragments(rows)
    # the fixed part of a query: plan it (catalog, pruning, fragment SQL) and one Flight round trip
    plan_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        tpch_explain.explain_rows(cur, "EXPLAIN " + sql)
        plan_times.append(time.perf_counter() - t0)
    rounds = []
    for _ in range(args.rounds):
        meter.start()
        seconds, _ = query()
        rounds.append({"seconds": seconds, "cpu": meter.delta()})
    cur.close()
    conn.close()
    out = {"n": args.n, "mode": args.mode, "rate": args.rate, "warmup_seconds": warm, "answer": answer,
           "analyze": a, "fragments": frags, "plan_seconds": min(plan_times), "rounds": rounds,
           "load_average_1min": [load_before, os.getloadavg()[0]]}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, default=str)
    best = min(r["seconds"] for r in rounds)
    print(f"  N={args.n:2d} {args.mode:9s}: best {best:.3f} s of {args.rounds}, {a['fragments']} fragments, "
          f"cache {a['cache']}", file=sys.stderr)


def close(a, b, rel=1e-9):
    """One value of Skein's answer (after a JSON round trip: DECIMALs as text) against DuckDB's."""
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=rel)
    try:
        return decimal.Decimal(str(a)) == decimal.Decimal(str(b))
    except decimal.InvalidOperation:
        return str(a) == str(b)


def cmd_report(args):
    with open(args.query, encoding="utf-8") as f:
        sql = f.read().strip().rstrip(";")
    runs = {}
    for p in sorted(glob.glob(os.path.join(args.results, "fanout-*.json"))):
        with open(p, encoding="utf-8") as f:
            r = json.load(f)
        runs[(r["n"], r["mode"])] = r
    ns = sorted({n for n, _ in runs})
    rate = args.rate
    expected = expected_answer(args.data, sql)
    ceiling = None
    if args.ceiling and os.path.exists(args.ceiling):
        with open(args.ceiling, encoding="utf-8") as f:
            ceiling = json.load(f)
    problems = []
    lines = []
    summary = {"query": os.path.basename(args.query), "rate": rate, "target": TARGET, "per_n": {}}
    print(f"\nfanout: {os.path.basename(args.query)} over s3://…/{TABLE_PREFIX} (moto), child-process executors "
          f"with threads=1, each throttled to {rate / 1e6:.0f} MB/s of object-store reads, partition cache "
          f"emptied after every query (store.cache.maxBytes 1 MiB); best of {args.rounds} after 1 warm-up")
    print("time = client wall time of execute + fetch through ADBC (planning included); bytes = EXPLAIN ANALYZE's "
          "partition-cache 'bytes fetched'; ideal = max(bytes / (N × rate), largest fragment's bytes / rate)")
    head = (f"{'N':>3} {'frags':>5} {'files/frag':>10} {'time s':>7} {'bytes MB':>8} {'ideal s':>7} {'ratio':>6} "
            f"{'':4} {'free s':>7} {'free/ideal':>10} {'plan s':>6} {'CPU s/frag':>10} {'CPU use':>7}  bound")
    if ceiling:
        print(f"machine S3 ceiling: {ceiling['mbps']:.0f} MB/s (bench/s3-ceiling.mjs: one Node process, "
              f"{ceiling['concurrency']} concurrent 8 MiB GETs from moto, no throttle, no Skein, no disk, no DuckDB)")
    print(head)
    worst = 0.0
    for n in ns:
        t, free = runs.get((n, "throttled")), runs.get((n, "free"))
        if not t:
            problems.append(f"N={n}: no throttled run")
            continue
        for r in (t, free):
            if r is None:
                continue
            got = r["answer"]
            if len(got) != len(expected) or not all(close(x, y) for g, e in zip(got, expected) for x, y in zip(g, e)):
                problems.append(f"N={n} {r['mode']}: answer {got} differs from DuckDB's {expected}")
            c = r["analyze"].get("cache") or {}
            if c.get("hits", 0) != 0:
                problems.append(f"N={n} {r['mode']}: {c['hits']} partition-cache hits (reads were meant to go to S3)")
        a = t["analyze"]
        cache = a.get("cache") or {}
        fetched = cache.get("bytesFetched", 0)
        frags = t["fragments"]
        # the fragments' byte figures are rounded in the EXPLAIN text: scale them to the exact total
        approx_total = sum(f["bytes_approx"] for f in frags) or 1
        largest = max(f["bytes_approx"] for f in frags) * fetched / approx_total
        ideal = max(fetched / (n * rate), largest / rate)
        best_round = min(t["rounds"], key=lambda r: r["seconds"])
        best = best_round["seconds"]
        ratio = best / ideal
        worst = max(worst, ratio)
        free_best = min(r["seconds"] for r in free["rounds"]) if free else math.nan
        free_ratio = free_best / ideal
        mean_cpu = {k: sum(r["cpu"][k] for r in t["rounds"]) / len(t["rounds"]) for k in t["rounds"][0]["cpu"]}
        cpu_frag = mean_cpu["executors"] / len(frags)
        # every process this query kept busy, over what 2 cores give in the query's wall time
        cpu_use = sum(mean_cpu.values()) / (2 * best)
        free_cpu = ({k: sum(r["cpu"][k] for r in free["rounds"]) / len(free["rounds"]) for k in free["rounds"][0]["cpu"]}
                    if free else None)
        free_use = sum(free_cpu.values()) / (2 * free_best) if free_cpu else math.nan
        if ceiling and fetched / (ceiling["mbps"] * 1e6) > ideal * TARGET:
            bound = (f"machine: its S3 path alone needs {fetched / (ceiling['mbps'] * 1e6):.2f} s "
                     f"({ceiling['mbps']:.0f} MB/s < N × {rate / 1e6:.0f})")
        elif free_ratio > TARGET:
            bound = f"machine: even unthrottled it takes {free_ratio:.2f}× the ideal"
        elif cpu_use > 0.8:
            bound = "CPU (throttle not the only bound)"
        else:
            bound = "throttle"
        files = sorted(f["files"] for f in frags)
        verdict = "PASS" if ratio <= TARGET else "MISS"
        print(f"{n:>3} {len(frags):>5} {files[0]:>4}–{files[-1]:<5} {best:7.3f} {fetched / 1e6:8.1f} {ideal:7.3f} "
              f"{ratio:6.2f} {verdict:4} {free_best:7.3f} {free_ratio:10.2f} {t['plan_seconds']:6.3f} {cpu_frag:10.3f} "
              f"{cpu_use:6.0%}  {bound}")
        summary["per_n"][n] = {
            "seconds": best, "bytes": fetched, "ideal": ideal, "ratio": ratio, "pass": ratio <= TARGET,
            "fragments": len(frags), "files_per_fragment": [files[0], files[-1]], "largest_fragment_bytes": largest,
            "unthrottled_seconds": free_best, "unthrottled_ratio": free_ratio, "plan_seconds": t["plan_seconds"],
            "cpu_seconds_per_query": mean_cpu, "cpu_seconds_per_fragment": cpu_frag, "cpu_use_of_2_cores": cpu_use,
            "unthrottled_cpu_use_of_2_cores": free_use, "bound": bound,
            "load_average": "–".join(f"{x:.1f}" for x in t.get("load_average_1min", [])),
        }
    print("\ncolumns: free = the same with no throttle (what the machine does on its own); plan = EXPLAIN round "
          "trip (fixed cost per query); CPU s/frag = executor CPU-seconds (from /proc, utime+stime) ÷ fragments; "
          "CPU use = CPU-seconds of executors + coordinator + moto ÷ (2 cores × time)")
    for n, s in summary["per_n"].items():
        c = s["cpu_seconds_per_query"]
        lines.append(f"  N={n}: CPU-seconds per query: executors {c['executors']:.2f}, coordinator {c['coordinator']:.2f}, "
                     f"moto {c['moto']:.2f}; unthrottled CPU use {s['unthrottled_cpu_use_of_2_cores']:.0%}; "
                     f"1-min load average {s['load_average']} (other work on the machine counts too)")
    print("\n".join(lines))
    print("\nfragment sizing: the planner cuts a stage into executors × 2 fragments (src/planner/planner.ts "
          "fragmentsPerStage), each a run of whole files balanced by bytes, and the pool runs 2 at once per "
          "executor (executors.slots 2): each executor reads ~2 fragments concurrently, sharing its throttle. "
          "With fewer files than 2N, fragments are whole files and the largest file bounds the ideal; with "
          "files that do not divide evenly, an executor can draw two of the larger fragments (uneven work).")
    machine = [n for n, s in summary["per_n"].items() if s["unthrottled_ratio"] > TARGET]
    if machine:
        print(f"this machine (2 cores shared by moto, the coordinator and every executor) bounds N = "
              f"{', '.join(map(str, machine))}: unthrottled runs already exceed {TARGET}× the throttled ideal, so those "
              f"ratios measure the machine, not the fan-out model")
    summary["worst_ratio"] = worst
    summary["s3_ceiling"] = ceiling
    summary["problems"] = problems
    ok = all(s["pass"] for s in summary["per_n"].values()) and not problems
    print(f"\nFAN-OUT worst ratio over N = {', '.join(map(str, ns))}: {worst:.2f} (≤ {TARGET})  {'PASS' if ok else 'MISS'}")
    for p in problems:
        print(f"PROBLEM: {p}")
    with open(os.path.join(args.results, "summary-fanout.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    if problems:
        sys.exit(1)
    if args.strict and not ok:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--src", required=True, help="TPC-H lineitem Parquet files (build/tpch/sf1/multi/lineitem)")
    d.add_argument("--out", required=True)
    d.add_argument("--copies", type=int, default=3)
    d.add_argument("--files", type=int, default=48)
    u = sub.add_parser("upload")
    u.add_argument("--endpoint", required=True)
    u.add_argument("--bucket", required=True)
    u.add_argument("--data", required=True)
    r = sub.add_parser("run")
    for k in ("uri", "user", "password", "query", "out", "mode"):
        r.add_argument(f"--{k}", required=True)
    r.add_argument("--n", type=int, required=True)
    r.add_argument("--rate", type=float, required=True)
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--server-pid", type=int, required=True)
    r.add_argument("--moto-pid", type=int)
    rep = sub.add_parser("report")
    rep.add_argument("--results", required=True)
    rep.add_argument("--data", required=True)
    rep.add_argument("--query", required=True)
    rep.add_argument("--rate", type=float, required=True)
    rep.add_argument("--rounds", type=int, default=3)
    rep.add_argument("--strict", action="store_true")
    rep.add_argument("--ceiling", help="s3-ceiling.mjs's JSON line, saved")
    args = p.parse_args()
    {"data": cmd_data, "upload": cmd_upload, "run": cmd_run, "report": cmd_report}[args.cmd](args)


if __name__ == "__main__":
    main()
