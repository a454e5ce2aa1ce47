"""Reads Skein's EXPLAIN / EXPLAIN ANALYZE answers ((explain_key, explain_value) rows) into numbers.

The text is meant for people (src/planner/explain.ts, src/flight/distributed.ts); these parsers
follow its wording and fail loudly when it changes rather than report a wrong figure.
"""

import json
import re

_FILES = re.compile(
    r"files: (\d+) of (\d+) kept, ([\d.]+) (KiB|MiB) of ([\d.]+) (KiB|MiB); row groups (\d+) of (\d+) may match"
)
_UNIT = {"KiB": 1024, "MiB": 1024 * 1024}
_ANALYZE = {
    "elapsed_ms": re.compile(r"elapsed: ([\d.]+) ms"),
    "result_rows": re.compile(r"result rows: (\d+)"),
    "fragments": re.compile(r"fragments run: (\d+)"),
    "rows_shipped": re.compile(r"rows shipped from executors: (\d+)"),
    "arrow_bytes_shipped": re.compile(r"Arrow bytes shipped: (\d+)"),
    "file_bytes_scanned": re.compile(r"file bytes scanned: (\d+)"),
}


class ExplainFormatError(RuntimeError):
    pass


def explain_rows(cursor, sql):
    """Runs EXPLAIN [ANALYZE] text through ADBC; returns [(key, value)] in order."""
    cursor.execute(sql)
    table = cursor.fetch_arrow_table()
    if table.column_names[:2] != ["explain_key", "explain_value"]:
        raise ExplainFormatError(f"not an EXPLAIN answer: columns {table.column_names}")
    return list(zip(table.column(0).to_pylist(), table.column(1).to_pylist()))


def stages(rows):
    """One dict per `stage …` row: id, kind, table, the files line's numbers (byte figures are rounded
    to 0.1 KiB/MiB by the EXPLAIN text), and the header line."""
    out = []
    for key, value in rows:
        if not key.startswith("stage "):
            continue
        header = value.split("\n", 1)[0]
        m = re.match(r"stage (\S+) \(([^)]+)\) over (\S+)", header)
        f = _FILES.search(value)
        if not m or not f:
            raise ExplainFormatError(f"cannot read stage row {key!r}: {value[:300]!r}")
        out.append({
            "id": m.group(1), "kind": m.group(2), "table": m.group(3), "header": header,
            "files_kept": int(f.group(1)), "files_total": int(f.group(2)),
            "bytes_kept_approx": float(f.group(3)) * _UNIT[f.group(4)],
            "bytes_total_approx": float(f.group(5)) * _UNIT[f.group(6)],
            "row_groups_kept": int(f.group(7)), "row_groups_total": int(f.group(8)),
            "pruned": [line.strip() for line in value.split("\n") if line.strip().startswith("pruned:")],
        })
    return out


_STATS_KEYS = {
    "elapsed_ms": "elapsedMs",
    "result_rows": "resultRows",
    "fragments": "fragments",
    "rows_shipped": "rowsShipped",
    "arrow_bytes_shipped": "arrowBytesShipped",
    "file_bytes_scanned": "fileBytesScanned",
}


def analyze(rows):
    """EXPLAIN ANALYZE's figures as numbers: from its JSON `stats` row (the `analyze` row's text as
    the fallback for servers without one)."""
    found = dict(rows)
    if "stats" in found:
        stats = json.loads(found["stats"])
        missing = [k for k in _STATS_KEYS.values() if k not in stats]
        if missing:
            raise ExplainFormatError(f"'stats' row lacks {missing}: {found['stats']!r}")
        out = {name: stats[key] for name, key in _STATS_KEYS.items()}
        out["cache"] = stats.get("cache")
        return out
    text = found.get("analyze")
    if text is None:
        raise ExplainFormatError("no 'analyze' row: is this EXPLAIN ANALYZE of a distributed query?")
    out = {}
    for name, pattern in _ANALYZE.items():
        m = pattern.search(text)
        if not m:
            raise ExplainFormatError(f"'analyze' row lacks {name}: {text!r}")
        out[name] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))
    return out


def plan_note(rows):
    return dict(rows).get("plan", "")


_FRAGMENT = re.compile(r"^\s*fragment (\S+): (\d+) file\(s\), ([\d.]+) (KiB|MiB), (\d+) rows$")


def fragments(rows):
    """Every fragment of every stage: {stage, id, files, bytes_approx (rounded to 0.1 KiB/MiB by the
    EXPLAIN text), rows}, in plan order."""
    out = []
    for stage in stages(rows):
        text = dict(rows)[f"stage {stage['id']}"]
        for line in text.split("\n"):
            if line.lstrip().startswith("fragment "):
                m = _FRAGMENT.match(line)
                if not m:
                    raise ExplainFormatError(f"cannot read fragment line {line!r}")
                out.append({"stage": stage["id"], "kind": stage["kind"], "table": stage["table"], "id": m.group(1),
                            "files": int(m.group(2)), "bytes_approx": float(m.group(3)) * _UNIT[m.group(4)],
                            "rows": int(m.group(5))})
    return out
