#!/usr/bin/env python3
"""TPC-H benchmarks of the distributed engine, all ratios from one run (bench/run.sh tpch starts the servers).

G2  the 22 queries on layout `multi`: Skein with 2 executors (threads=1 each), child-process and in-process
    mode, ÷ one Python DuckDB (threads=2) over the same files through views; per query and total.
    Single-node Skein (no executors, the coordinator's DuckDB over the catalog's views) as context.
G3  file bytes a one-month l_shipdate filter on partitioned.lineitem keeps ÷ the table's bytes.
G4  Arrow bytes shipped from the executors ÷ Parquet bytes scanned for Q1 (EXPLAIN ANALYZE).
G7  a ~775k-row selection of multi.lineitem fetched through 2 executors ÷ the same from Python DuckDB.

Every time is the best of --rounds after one warm-up, the systems interleaved query by query. Each
system's warm-up answer is compared with DuckDB's (test/tpch/compare.py). Exit status 1 only with
--strict and a missed target.
"""

import argparse
import json
import math
import os
import sys
import time

import adbc_driver_flightsql.dbapi as flightsql
import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "tpch"))
from compare import compare_tables, query_shape  # noqa: E402
from tpch_tables import create_views_sql  # noqa: E402

import tpch_explain  # noqa: E402

LAYOUT = "multi"
G3_SQL = "SELECT * FROM {layout}.lineitem WHERE l_shipdate BETWEEN DATE '1995-03-01' AND DATE '1995-03-31'"
G7_RANGE = "l_shipdate BETWEEN DATE '1994-01-01' AND DATE '1994-11-07'"  # 775,346 rows at SF 1
G7_QUERIES = {
    "SELECT *": f"SELECT * FROM lineitem WHERE {G7_RANGE}",
    "4 columns": f"SELECT l_orderkey, l_partkey, l_extendedprice, l_shipdate FROM lineitem WHERE {G7_RANGE}",
}
TARGETS = {"g2_total": 1.5, "g2_query": 3.0, "g3": 0.015, "g4": 1e-4, "g7": 1.5}
# (key, label); the first distributed one is the target figure (perf-anchors: child-process executors)
SKEIN = [("child", "2 executors, child-process"), ("inproc", "2 executors, in-process"),
         ("single", "single-node Skein (0 executors)")]


class DuckDBSystem:
    def __init__(self, data):
        self.con = duckdb.connect(config={"threads": 2})
        for statement in create_views_sql(os.path.abspath(data), LAYOUT, schema=LAYOUT):
            self.con.execute(statement)
        self.con.execute(f"SET schema = '{LAYOUT}'")

    def run(self, sql):
        return self.con.execute(sql).to_arrow_table()

    def close(self):
        self.con.close()


class SkeinSystem:
    def __init__(self, uri, user, password):
        self.conn = flightsql.connect(uri, db_kwargs={"username": user, "password": password}, autocommit=True)
        self.conn.adbc_current_db_schema = LAYOUT
        self.cursor = self.conn.cursor()

    def run(self, sql):
        self.cursor.execute(sql)
        return self.cursor.fetch_arrow_table()

    def close(self):
        self.cursor.close()
        self.conn.close()


def timed(system, sql):
    start = time.perf_counter()
    table = system.run(sql)
    return time.perf_counter() - start, table


def measure(systems, sql, rounds, shape, problems, label, slow=math.inf):
    """Warm-up (answers checked against DuckDB's) then `rounds` interleaved timed runs; best seconds per
    system. A system whose warm-up took longer than `slow` seconds is timed once (listed in `capped`)."""
    best, rows, warm = {}, {}, {}
    expected = None
    for name, system in systems.items():
        warm[name], table = timed(system, sql)
        rows[name] = table.num_rows
        if name == "duckdb":
            expected = table
        elif (problem := compare_tables(expected, table, shape)) is not None:
            problems.append(f"{label} via {name}: {problem}")
        best[name] = math.inf
    for r in range(rounds):
        for name, system in systems.items():
            if r > 0 and warm[name] > slow:
                continue
            seconds, _ = timed(system, sql)
            best[name] = min(best[name], seconds)
    capped = sorted(k for k, w in warm.items() if w > slow and rounds > 1)
    return best, rows, expected.nbytes, capped


