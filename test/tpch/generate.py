"""Writes TPC-H data as Parquet in three layouts under one root, a directory catalog Skein can serve:

    <root>/single/<table>/data.parquet
    <root>/multi/<table>/part-<i>.parquet            (8 files for big tables, 1 for nation/region)
    <root>/partitioned/lineitem/year=YYYY/month=M/part-<i>.parquet   (from l_shipdate)
    <root>/partitioned/orders/year=YYYY/month=M/part-<i>.parquet     (from o_orderdate)
    <root>/partitioned/<other table>/part-<i>.parquet                (hard links to multi's files)

Rows come from tpchgen-cli (PyPI, a Rust port of TPC's dbgen); DuckDB then casts every column to the
type DuckDB's tpch extension gives it (tpch_tables.TABLES) and writes each layout, so all layouts
hold identical table contents (checked before the root is published).

year/month are hive-only columns: they are in the directory names, not in the files. A hive-aware
reader exposes them as two extra BIGINT columns of partitioned lineitem/orders; TPC-H never names them.

Idempotent: <root>/.tpch-stamp.json records what was generated; the same request again does nothing.
The root is built in a sibling directory and renamed into place, so a crash leaves no half root.

Usage: generate.py --sf 0.1 --out build/tpch/sf0.1 [--force] [--row-group-rows 100000]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import duckdb

from tpch_tables import HIVE_COLUMNS, LAYOUTS, PARTITIONED, TABLES, quote_ident, quote_literal, scan_sql

# Bump when the layouts or their contents change, so existing roots are regenerated.
LAYOUT_VERSION = 1
STAMP = ".tpch-stamp.json"

# multi (and partitioned, for tables that are not hive-partitioned): files per table, split into
# ranges of a key. lineitem is split at orders' boundaries and partsupp at part's, so file i of
# both sides of those joins covers the same keys (co-located joins are possible).
MULTI_SPLIT = {
    # table: (files, key column, table whose boundaries to use)
    "region": (1, None, None),
    "nation": (1, None, None),
    "supplier": (4, "s_suppkey", "supplier"),
    "customer": (8, "c_custkey", "customer"),
    "part": (8, "p_partkey", "part"),
    "partsupp": (8, "ps_partkey", "part"),
    "orders": (8, "o_orderkey", "orders"),
    "lineitem": (8, "l_orderkey", "orders"),
}
BOUNDARY_KEY = {"supplier": "s_suppkey", "customer": "c_custkey", "part": "p_partkey", "orders": "o_orderkey"}


def tpchgen_binary():
    exe = os.path.join(os.path.dirname(sys.executable), "tpchgen-cli")
    if not os.path.exists(exe):
        exe = shutil.which("tpchgen-cli")
    if not exe:
        sys.exit("generate.py: tpchgen-cli is not installed (run test/tpch/setup.sh)")
    return exe


def tpchgen_version(exe):
    out = subprocess.run([exe, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    return out.split()[-1]


def read_stamp(root):
    try:
        with open(os.path.join(root, STAMP), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Timer:
    def __init__(self):
        self.steps = []

    def run(self, name, fn, *args):
        start = time.monotonic()
        result = fn(*args)
        self.steps.append((name, time.monotonic() - start))
        return result

    def summary(self):
        total = sum(s for _, s in self.steps)
        parts = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.steps)
        return f"{parts}; total {total:.1f} s"


def run_tpchgen(exe, sf, raw):
    subprocess.run([exe, "parquet", "--scale-factor", sf, "--output-dir", raw, "--no-progress", "--quiet"],
                   check=True)


def create_sources(con, raw):
    """One view per table over tpchgen-cli's file, with DuckDB tpch's column types."""
    for table, columns in TABLES.items():
        path = quote_literal(os.path.join(raw, f"{table}.parquet"))
        have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()]
        want = [c for c, _ in columns]
        if have != want:
            raise SystemExit(f"generate.py: tpchgen-cli's {table} has columns {have}, expected {want}")
        casts = ", ".join(f"CAST({quote_ident(c)} AS {t}) AS {quote_ident(c)}" for c, t in columns)
        con.execute(f"CREATE VIEW {quote_ident('src_' + table)} AS SELECT {casts} FROM read_parquet({path})")


def copy_options(row_group_rows, extra=""):
    return f"(FORMAT parquet, ROW_GROUP_SIZE {int(row_group_rows)}{extra})"


def write_single(con, out, row_group_rows):
    for table in TABLES:
        target = os.path.join(out, "single", table)
        os.makedirs(target)
        con.execute(f"COPY {quote_ident('src_' + table)} TO {quote_literal(os.path.join(target, 'data.parquet'))} "
                    f"{copy_options(row_group_rows)}")


def boundaries(con, table, files):
    """Upper key bounds splitting `table` into `files` ranges of (nearly) equal row counts."""
    key = quote_ident(BOUNDARY_KEY[table])
    rows = con.execute(f"SELECT max(k) FROM (SELECT {key} AS k, ntile({int(files)}) OVER (ORDER BY {key}) AS b "
                       f"FROM {quote_ident('src_' + table)}) GROUP BY b ORDER BY b").fetchall()
    return [int(r[0]) for r in rows]


def write_multi(con, out, row_group_rows):
    bounds = {}
    for table, (files, key, by) in MULTI_SPLIT.items():
        target = os.path.join(out, "multi", table)
        os.makedirs(target)
        src = quote_ident("src_" + table)
        if files == 1:
            con.execute(f"COPY {src} TO {quote_literal(os.path.join(target, 'part-0.parquet'))} "
                        f"{copy_options(row_group_rows)}")
            continue
        if by not in bounds:
            bounds[by] = boundaries(con, by, files)
        upper = bounds[by]
        k = quote_ident(key)
        for i in range(len(upper)):
            conds = []
            if i > 0:
                conds.append(f"{k} > {upper[i - 1]}")
            if i < len(upper) - 1:
                conds.append(f"{k} <= {upper[i]}")
            where = " AND ".join(conds) or "true"
            con.execute(f"COPY (SELECT * FROM {src} WHERE {where}) TO "
                        f"{quote_literal(os.path.join(target, f'part-{i}.parquet'))} {copy_options(row_group_rows)}")


def link_or_copy(src_dir, dst_dir):
    os.makedirs(dst_dir)
    for name in sorted(os.listdir(src_dir)):
        src, dst = os.path.join(src_dir, name), os.path.join(dst_dir, name)
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)


def write_partitioned(con, out, row_group_rows):
    for table in TABLES:
        target = os.path.join(out, "partitioned", table)
        if table not in PARTITIONED:
            link_or_copy(os.path.join(out, "multi", table), target)
            continue
        date = quote_ident(PARTITIONED[table])
        year, month = (quote_ident(c) for c in HIVE_COLUMNS)
        # PARTITION_BY leaves the partition columns out of the files (WRITE_PARTITION_COLUMNS false)
        options = copy_options(row_group_rows, f", PARTITION_BY ({year}, {month}), "
                                               f"FILENAME_PATTERN {quote_literal('part-{i}')}")
        con.execute(f"COPY (SELECT *, year({date}) AS {year}, month({date}) AS {month} "
                    f"FROM {quote_ident('src_' + table)}) TO {quote_literal(target)} {options}")


def verify(con, out):
    """Every layout holds the same rows with the same types as `single`; hive values match the dates."""
    for table, columns in TABLES.items():
        names = ", ".join(quote_ident(c) for c, _ in columns)
        seen = {}
        for layout in LAYOUTS:
            scan = scan_sql(out, layout, table)
            described = [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
            data_columns = [d for d in described if d[0] not in HIVE_COLUMNS or layout != "partitioned"]
            if data_columns != columns:
                raise SystemExit(f"generate.py: {layout}/{table} has columns {described}, expected {columns}")
            seen[layout] = con.execute(f"SELECT count(*), sum(hash(t)::HUGEINT) FROM (SELECT {names} FROM {scan}) t"
                                       ).fetchone()
        if len(set(seen.values())) != 1:
            raise SystemExit(f"generate.py: layouts of {table} differ (rows, hash): {seen}")
        if table in PARTITIONED:
            date = quote_ident(PARTITIONED[table])
            bad = con.execute(f"SELECT count(*) FROM {scan_sql(out, 'partitioned', table)} "
                              f"WHERE year <> year({date}) OR month <> month({date})").fetchone()[0]
            if bad:
                raise SystemExit(f"generate.py: {bad} rows of partitioned/{table} sit in the wrong partition")


def generate(sf, out, row_group_rows, exe, stamp):
    tmp = out.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    raw = os.path.join(tmp, ".raw")
    os.makedirs(raw)
    timer = Timer()
    timer.run("tpchgen-cli", run_tpchgen, exe, sf, raw)
    con = duckdb.connect()
    try:
        create_sources(con, raw)
        timer.run("single", write_single, con, tmp, row_group_rows)
        timer.run("multi", write_multi, con, tmp, row_group_rows)
        timer.run("partitioned", write_partitioned, con, tmp, row_group_rows)
        timer.run("verify", verify, con, tmp)
    finally:
        con.close()
    shutil.rmtree(raw)
    with open(os.path.join(tmp, STAMP), "w", encoding="utf-8") as f:
        json.dump(stamp, f, indent=2)
        f.write("\n")
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    return timer


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sf", required=True, help="scale factor, e.g. 0.1 or 1")
    parser.add_argument("--out", required=True, help="root directory (replaced when out of date)")
    parser.add_argument("--row-group-rows", type=int, default=100_000)
    parser.add_argument("--force", action="store_true", help="regenerate even when the stamp matches")
    args = parser.parse_args()
    if float(args.sf) <= 0:
        parser.error("--sf must be positive")
    out = os.path.abspath(args.out)
    exe = tpchgen_binary()
    stamp = {"scale_factor": args.sf, "tpchgen_cli": tpchgen_version(exe), "duckdb": duckdb.__version__,
             "layout_version": LAYOUT_VERSION, "row_group_rows": args.row_group_rows}
    if not args.force and read_stamp(out) == stamp:
        print(f"tpch sf {args.sf}: {out} is up to date")
        return
    start = time.monotonic()
    timer = generate(args.sf, out, args.row_group_rows, exe, stamp)
    print(f"tpch sf {args.sf}: wrote {out} in {time.monotonic() - start:.1f} s ({timer.summary()})")


if __name__ == "__main__":
    main()
