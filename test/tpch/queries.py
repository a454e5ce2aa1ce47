"""Writes the 22 TPC-H queries (validation substitution parameters, DuckDB's SQL) and DuckDB's published
answers, taken from DuckDB's tpch extension (tpch_queries(), tpch_answers()), into a build directory:

    <out>/q01.sql ... q22.sql
    <out>/answers/sf0.01|sf0.1|sf1/q01.csv ...   (pipe-separated, with a header line)

Nothing is committed: the texts come from the pinned duckdb-extension-tpch wheel each time. That wheel
loads only into the DuckDB it was built for, installed apart by setup.sh; run this file with
`PYTHONPATH=<repo>/.venv-test/skein-tpch-queries` (run.sh does).

Usage: queries.py OUT
"""

import glob
import os
import sys

import duckdb
import duckdb_extension_tpch


def extension_path():
    base = os.path.join(os.path.dirname(duckdb_extension_tpch.__file__), "extensions")
    found = glob.glob(os.path.join(base, "v*", "tpch.duckdb_extension"))
    if len(found) != 1:
        sys.exit(f"queries.py: expected one tpch extension under {base}, found {found}")
    return found[0]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    out = sys.argv[1]
    ext = extension_path()
    built_for = os.path.basename(os.path.dirname(ext)).lstrip("v")
    if built_for != duckdb.__version__:
        sys.exit(f"queries.py: the tpch extension is for DuckDB {built_for} but this is DuckDB "
                 f"{duckdb.__version__} (set PYTHONPATH to .venv-test/skein-tpch-queries)")
    con = duckdb.connect()
    con.execute("LOAD " + "'" + ext.replace("'", "''") + "'")
    os.makedirs(out, exist_ok=True)
    queries = con.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY query_nr").fetchall()
    if [n for n, _ in queries] != list(range(1, 23)):
        sys.exit(f"queries.py: tpch_queries() returned queries {[n for n, _ in queries]}")
    for n, text in queries:
        with open(os.path.join(out, f"q{n:02d}.sql"), "w", encoding="utf-8") as f:
            f.write(text.strip() + "\n")
    answers = con.execute("SELECT scale_factor, query_nr, answer FROM tpch_answers()").fetchall()
    for sf, n, text in answers:
        folder = os.path.join(out, "answers", f"sf{sf:g}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"q{n:02d}.csv"), "w", encoding="utf-8") as f:
            f.write(text.strip("\n") + "\n")
    con.close()
    print(f"tpch queries: wrote {len(queries)} queries and {len(answers)} answers to {out} "
          f"(DuckDB {duckdb.__version__} tpch extension)")


if __name__ == "__main__":
    main()