def ratio_cell(t, base, capped=False):
    return f"{t:8.3f} {t / base:6.2f}{'*' if capped else ' '}"


def g2(systems, queries, rounds, shape_con, problems, slow):
    names = [k for k, _ in SKEIN if k in systems]
    per_query = {}
    for n, sql in queries.items():
        best, rows, _, capped = measure(systems, sql, rounds, query_shape(shape_con, sql), problems, f"Q{n}", slow)
        per_query[n] = {"seconds": best, "rows": rows["duckdb"], "timed_once": capped}
        print(f"  Q{n:02d} " + " ".join(f"{k} {best[k]:.3f}" for k in ["duckdb", *names]), file=sys.stderr)
    print(f"\nG2: TPC-H SF1 layout '{LAYOUT}', seconds (best of {rounds} after 1 warm-up) and ratio ÷ DuckDB threads=2")
    print("query   duckdb " + "".join(f" {k:>8} {'ratio':>6} " for k in names))
    totals = {k: 0.0 for k in ["duckdb", *names]}
    logs = {k: 0.0 for k in names}
    for n, q in per_query.items():
        s = q["seconds"]
        for k in totals:
            totals[k] += s[k]
        for k in names:
            logs[k] += math.log(s[k] / s["duckdb"])
        print(f"Q{n:02d}  {s['duckdb']:8.3f} "
              + "".join(f" {ratio_cell(s[k], s['duckdb'], k in q['timed_once'])}" for k in names))
    print(f"total {totals['duckdb']:8.3f} " + "".join(f" {ratio_cell(totals[k], totals['duckdb'])}" for k in names))
    print("geomean ratio  " + "".join(f" {'':8} {math.exp(logs[k] / len(per_query)):6.2f} " for k in names))
    if any(q["timed_once"] for q in per_query.values()):
        print(f"  * warm-up over {slow:g} s: timed once instead of best of {rounds}")
    summary = {"queries": per_query, "totals": totals, "modes": {}}
    for k in names:
        ratios = {n: q["seconds"][k] / q["seconds"]["duckdb"] for n, q in per_query.items()}
        total = totals[k] / totals["duckdb"]
        misses = sorted((n for n, r in ratios.items() if r > TARGETS["g2_query"]), key=lambda n: -ratios[n])
        summary["modes"][k] = {"total_ratio": total, "geomean_ratio": math.exp(logs[k] / len(per_query)),
                               "ratios": ratios, "misses": misses}
    return summary


def g2_verdicts(summary, target_mode):
    ok = True
    for k, label in SKEIN:
        m = summary["modes"].get(k)
        if m is None:
            continue
        worst = max(m["ratios"], key=m["ratios"].get)
        line_ok = m["total_ratio"] <= TARGETS["g2_total"] and not m["misses"]
        tag = "G2 " if k == target_mode else "   "
        verdict = ("PASS" if line_ok else "MISS") if k != "single" else "(context)"
        missing = ", ".join(f"Q{n:02d} {m['ratios'][n]:.2f}" for n in m["misses"]) or "none"
        print(f"{tag}{label}: total {m['total_ratio']:.2f} (≤ {TARGETS['g2_total']}), worst Q{worst:02d} "
              f"{m['ratios'][worst]:.2f}; queries > {TARGETS['g2_query']}: {missing}  {verdict}")
        if k == target_mode:
            ok = line_ok
    return ok


