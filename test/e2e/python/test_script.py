"""The shared statement script (test/e2e/script/script.json) against the reference answers."""

import json
import os

import pytest

import helpers

SCRIPT = helpers.load_script()


def _expected(name):
    return helpers.read_arrows(os.path.join(helpers.expected_dir(), name + ".arrows"))


@pytest.mark.parametrize("query", SCRIPT["queries"], ids=[q["name"] for q in SCRIPT["queries"]])
def test_query(script_ready, conn, query):
    expected = _expected(query["name"])
    with conn.cursor() as cur:
        cur.execute(query["sql"])
        actual = cur.fetch_arrow_table()
        assert cur.rowcount in (-1, expected.num_rows), \
            f"rowcount {cur.rowcount} is neither -1 (unknown) nor {expected.num_rows}"
    helpers.assert_table_matches(actual, expected, query["ordered"], query["name"])


def test_setup_is_idempotent(script_ready, connect):
    """Running the setup a second time (another client doing its own run) must succeed and leave
    the same data behind."""
    c = connect()
    with c.cursor() as cur:
        for statement in script_ready["setup"]:
            cur.executescript(statement)
    query = next(q for q in script_ready["queries"] if q["name"] == "types_ints")
    helpers.assert_table_matches(helpers.query_table(c, query["sql"]), _expected("types_ints"), True, "types_ints")


def test_reference_json_agrees_with_arrows(script):
    """The .json reference answers (read by clients that compare values) say the same as .arrows."""
    for query in script["queries"]:
        name = query["name"]
        table = _expected(name)
        with open(os.path.join(helpers.expected_dir(), name + ".json"), encoding="utf-8") as f:
            doc = json.load(f)
        assert [c["name"] for c in doc["columns"]] == table.schema.names, name
        rows = helpers.canonical.rows(table)
        if not query["ordered"]:
            rows.sort(key=lambda r: json.dumps(r, ensure_ascii=False))
        assert doc["rows"] == rows, name
