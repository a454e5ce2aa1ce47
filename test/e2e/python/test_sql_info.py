"""CommandGetSqlInfo: what ADBC's get_info reports, and the raw GetSqlInfo table checked on the wire
with pyarrow.flight — the result schema of the reference implementations (C++, Java, Go), only ids
of the SqlInfo enum, each value in the union child its kind demands, and values that agree with
DuckDB (keywords, functions, CASTs) or with what Skein really supports.
"""

import json
import os

import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import flight_proto as fp
import helpers

# --- the specification ------------------------------------------------------------------------

# Result schema as the C++, Java and Go reference servers declare it (the proto comment names the
# children but not their nullability; all three make them non-nullable).
REF_SQL_INFO = pa.schema([
    pa.field("info_name", pa.uint32(), nullable=False),
    pa.field("value", pa.dense_union([
        pa.field("string_value", pa.utf8(), nullable=False),
        pa.field("bool_value", pa.bool_(), nullable=False),
        pa.field("bigint_value", pa.int64(), nullable=False),
        pa.field("int32_bitmask", pa.int32(), nullable=False),
        pa.field("string_list", pa.list_(pa.field("item", pa.utf8())), nullable=False),
        pa.field("int32_to_int32_list_map", pa.map_(pa.int32(), pa.list_(pa.field("item", pa.int32()))),
                 nullable=False),
    ], type_codes=[0, 1, 2, 3, 4, 5]), nullable=False),
])

STRING, BOOL, BIGINT, BITMASK, STRINGS, MAP = range(6)  # union type codes = children in order

# Every id of FlightSql.proto's SqlInfo enum with the union child it travels in. The proto says
# "int32 ordinal" for 503, 505, 507 and 562, but the reference builders put them in bigint_value
# and the JDBC driver casts 562 to Long; 528 ("ordinal") is a bitmask to every client.
SQL_INFO_KINDS = {
    0: STRING, 1: STRING, 2: STRING, 3: BOOL, 4: BOOL, 5: BOOL, 6: STRING, 7: STRING,
    8: BITMASK, 9: BOOL, 10: BOOL, 11: BOOL, 100: BITMASK, 101: BITMASK,
    500: BOOL, 501: BOOL, 502: BOOL, 503: BIGINT, 504: STRING, 505: BIGINT, 506: BOOL, 507: BIGINT,
    508: STRINGS, 509: STRINGS, 510: STRINGS, 511: STRINGS, 512: STRINGS, 513: STRING, 514: STRING,
    515: BOOL, 516: BOOL, 517: MAP, 518: BOOL, 519: BOOL, 520: BOOL, 521: BOOL, 522: BITMASK, 523: BOOL,
    524: BOOL, 525: BITMASK, 526: BITMASK, 527: BOOL, 528: BITMASK, 529: STRING, 530: STRING,
    531: STRING, 532: BOOL, 533: BITMASK, 534: BITMASK, 535: BITMASK, 536: BOOL, 537: BOOL,
    538: BITMASK, 539: BOOL, 540: BITMASK,
    **{i: BIGINT for i in range(541, 556)}, 556: BOOL, **{i: BIGINT for i in range(557, 563)},
    563: BOOL, 564: BITMASK, 565: BOOL, 566: BOOL, 567: BITMASK, 568: BITMASK, 569: BITMASK,
    570: BITMASK, 571: BITMASK, 572: BOOL, 573: BOOL, 574: BOOL, 575: BOOL, 576: BOOL,
}
# Substrait is not supported, so there is no version to report.
NOT_REPORTED = {6, 7}


def bits(*positions):
    return sum(1 << p for p in positions)