def profile(cursor, queries, ns):
    """EXPLAIN ANALYZE of the given queries: the plan note, each stage and what was shipped."""
    out = {}
    for n in ns:
        rows = tpch_explain.explain_rows(cursor, "EXPLAIN ANALYZE " + queries[n])
        a = tpch_explain.analyze(rows)
        out[n] = {"plan": tpch_explain.plan_note(rows), "analyze": a,
                  "stages": [s["header"] for s in tpch_explain.stages(rows)]}
        print(f"\nQ{n:02d} EXPLAIN ANALYZE (child-process executors): {a['elapsed_ms']:.0f} ms, "
              f"{a['fragments']} fragments, {a['rows_shipped']:,} rows / {a['arrow_bytes_shipped'] / 1e6:.1f} MB "
              f"shipped, {a['file_bytes_scanned'] / 1e6:.1f} MB of files scanned")
        print("  plan: " + out[n]["plan"].replace("\n", "\n        "))
        for h in out[n]["stages"]:
            print(f"  {h}")
    return out


def table_bytes(data, layout, table):
    total = 0
    for dirpath, _, files in os.walk(os.path.join(data, layout, table)):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files if f.endswith(".parquet"))
    return total


def g3(cursor, data):
    sql = G3_SQL.format(layout="partitioned")
    rows = tpch_explain.explain_rows(cursor, "EXPLAIN ANALYZE " + sql)
    (stage,) = tpch_explain.stages(rows)
    a = tpch_explain.analyze(rows)
    total = table_bytes(data, "partitioned", "lineitem")
    ratio = a["file_bytes_scanned"] / total
    print(f"\nG3: {sql}")
    print(f"  files {stage['files_kept']} of {stage['files_total']}, row groups {stage['row_groups_kept']} of "
          f"{stage['row_groups_total']}; file bytes kept {a['file_bytes_scanned']:,} (EXPLAIN ANALYZE) of "
          f"{total:,} (the table's Parquet files; EXPLAIN says {stage['bytes_total_approx'] / 2**20:.1f} MiB); "
          f"{a['result_rows']:,} rows")
    print(f"G3 bytes kept ÷ table bytes: {ratio:.3%} (≤ {TARGETS['g3']:.1%}; "
          f"EXPLAIN's rounded figures give {stage['bytes_kept_approx'] / stage['bytes_total_approx']:.3%})  "
          f"{'PASS' if ratio <= TARGETS['g3'] else 'MISS'}")
    context = {}
    for layout in ("single", "multi"):
        (s,) = tpch_explain.stages(tpch_explain.explain_rows(cursor, "EXPLAIN " + G3_SQL.format(layout=layout)))
        context[layout] = s
        print(f"  same filter on {layout}.lineitem: files {s['files_kept']} of {s['files_total']}, row groups "
              f"{s['row_groups_kept']} of {s['row_groups_total']} may match "
              f"({s['bytes_kept_approx'] / s['bytes_total_approx']:.1%} of the bytes kept)")
    return {"ratio": ratio, "bytes_kept": a["file_bytes_scanned"], "table_bytes": total, "stage": stage,
            "context": context}


def g4(cursor, q1):
    a = tpch_explain.analyze(tpch_explain.explain_rows(cursor, "EXPLAIN ANALYZE " + q1))
    ratio = a["arrow_bytes_shipped"] / a["file_bytes_scanned"]
    print(f"\nG4: Q1 on {LAYOUT}: {a['rows_shipped']} rows, {a['arrow_bytes_shipped']:,} Arrow bytes shipped ÷ "
          f"{a['file_bytes_scanned']:,} file bytes scanned = {ratio:.2e} (≤ {TARGETS['g4']:.0e})  "
          f"{'PASS' if ratio <= TARGETS['g4'] else 'MISS'}")
    return {"ratio": ratio, **a}


