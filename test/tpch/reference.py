"""Reference answers for the TPC-H differential test: runs the 22 queries with single-node DuckDB (the
Python duckdb, same version as the server's) over each layout written by generate.py, checks that all
layouts give the same answers, and writes them for test_tpch.py:

    <out>/<layout>/qNN.arrows   the result as an Arrow IPC stream (types as DuckDB returns them)
    <out>/qNN.json              {"query": n, "shape": ...}: ORDER BY keys and LIMIT (see compare.py)
    <out>/stamp.json            what the answers were computed from (an unchanged input is not rerun)

With --answers (queries.py's answers/sf<SF> folder) it also compares with DuckDB's published answers
for that scale factor. tpchgen-cli writes the same keys, numbers and dates as DuckDB's dbgen but other
random text (comments, addresses), so queries that print or filter on that text differ there; those
are listed in TEXT_DEPENDENT and reported, not failed.

Usage: reference.py --data build/tpch/sf0.1 --queries build/tpch/queries --out build/tpch/reference/sf0.1
                    [--answers build/tpch/queries/answers/sf0.1] [--force]
"""

import argparse
import decimal
import glob
import hashlib
import json
import os
import sys
import time

import duckdb
import pyarrow.types as pt

from compare import canonical, compare_rows, compare_tables, query_shape, write_arrows
from tpch_tables import LAYOUTS, create_views_sql

# Queries whose answers depend on text that tpchgen-cli generates differently from DuckDB's dbgen:
# Q2 (s_address, s_comment), Q10 (c_address, c_comment), Q13 (o_comment filter), Q15 and Q20
# (s_address). (Q16 filters on s_comment too, but the rows carrying 'Customer ... Complaints' are the same.)
TEXT_DEPENDENT = {2, 10, 13, 15, 20}


def query_files(folder):
    files = sorted(glob.glob(os.path.join(folder, "q[0-9][0-9].sql")))
    if len(files) != 22:
        sys.exit(f"reference.py: expected q01.sql..q22.sql in {folder}, found {len(files)} (run queries.py)")
    return [(int(os.path.basename(p)[1:3]), p) for p in files]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def input_stamp(data, queries):
    with open(os.path.join(data, ".tpch-stamp.json"), encoding="utf-8") as f:
        data_stamp = json.load(f)
    digest = hashlib.sha256()
    for _, path in queries:
        digest.update(read(path).encode("utf-8"))
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("reference.py", "compare.py", "tpch_tables.py"):
        digest.update(read(os.path.join(here, name)).encode("utf-8"))
    return {"data": data_stamp, "queries_and_code": digest.hexdigest(), "duckdb": duckdb.__version__}


def run_layout(data, layout, queries):
    """{n: (pyarrow Table, seconds)} for one layout, on a fresh in-memory DuckDB."""
    con = duckdb.connect()
    try:
        for statement in create_views_sql(data, layout):
            con.execute(statement)
        out = {}
        for n, path in queries:
            start = time.monotonic()
            table = con.execute(read(path)).to_arrow_table()
            out[n] = (table, time.monotonic() - start)
        return out
    finally:
        con.close()


def answer_rows(path, table):
    """DuckDB's published answer (pipe-separated text) as canonical rows typed like `table`."""
    lines = read(path).rstrip("\n").split("\n")
    header, body = lines[0].split("|"), [line.split("|") for line in lines[1:]]
    if len(header) != table.num_columns:  # names may differ: older DuckDB named sum(x) "sum"
        return header, None
    converters = []
    for field in table.schema:
        t = field.type
        if pt.is_decimal(t):
            converters.append(lambda s, scale=t.scale: format(decimal.Decimal(s).quantize(
                decimal.Decimal(1).scaleb(-scale)), "f"))
        elif pt.is_floating(t):
            converters.append(float)
        elif pt.is_integer(t):
            converters.append(lambda s: str(int(s)))
        else:
            converters.append(str)
    return header, [[None if s == "NULL" else conv(s) for conv, s in zip(converters, row)] for row in body]


def check_answers(folder, results, shapes):
    same, differ = [], []
    for n, table in sorted(results.items()):
        path = os.path.join(folder, f"q{n:02d}.csv")
        header, rows = answer_rows(path, table)
        problem = (f"columns {header}" if rows is None else
                   compare_rows(table.column_names, rows, canonical.rows(table), shapes[n]))
        (differ if problem else same).append((n, problem))
    unexpected = [(n, p) for n, p in differ if n not in TEXT_DEPENDENT]
    print(f"  DuckDB's published answers ({folder}): {len(same)} equal; differ: "
          f"{[n for n, _ in differ] or 'none'} (expected to differ, text-dependent: {sorted(TEXT_DEPENDENT)})")
    for n, problem in unexpected:
        print(f"  Q{n} differs from DuckDB's published answer: {problem}")
    return not unexpected


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="root written by generate.py")
    parser.add_argument("--queries", required=True, help="folder with q01.sql..q22.sql (queries.py)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--answers", help="folder with DuckDB's published answers for this scale factor")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    data, out = os.path.abspath(args.data), os.path.abspath(args.out)
    queries = query_files(args.queries)
    stamp = input_stamp(data, queries)
    stamp_path = os.path.join(out, "stamp.json")
    if not args.force and os.path.exists(stamp_path) and json.loads(read(stamp_path)) == stamp:
        print(f"tpch reference: {out} is up to date")
        return
    if os.path.exists(stamp_path):
        os.remove(stamp_path)

    con = duckdb.connect()
    shapes = {n: query_shape(con, read(path)) for n, path in queries}
    con.close()
    results, ok = {}, True
    for layout in LAYOUTS:
        start = time.monotonic()
        results[layout] = run_layout(data, layout, queries)
        slowest = max(results[layout].items(), key=lambda item: item[1][1])
        print(f"  {layout}: 22 queries in {time.monotonic() - start:.1f} s "
              f"(slowest Q{slowest[0]} {slowest[1][1]:.2f} s)")
    first = LAYOUTS[0]
    for layout in LAYOUTS[1:]:
        for n, _ in queries:
            problem = compare_tables(results[first][n][0], results[layout][n][0], shapes[n])
            if problem:
                ok = False
                print(f"  Q{n}: {layout} differs from {first}: {problem}")
    if args.answers:
        ok = check_answers(args.answers, {n: t for n, (t, _) in results[first].items()}, shapes) and ok
    if not ok:
        sys.exit("tpch reference: FAILED (see above)")

    for layout in LAYOUTS:
        os.makedirs(os.path.join(out, layout), exist_ok=True)
        for n, (table, _) in results[layout].items():
            write_arrows(os.path.join(out, layout, f"q{n:02d}.arrows"), table)
    for n, _ in queries:
        with open(os.path.join(out, f"q{n:02d}.json"), "w", encoding="utf-8") as f:
            json.dump({"query": n, "shape": shapes[n]}, f, indent=2)
    with open(stamp_path, "w", encoding="utf-8") as f:
        json.dump(stamp, f, indent=2)
    print(f"tpch reference: 22 queries agree on {', '.join(LAYOUTS)}; written to {out}")


if __name__ == "__main__":
    main()
