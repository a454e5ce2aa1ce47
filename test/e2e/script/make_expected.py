"""Write the reference answers of the shared statement script (see test/e2e/README.md).

Usage: python make_expected.py OUTDIR

Runs `setup` and then every query of script.json in a fresh in-memory DuckDB (the Python
package, same version as the server's DuckDB) and writes per query:

- OUTDIR/<name>.arrows: Arrow IPC stream of DuckDB's own `to_arrow_table()` answer
- OUTDIR/<name>.json:   {"columns": [{"name", "type", "arrow_type"}], "rows": [[cell, ...], ...]}
  where "type" is DuckDB's type name, "arrow_type" the Arrow type DuckDB exported, and the cells
  are in the canonical form of canonical.py. Rows of queries with "ordered": false are sorted
  (by their JSON text) so the file is stable; clients compare those order-insensitively.
"""

import json
import os
import sys

import duckdb
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import canonical  # noqa: E402


def load_script(path=None):
    with open(path or os.path.join(HERE, "script.json"), encoding="utf-8") as f:
        return json.load(f)


def write_expected(outdir, script):
    os.makedirs(outdir, exist_ok=True)
    con = duckdb.connect(":memory:")
    for statement in script["setup"]:
        con.execute(statement)
    for query in script["queries"]:
        name = query["name"]
        rel = con.sql(query["sql"])
        types = [str(t) for t in rel.types]
        table = rel.to_arrow_table()
        with pa.OSFile(os.path.join(outdir, name + ".arrows"), "wb") as sink:
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
        rows = canonical.rows(table)
        if not query.get("ordered", False):
            rows.sort(key=lambda r: json.dumps(r, ensure_ascii=False, sort_keys=False))
        doc = {
            "columns": [
                {"name": field.name, "type": types[i], "arrow_type": str(field.type)}
                for i, field in enumerate(table.schema)
            ],
            "rows": rows,
        }
        with open(os.path.join(outdir, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            f.write("\n")
    con.close()


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: make_expected.py OUTDIR\n")
        return 2
    write_expected(argv[1], load_script())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