def g7(systems, rounds, problems, target_mode):
    out = {}
    names = [k for k, _ in SKEIN if k in systems]
    ok = True
    print(f"\nG7: selection of {LAYOUT}.lineitem WHERE {G7_RANGE}; seconds, ratio ÷ DuckDB threads=2")
    for label, sql in G7_QUERIES.items():
        shape = {"ordered": False, "sort_keys": [], "limit": False}
        best, rows, nbytes, _ = measure(systems, sql, rounds, shape, problems, f"G7 {label}")
        out[label] = {"seconds": best, "rows": rows, "arrow_bytes": nbytes}
        cells = ", ".join(f"{k} {best[k]:.3f} s = {best[k] / best['duckdb']:.2f}" for k in names)
        print(f"  {label}: {rows['duckdb']:,} rows, {nbytes / 1e6:.0f} MB Arrow; duckdb {best['duckdb']:.3f} s; {cells}")
    if target_mode in names:
        r = out["SELECT *"]["seconds"][target_mode] / out["SELECT *"]["seconds"]["duckdb"]
        ok = r <= TARGETS["g7"]
        print(f"G7 (SELECT *, {target_mode}): {r:.2f} (≤ {TARGETS['g7']})  {'PASS' if ok else 'MISS'}")
    return out, ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="TPC-H root (generate.py --out), e.g. build/tpch/sf1")
    p.add_argument("--queries", required=True, help="folder of q01.sql..q22.sql (queries.py)")
    for k, label in SKEIN:
        p.add_argument(f"--{k}", metavar="URI", help=f"Skein server: {label}")
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", default="", help="query numbers, e.g. '1 9 18' (default all 22)")
    p.add_argument("--slow", type=float, default=10.0,
                   help="G2: a query whose warm-up takes longer than this many seconds is timed once")
    p.add_argument("--profile", type=int, default=2, help="EXPLAIN ANALYZE this many worst G2 queries")
    p.add_argument("--out", help="write the figures here as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args()

    numbers = [int(n) for n in args.only.split()] or list(range(1, 23))
    queries = {}
    for n in numbers:
        with open(os.path.join(args.queries, f"q{n:02d}.sql"), encoding="utf-8") as f:
            queries[n] = f.read()
    systems = {"duckdb": DuckDBSystem(args.data)}
    for k, _ in SKEIN:
        if getattr(args, k):
            systems[k] = SkeinSystem(getattr(args, k), args.user, args.password)
    target_mode = next((k for k in ("child", "inproc") if k in systems), None)
    problems = []
    results = {"rounds": args.rounds, "layout": LAYOUT, "target_mode": target_mode, "load_before": os.getloadavg()}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(other work on the machine skews the ratios)")
    try:
        shape_con = duckdb.connect()
        results["g2"] = g2(systems, queries, args.rounds, shape_con, problems, args.slow)
        ok = g2_verdicts(results["g2"], target_mode)
        if target_mode:
            cur = systems[target_mode].cursor
            worst = sorted(queries, key=lambda n: -results["g2"]["modes"][target_mode]["ratios"][n])[: args.profile]
            results["profile"] = profile(cur, queries, worst)
            results["g3"] = g3(cur, args.data)
            results["g4"] = g4(cur, queries[1]) if 1 in queries else None
            ok = ok and results["g3"]["ratio"] <= TARGETS["g3"]
            ok = ok and (results["g4"] is None or results["g4"]["ratio"] <= TARGETS["g4"])
        results["g7"], g7_ok = g7(systems, args.rounds, problems, target_mode)
        ok = ok and g7_ok
    finally:
        for system in systems.values():
            system.close()
    results["load_after"] = os.getloadavg()
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in results['load_after'])}")
    print(f"answers: {'all equal to DuckDB' if not problems else f'{len(problems)} differ from DuckDB'}")
    for problem in problems:
        print(f"  {problem[:500]}")
    results["problems"] = problems
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, default=str)
    return 1 if args.strict and (not ok or problems) else 0


if __name__ == "__main__":
    sys.exit(main())
