#!/usr/bin/env python3
"""Cost model (issue 7): TPC-H measured at SF --sf through Skein (2 child-process executors, threads=1),
extrapolated linearly to SF 1000 and priced as AWS Lambda executors, printed beside Starling's published
~$0.026 per query. bench/run.sh cost starts the server.

Per query: one warm-up, then EXPLAIN ANALYZE with the executor processes' CPU-seconds measured around it
(utime + stime from /proc: real CPU, not wall time × threads), the file bytes each fragment reads (EXPLAIN's
fragment lines) and the Arrow bytes shipped to the coordinator. Every pricing assumption is a flag (default
from BENCH_COST_* in the environment) and is printed with the figures.
"""

import argparse
import json
import math
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import proc_cpu  # noqa: E402
import tpch_explain  # noqa: E402

LAYOUT = "multi"
STARLING = 0.026  # $ per TPC-H SF 1000 query (Starling, SIGMOD 2020: $0.0256 at its peak query rate)
MB = 1e6
GB = 1e9
MIB = 1 << 20


def env(name, default):
    return type(default)(os.environ.get(f"BENCH_COST_{name}", default))


def column_fractions(data, table):
    """{column: its share of the table's Parquet bytes (compressed column chunks)} over multi/<table>."""
    import duckdb

    con = duckdb.connect()
    rows = con.execute(
        "SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata(?) GROUP BY 1",
        [os.path.join(data, LAYOUT, table, "*.parquet")]).fetchall()
    con.close()
    total = sum(r[1] for r in rows) or 1
    return {r[0]: r[1] / total for r in rows}


def measure(cur, sql, meter):
    cur.execute(sql)
    cur.fetch_arrow_table()
    meter.start()
    t0 = time.perf_counter()
    rows = tpch_explain.explain_rows(cur, "EXPLAIN ANALYZE " + sql)
    wall = time.perf_counter() - t0
    cpu = meter.delta()
    return rows, wall, cpu