# What Skein says about DuckDB's SQL (ids owned by other features — transactions, cancellation,
# ingestion, timeouts — are checked by those features' tests, not here).
EXPECTED_VALUES = {
    0: "Skein", 3: False, 4: True, 5: False,
    500: False, 501: True, 502: True,
    503: 1, 504: '"', 505: 1,  # identifiers case-insensitive, quoted ones too
    506: True, 507: 3,  # NULLS LAST
    513: "\\", 514: "$",
    515: True, 516: True, 518: True, 519: False, 520: True, 521: True,
    522: bits(0, 1), 523: True, 524: True, 525: bits(0, 1, 2), 526: bits(0, 1), 527: True,
    528: bits(1, 2),  # limited and full outer joins
    529: "schema", 530: "procedure", 531: "catalog", 532: True,
    533: bits(1), 534: bits(1), 535: 0, 536: False, 537: False, 538: bits(0, 1, 2, 3), 539: True,
    540: bits(0, 1),
    **{i: 0 for i in range(541, 556)}, 556: True, **{i: 0 for i in range(557, 562)},
    562: 4,  # SERIALIZABLE
    567: bits(1), 568: bits(1), 569: bits(1), 570: 0, 571: 0,
    572: True, 573: False, 574: False, 575: False, 576: False,
}

# SqlSupportsConvert id -> a DuckDB literal of the type it stands for (the JDBC type names differ).
CONVERT_LITERALS = {
    0: "1::BIGINT", 1: "'\\x01'::BLOB", 2: "true", 3: "'1'", 4: "DATE '2024-01-02'",
    5: "1.5::DECIMAL(18,3)", 6: "1.5::DOUBLE", 7: "1::INTEGER", 8: "INTERVAL '1 day 2 hours'",
    9: "INTERVAL '1 year 2 months'", 10: "'\\x01'::BLOB", 11: "'1'", 12: "1.5::DECIMAL(18,3)",
    13: "1.5::FLOAT", 14: "1::SMALLINT", 15: "TIME '10:11:12'", 16: "TIMESTAMP '2024-01-02 10:11:12'",
    17: "1::TINYINT", 18: "'\\x01'::BLOB", 19: "'1'",
}
CONVERT_TYPES = {
    0: "BIGINT", 1: "BLOB", 2: "BOOLEAN", 3: "VARCHAR", 4: "DATE", 5: "DECIMAL(18,3)", 6: "DOUBLE",
    7: "INTEGER", 8: "INTERVAL", 9: "INTERVAL", 10: "BLOB", 11: "VARCHAR", 12: "DECIMAL(18,3)",
    13: "FLOAT", 14: "SMALLINT", 15: "TIME", 16: "TIMESTAMP", 17: "TINYINT", 18: "BLOB", 19: "VARCHAR",
}

# Names DuckDB's parser turns into expressions, so duckdb_functions() does not list them.
SYNTAX_FUNCTIONS = {"COALESCE", "IFNULL", "CURRENT_TIME", "CURRENT_TIMESTAMP", "EXTRACT", "LOCALTIME",
                    "LOCALTIMESTAMP"}

# ADBC info codes (adbc.h).
ADBC_VENDOR_NAME, ADBC_VENDOR_VERSION, ADBC_VENDOR_ARROW_VERSION = 0, 1, 2
ADBC_VENDOR_SQL, ADBC_VENDOR_SUBSTRAIT = 3, 4
ADBC_VENDOR_SUBSTRAIT_MIN, ADBC_VENDOR_SUBSTRAIT_MAX = 5, 6