def price(q, a):
    """Lambda cost at SF a.target of one query measured at SF a.sf (dict q), with the assumptions in a."""
    k = a.target / a.sf
    out = {}
    scanned = q["bytes_scanned"] * k
    # one invocation per fragment of at most a.fragment_gb, at least one per stage
    invocations = sum(max(1, math.ceil(b * k / (a.fragment_gb * GB))) for b in q["stage_bytes"])
    variants = (("main", a.memory_mb, a.vcpu, scanned), ("small", a.small_memory_mb, a.small_vcpu, scanned),
                # ranged reads of only the columns a fragment needs (Skein's whole-file cache does not do this)
                ("columns", a.memory_mb, a.vcpu, q["column_bytes"] * k))
    for label, mem_mb, vcpu, read in variants:
        download = read / a.read_mbps / MB  # function-seconds spent reading S3 (before DuckDB runs)
        compute = q["cpu_executors"] * k / vcpu  # DuckDB at threads = vCPUs, perfect scaling
        seconds = invocations * a.overhead_s + download + compute
        gb_s = seconds * mem_mb / 1024
        gets = read / (8 * MIB) + invocations * q["files_per_fragment"]  # 8 MiB ranges + a HEAD per file
        cost = {"compute": gb_s * a.gb_second, "requests": invocations * a.request / 1e6, "s3": gets * a.get_per_1000 / 1000}
        cost["total"] = sum(cost.values())
        out[label] = {"function_seconds": seconds, "download_s": download, "compute_s": compute, "gb_seconds": gb_s,
                      "gets": gets, **cost}
    out["invocations"] = invocations
    out["scanned_bytes"] = scanned
    out["shipped_bytes"] = q["arrow_bytes_shipped"] * k
    out["column_bytes"] = q["column_bytes"] * k
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--uri", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--queries", required=True, help="folder of q01.sql..q22.sql")
    p.add_argument("--data", help="TPC-H root of the served catalog (default: <queries>/../sf<sf>)")
    p.add_argument("--sf", type=float, default=1.0, help="scale factor measured")
    p.add_argument("--only", default="")
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--out")
    p.add_argument("--target", type=float, default=env("TARGET_SF", 1000.0), help="scale factor priced")
    p.add_argument("--memory-mb", type=int, default=env("MEMORY_MB", 10240), help="Lambda memory (main figure)")
    p.add_argument("--vcpu", type=float, default=env("VCPU", 6.0), help="vCPUs at that memory")
    p.add_argument("--small-memory-mb", type=int, default=env("SMALL_MEMORY_MB", 1769), help="sensitivity: smaller Lambda")
    p.add_argument("--small-vcpu", type=float, default=env("SMALL_VCPU", 1.0))
    p.add_argument("--gb-second", type=float, default=env("GB_SECOND", 0.0000166667), help="$ per GB-second (x86, us-east-1)")
    p.add_argument("--request", type=float, default=env("REQUEST", 0.20), help="$ per million invocations")
    p.add_argument("--get-per-1000", type=float, default=env("GET_PER_1000", 0.0004), help="$ per 1,000 S3 GET/HEAD")
    p.add_argument("--read-mbps", type=float, default=env("READ_MBPS", 100.0), help="S3 read MB/s per function")
    p.add_argument("--fragment-gb", type=float, default=env("FRAGMENT_GB", 1.0), help="file bytes per invocation at SF target")
    p.add_argument("--overhead-s", type=float, default=env("OVERHEAD_S", 0.1), help="billed seconds per invocation beyond the work")
    a = p.parse_args()
    data = a.data or os.path.join(os.path.dirname(os.path.abspath(a.queries)), f"sf{a.sf:g}")

    import adbc_driver_flightsql.dbapi as flightsql

    numbers = [int(n) for n in a.only.split()] or list(range(1, 23))
    conn = flightsql.connect(a.uri, db_kwargs={"username": a.user, "password": a.password}, autocommit=True)
    conn.adbc_current_db_schema = LAYOUT
    cur = conn.cursor()
    executors = proc_cpu.children(a.server_pid)
    meter = proc_cpu.CpuMeter({"executors": executors, "coordinator": [a.server_pid]})
    fractions = {}
    queries = {}
    for n in numbers:
        with open(os.path.join(a.queries, f"q{n:02d}.sql"), encoding="utf-8") as f:
            sql = f.read().strip().rstrip(";")
        try:
            rows, wall, cpu = measure(cur, sql, meter)
        except Exception as e:  # a query Skein cannot distribute is reported, not priced
            print(f"Q{n:02d}: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
            continue
        an = tpch_explain.analyze(rows)
        frags = tpch_explain.fragments(rows)
        stages = tpch_explain.stages(rows)
        scale = an["file_bytes_scanned"] / (sum(f["bytes_approx"] for f in frags) or 1)
        stage_bytes = [sum(f["bytes_approx"] for f in frags if f["stage"] == s["id"]) * scale for s in stages]
        column_bytes = 0.0
        texts = dict(rows)
        undercounted = False
        for s, b in zip(stages, stage_bytes):
            # a co-partitioned stage is over `a ⋈ b ⋈ …`; its byte figure counts the first table's files only
            tables = [t.split(".")[-1] for t in re.search(r" over (.+?) → ", s["header"]).group(1).split(" ⋈ ")]
            undercounted |= len(set(tables)) > 1
            for t in tables:
                if t not in fractions:
                    fractions[t] = column_fractions(data, t)
            cols = re.search(r"^\s*columns: (.*)$", texts[f"stage {s['id']}"], re.M).group(1)
            if cols == "*":
                column_bytes += b
            elif not cols.startswith("("):
                share = lambda c: next((fractions[t][c] for t in tables if c in fractions[t]), 0.0)  # noqa: E731
                column_bytes += b * sum(share(c.strip()) for c in cols.split(","))
        # broadcast tables are read by every fragment and are not in the stages' byte figures
        undercounted |= "broadcast " in tpch_explain.plan_note(rows)
        queries[n] = {
            "fragments": len(frags), "stages": len(stages), "bytes_scanned": an["file_bytes_scanned"],
            "stage_bytes": stage_bytes, "column_bytes": column_bytes,
            "largest_fragment_bytes": max((f["bytes_approx"] * scale for f in frags), default=0),
            "files_per_fragment": max(1.0, sum(f["files"] for f in frags) / max(1, len(frags))),
            "cpu_executors": cpu["executors"], "cpu_coordinator": cpu["coordinator"],
            "elapsed_s": an["elapsed_ms"] / 1000, "client_s": wall,
            "rows_shipped": an["rows_shipped"], "arrow_bytes_shipped": an["arrow_bytes_shipped"],
            "plan": tpch_explain.plan_note(rows).split("\n")[0][:60], "bytes_undercounted": undercounted,
        }
        print(f"  Q{n:02d}: {an['elapsed_ms'] / 1000:.2f} s, executors {cpu['executors']:.2f} CPU-s", file=sys.stderr)
    cur.close()
    conn.close()

    for q in queries.values():
        q["price"] = price(q, a)

    k = a.target / a.sf
    print(f"\ncost: TPC-H SF {a.sf:g} measured through Skein (2 child-process executors, threads=1, files on local "
          f"disk), extrapolated linearly (×{k:g}) to SF {a.target:g}, priced as Lambda executors")
    print("assumptions:")
    for line in (
        f"CPU-seconds = utime+stime of the 2 executor processes over EXPLAIN ANALYZE of the query (from /proc; "
        f"includes DuckDB, Arrow encoding and Flight shipping; the coordinator's CPU is shown, not priced)",
        f"bytes = file bytes each fragment reads (EXPLAIN fragment lines, scaled to EXPLAIN ANALYZE's exact total): "
        f"Skein's partition cache downloads whole files, so these are the S3 bytes. * = undercounted: EXPLAIN counts "
        f"a co-partitioned stage's first table only and no broadcast table (each fragment reads those too)",
        f"SF {a.target:g} = SF {a.sf:g} × {k:g}: bytes and CPU-seconds linear, fixed per-query costs too (overstates small queries)",
        f"Lambda {a.memory_mb} MB / {a.vcpu:g} vCPU at ${a.gb_second:.10f} per GB-s (x86, us-east-1), "
        f"${a.request:.2f} per million invocations; sensitivity row: {a.small_memory_mb} MB / {a.small_vcpu:g} vCPU",
        f"one invocation per ≤ {a.fragment_gb:g} GB of files (at least one per stage), each billed {a.overhead_s:g} s "
        f"beyond its work (warm start, DuckDB open)",
        f"function time = {a.overhead_s:g} s + bytes / {a.read_mbps:g} MB/s (S3 read, before DuckDB runs, as Skein's "
        f"cache does) + CPU-seconds / vCPUs (DuckDB threads = vCPUs, perfect scaling assumed)",
        f"S3: ${a.get_per_1000:.4f} per 1,000 GET/HEAD; one GET per 8 MiB range (the cache's chunk) + one HEAD per file",
        "not priced: the coordinator VM (Starling's ~$8/day ≈ $0.002/query at its peak rate), result spills to S3 "
        "(Lambda responses > 6 MB), data transfer (same region: free)",
    ):
        print(f"  - {line}")
    hdr = (f"{'Q':>3} {'frags':>5} {'SF1 MB':>7} {'lg frag':>7} {'exec CPU':>8} {'coord':>6} {'shipped MB':>10} │ "
           f"{'TB read':>7} {'inv':>5} {'fn-hours':>8} {'$ compute':>9} {'$ S3':>7} {'$ total':>8} {'÷Starling':>9} "
           f"{'$ small':>8} {'cols TB':>7}")
    print(f"\nper query (left: measured at SF {a.sf:g}; right: SF {a.target:g}, {a.memory_mb} MB Lambda; "
          f"'$ small' = the {a.small_memory_mb} MB sensitivity; 'cols TB' = bytes if only needed columns were read)")
    print(hdr)
    totals, smalls = [], []
    for n, q in queries.items():
        pr = q["price"]
        m, s = pr["main"], pr["small"]
        totals.append(m["total"])
        smalls.append(s["total"])
        flag = " gathered: ships" if pr["shipped_bytes"] > 10 * GB else ""
        under = "*" if q["bytes_undercounted"] else " "
        print(f"{n:>2}{under} {q['fragments']:>5} {q['bytes_scanned'] / MB:7.1f} {q['largest_fragment_bytes'] / MB:7.1f} "
              f"{q['cpu_executors']:8.2f} {q['cpu_coordinator']:6.2f} {q['arrow_bytes_shipped'] / MB:10.2f} │ "
              f"{pr['scanned_bytes'] / 1e12:7.3f} {pr['invocations']:>5} {m['function_seconds'] / 3600:8.2f} "
              f"{m['compute']:9.4f} {m['s3']:7.4f} {m['total']:8.4f} {m['total'] / STARLING:9.1f} {s['total']:8.4f} "
              f"{pr['column_bytes'] / 1e12:7.3f}"
              + (f"{flag} {pr['shipped_bytes'] / GB:,.0f} GB to the coordinator at SF {a.target:g}" if flag else ""))
    if not totals:
        sys.exit("cost: no query measured")
    mean = sum(totals) / len(totals)
    geo = math.exp(sum(math.log(t) for t in totals) / len(totals))
    mean_small = sum(smalls) / len(smalls)
    mean_cols = sum(q["price"]["columns"]["total"] for q in queries.values()) / len(queries)
    cpu_total = sum(q["cpu_executors"] for q in queries.values())
    bytes_total = sum(q["bytes_scanned"] for q in queries.values())
    col_total = sum(q["column_bytes"] for q in queries.values())
    print(f"\nmeasured at SF {a.sf:g} over {len(queries)} queries: {cpu_total:.1f} executor CPU-s, {bytes_total / GB:.2f} GB "
          f"of files read ({col_total / GB:.2f} GB in the columns the fragments use)")
    print(f"COST per TPC-H SF {a.target:g} query on Lambda ({a.memory_mb} MB): mean ${mean:.4f}, geomean ${geo:.4f}, "
          f"min ${min(totals):.4f}, max ${max(totals):.4f}  vs Starling ~${STARLING}/query: mean ÷ Starling = {mean / STARLING:.1f}")
    print(f"  sensitivity, {a.small_memory_mb} MB / {a.small_vcpu:g} vCPU: mean ${mean_small:.4f} ({mean_small / STARLING:.1f}× Starling)")
    print(f"  what-if, {a.memory_mb} MB reading only the needed columns (ranged GETs, not whole files): mean ${mean_cols:.4f} "
          f"({mean_cols / STARLING:.1f}× Starling)")
    share = sum(q["price"]["main"]["download_s"] for q in queries.values()) / sum(
        q["price"]["main"]["function_seconds"] for q in queries.values())
    print(f"  {share:.0%} of the billed function time is reading S3 at {a.read_mbps:g} MB/s; reading only the needed "
          f"columns would read {col_total / bytes_total:.0%} of the bytes")
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            json.dump({"assumptions": vars(a), "starling": STARLING, "mean": mean, "geomean": geo,
                       "mean_small": mean_small, "mean_columns": mean_cols, "queries": queries}, f, indent=2)


if __name__ == "__main__":
    main()