def _package_version(path):
    with open(os.path.join(helpers.REPO_ROOT, path, "package.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


SKEIN_VERSION = _package_version(".")
ARROW_JS_VERSION = _package_version(os.path.join("node_modules", "apache-arrow"))

# --- reading GetSqlInfo -----------------------------------------------------------------------


_varint = fp.varint


def cmd_sql_info(ids=()):
    # repeated uint32 info = 1, packed
    body = b"".join(_varint(i) for i in ids)
    payload = (_varint((1 << 3) | 2) + _varint(len(body)) + body) if ids else b""
    return helpers.pack_any("CommandGetSqlInfo", payload)


class SqlInfo:
    def __init__(self, info_schema, get_schema, table):
        self.info_schema = info_schema
        self.get_schema = get_schema
        self.table = table
        self.ids = table.column("info_name").to_pylist()
        self.kinds = []
        for chunk in table.column("value").chunks:
            self.kinds.extend(chunk.type_codes.to_pylist())
        self.values = dict(zip(self.ids, table.column("value").to_pylist()))


def get_sql_info(session, ids=()):
    desc = flight.FlightDescriptor.for_command(cmd_sql_info(ids))
    info = session.client.get_flight_info(desc, session.options())
    get_schema = session.client.get_schema(desc, session.options()).schema
    tables = [session.client.do_get(ep.ticket, session.options()).read_all() for ep in info.endpoints]
    assert tables, "GetSqlInfo FlightInfo has no endpoint"
    return SqlInfo(info.schema, get_schema, pa.concat_tables(tables))


@pytest.fixture(scope="module")
def sql_info(server):
    session = helpers.FlightSession(server)
    try:
        yield get_sql_info(session)
    finally:
        session.close()


def assert_schema_exact(actual, expected, label):
    assert actual.names == expected.names, f"{label}: columns {actual.names} != {expected.names}"
    for a, e in zip(actual, expected):
        assert a.equals(e, check_metadata=True), f"{label}: field {a!r} != {e!r}"
    assert actual.equals(expected, check_metadata=True), f"{label}:\n{actual}\n!=\n{expected}"


# --- ADBC -------------------------------------------------------------------------------------


def test_adbc_get_info(conn):
    info = conn.adbc_get_info()
    assert info["vendor_name"] == "Skein"
    assert info["vendor_version"] == SKEIN_VERSION
    assert info["vendor_arrow_version"] == ARROW_JS_VERSION
    assert info["driver_name"] == "ADBC Flight SQL Driver - Go"
    assert info["driver_arrow_version"].startswith("v18."), info
    assert info["driver_adbc_version"] == 1_001_000  # ADBC API 1.1.0


def test_adbc_get_info_by_code(conn):
    """Codes asked for explicitly, including vendor_sql/vendor_substrait (no names in the DBAPI)."""
    codes = [ADBC_VENDOR_NAME, ADBC_VENDOR_VERSION, ADBC_VENDOR_ARROW_VERSION, ADBC_VENDOR_SQL,
             ADBC_VENDOR_SUBSTRAIT, ADBC_VENDOR_SUBSTRAIT_MIN, ADBC_VENDOR_SUBSTRAIT_MAX]
    handle = conn.adbc_connection.get_info(codes)
    table = pa.RecordBatchReader._import_from_c(handle.address).read_all()
    got = {r["info_name"]: r["info_value"] for r in table.to_pylist()}
    assert got == {
        ADBC_VENDOR_NAME: "Skein",
        ADBC_VENDOR_VERSION: SKEIN_VERSION,
        ADBC_VENDOR_ARROW_VERSION: ARROW_JS_VERSION,
        ADBC_VENDOR_SQL: True,
        ADBC_VENDOR_SUBSTRAIT: False,
        ADBC_VENDOR_SUBSTRAIT_MIN: None,  # the server reports none: Substrait is not supported
        ADBC_VENDOR_SUBSTRAIT_MAX: None,
    }


# --- the raw table ----------------------------------------------------------------------------


def test_schema_is_the_reference_schema(sql_info):
    assert_schema_exact(sql_info.info_schema, REF_SQL_INFO, "FlightInfo.schema")
    assert_schema_exact(sql_info.get_schema, REF_SQL_INFO, "GetSchema")
    assert_schema_exact(sql_info.table.schema, REF_SQL_INFO, "DoGet schema")


def test_every_enum_id_and_only_enum_ids(sql_info):
    assert sql_info.ids == sorted(set(sql_info.ids)), "ids must be unique and ascending"
    unknown = set(sql_info.ids) - set(SQL_INFO_KINDS)
    assert not unknown, f"ids outside the SqlInfo enum (the JDBC driver cannot key them): {sorted(unknown)}"
    missing = set(SQL_INFO_KINDS) - NOT_REPORTED - set(sql_info.ids)
    assert not missing, f"SqlInfo ids not reported: {sorted(missing)}"


def test_every_value_has_its_kind(sql_info):
    names = [f.name for f in REF_SQL_INFO.field("value").type]
    wrong = [f"{i}: {names[k]} (want {names[SQL_INFO_KINDS[i]]})"
             for i, k in zip(sql_info.ids, sql_info.kinds) if k != SQL_INFO_KINDS[i]]
    assert not wrong, "values in the wrong union child: " + "; ".join(wrong)
    for i, v in sql_info.values.items():
        assert v is not None, f"SqlInfo {i} is null"


def test_values(sql_info):
    got = {i: sql_info.values[i] for i in EXPECTED_VALUES}
    diff = {i: (got[i], want) for i, want in EXPECTED_VALUES.items() if got[i] != want}
    assert not diff, f"SqlInfo values (got, want): {diff}"
    assert sql_info.values[1] == SKEIN_VERSION
    assert sql_info.values[2] == ARROW_JS_VERSION


def test_keywords_are_duckdbs(sql_info):
    with duckdb.connect() as local:
        want = [r[0] for r in local.execute(
            "SELECT DISTINCT upper(keyword_name) FROM duckdb_keywords() ORDER BY 1").fetchall()]
    assert sql_info.values[508] == want


def test_function_lists(sql_info):
    numeric, string, system, datetime = (sql_info.values[i] for i in (509, 510, 511, 512))
    for name in ("ABS", "ACOS", "CEILING", "FLOOR", "LOG10", "MOD", "PI", "POWER", "ROUND", "SIGN", "SQRT"):
        assert name in numeric, name
    for name in ("ASCII", "CHR", "CONCAT", "LCASE", "LEFT", "LENGTH", "LTRIM", "REPEAT", "REPLACE", "RTRIM",
                 "SUBSTRING", "UCASE", "UPPER", "REGEXP_REPLACE"):
        assert name in string, name
    for name in ("COALESCE", "IFNULL", "USER", "CURRENT_DATABASE", "CURRENT_SCHEMA", "VERSION", "TYPEOF"):
        assert name in system, name
    for name in ("CURRENT_DATE", "CURRENT_TIMESTAMP", "DATE_TRUNC", "DAYNAME", "DAYOFMONTH", "EXTRACT",
                 "HOUR", "MONTHNAME", "NOW", "QUARTER", "STRFTIME", "WEEK", "YEAR"):
        assert name in datetime, name
    lists = (numeric, string, system, datetime)
    for names in lists:
        assert names == sorted(names)
    everything = [n for names in lists for n in names]
    assert len(everything) == len(set(everything)), "a function is listed in two families"
    with duckdb.connect() as local:
        known = {r[0] for r in local.execute("SELECT DISTINCT upper(function_name) FROM duckdb_functions()").fetchall()}
        unknown = set(everything) - known - SYNTAX_FUNCTIONS
        assert not unknown, f"not DuckDB functions: {sorted(unknown)}"
        for name in SYNTAX_FUNCTIONS - {"EXTRACT", "COALESCE", "IFNULL"}:
            local.execute(f"SELECT {name}")
        local.execute("SELECT extract(year FROM DATE '2024-01-02'), coalesce(NULL, 1), ifnull(NULL, 1)")


def test_supports_convert_matches_duckdb_casts(sql_info):
    """Differential: each claimed (im)possible CAST agrees with DuckDB on a value of the source type."""
    conversions = dict(sql_info.values[517])
    assert sorted(conversions) == list(range(20))
    wrong = []
    with duckdb.connect() as local:
        for source, targets in conversions.items():
            assert source in targets, f"{source} does not convert to itself"
            for target in range(20):
                try:
                    local.execute(f"SELECT CAST({CONVERT_LITERALS[source]} AS {CONVERT_TYPES[target]})").fetchall()
                    exists = True
                except duckdb.Error as e:
                    exists = "Unimplemented type for cast" not in str(e)
                if exists != (target in targets):
                    wrong.append((source, target, exists))
    assert not wrong, f"(from, to, DuckDB can cast) disagreeing with SqlInfo 517: {wrong}"
    assert 3 in conversions[4] and 16 in conversions[4]  # DATE -> CHAR, TIMESTAMP
    assert 7 not in conversions[4]  # DATE -> INTEGER does not exist
    assert 16 not in conversions[15]  # nor TIME -> TIMESTAMP


def test_requested_ids_in_request_order(flight_session):
    res = get_sql_info(flight_session, [504, 0, 528, 9999, 8])
    assert_schema_exact(res.table.schema, REF_SQL_INFO, "DoGet schema")
    assert res.ids == [504, 0, 528, 8], "unknown ids are left out, the rest keep the requested order"
    assert res.kinds == [STRING, STRING, BITMASK, BITMASK]
    assert res.values[504] == '"' and res.values[0] == "Skein" and res.values[528] == bits(1, 2)
