"""Flight SQL metadata commands: ADBC get_objects / get_table_schema / get_table_types, and the raw
commands (GetCatalogs, GetDbSchemas, GetTables, GetTableTypes, GetPrimaryKeys, GetImportedKeys,
GetExportedKeys, GetCrossReference, GetXdbcTypeInfo) checked on the wire with pyarrow.flight.

The objects live in schemas meta_s and meta_s2 of the in-memory catalog `memory`; nothing here
assumes what other suites create elsewhere. Every result schema must equal the reference schema
of the Flight SQL specification exactly (names, types, nullability, no field metadata), on
GetFlightInfo, GetSchema and DoGet alike.
"""

import adbc_driver_manager
import duckdb
import pyarrow as pa
import pyarrow.flight as flight
import pytest

import flight_proto as fp
import helpers

CATALOG = "memory"
SCHEMA = "meta_s"
SCHEMA2 = "meta_s2"

# Statements run through the server's update path, and in a local DuckDB for the reference schemas.
SETUP = [
    f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE",
    f"DROP SCHEMA IF EXISTS {SCHEMA2} CASCADE",
    f"CREATE SCHEMA {SCHEMA}",
    f"CREATE SCHEMA {SCHEMA2}",
    f"CREATE TABLE {SCHEMA}.parent (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
    f"price DECIMAL(10,2), created TIMESTAMP)",
    f"CREATE TABLE {SCHEMA}.pair (a INTEGER, b VARCHAR, note VARCHAR, PRIMARY KEY (a, b))",
    f"CREATE TABLE {SCHEMA}.child (cid BIGINT PRIMARY KEY, "
    f"parent_id INTEGER REFERENCES {SCHEMA}.parent(id), pa INTEGER, pb VARCHAR, amount DECIMAL(18,4), "
    f"FOREIGN KEY (pa, pb) REFERENCES {SCHEMA}.pair(a, b))",
    f"CREATE TABLE {SCHEMA}.plain (x DOUBLE, y DATE)",
    f"CREATE TABLE {SCHEMA}.wide (b BOOLEAN, ti TINYINT, si SMALLINT, i INTEGER, bi BIGINT, hi HUGEINT, "
    f"ub UTINYINT, ui UINTEGER, r REAL, d DOUBLE, d1 DECIMAL(4,1), d2 DECIMAL(18,3), d3 DECIMAL(38,10), "
    f"v VARCHAR, bl BLOB, dt DATE, tm TIME, ts TIMESTAMP, tz TIMESTAMPTZ, iv INTERVAL, u UUID, "
    f"l INTEGER[], st STRUCT(a INTEGER, b VARCHAR), m MAP(VARCHAR, INTEGER), e ENUM('x', 'y'))",
    f"CREATE VIEW {SCHEMA}.v AS SELECT id, name, price FROM {SCHEMA}.parent",
    f"CREATE TABLE {SCHEMA2}.parent (id2 BIGINT PRIMARY KEY, label VARCHAR)",
]

META_S_TABLES = [
    ("child", "BASE TABLE"),
    ("pair", "BASE TABLE"),
    ("parent", "BASE TABLE"),
    ("plain", "BASE TABLE"),
    ("v", "VIEW"),
    ("wide", "BASE TABLE"),
]

TABLE_TYPES = ["BASE TABLE", "LOCAL TEMPORARY", "VIEW"]

# --- reference result schemas (Flight SQL specification) -------------------------------------

U = pa.utf8()


def _f(name, typ, nullable=True):
    return pa.field(name, typ, nullable=nullable)


REF_CATALOGS = pa.schema([_f("catalog_name", U, False)])
REF_DB_SCHEMAS = pa.schema([_f("catalog_name", U), _f("db_schema_name", U, False)])
REF_TABLES = pa.schema([
    _f("catalog_name", U), _f("db_schema_name", U), _f("table_name", U, False), _f("table_type", U, False),
])
REF_TABLES_WITH_SCHEMA = pa.schema(list(REF_TABLES) + [_f("table_schema", pa.binary(), False)])
REF_TABLE_TYPES = pa.schema([_f("table_type", U, False)])
REF_PRIMARY_KEYS = pa.schema([
    _f("catalog_name", U), _f("db_schema_name", U), _f("table_name", U, False), _f("column_name", U, False),
    _f("key_sequence", pa.int32(), False), _f("key_name", U),
])
REF_FOREIGN_KEYS = pa.schema([
    _f("pk_catalog_name", U), _f("pk_db_schema_name", U), _f("pk_table_name", U, False),
    _f("pk_column_name", U, False),
    _f("fk_catalog_name", U), _f("fk_db_schema_name", U), _f("fk_table_name", U, False),
    _f("fk_column_name", U, False),
    _f("key_sequence", pa.int32(), False), _f("fk_key_name", U), _f("pk_key_name", U),
    _f("update_rule", pa.uint8(), False), _f("delete_rule", pa.uint8(), False),
])
REF_XDBC_TYPE_INFO = pa.schema([
    _f("type_name", U, False),
    _f("data_type", pa.int32(), False),
    _f("column_size", pa.int32()),
    _f("literal_prefix", U),
    _f("literal_suffix", U),
    _f("create_params", pa.list_(pa.field("item", U, nullable=False))),
    _f("nullable", pa.int32(), False),
    _f("case_sensitive", pa.bool_(), False),
    _f("searchable", pa.int32(), False),
    _f("unsigned_attribute", pa.bool_()),
    _f("fixed_prec_scale", pa.bool_(), False),
    _f("auto_increment", pa.bool_()),
    _f("local_type_name", U),
    _f("minimum_scale", pa.int32()),
    _f("maximum_scale", pa.int32()),
    _f("sql_data_type", pa.int32(), False),
    _f("datetime_subcode", pa.int32()),
    _f("num_prec_radix", pa.int32()),
    _f("interval_precision", pa.int32()),
])

NO_ACTION = 3  # FlightSql.proto UpdateDeleteRules.NO_ACTION

# XDBC data types (FlightSql.proto XdbcDataType) DuckDB types must map to.
XDBC = {
    "BOOLEAN": -7, "TINYINT": -6, "SMALLINT": 5, "INTEGER": 4, "BIGINT": -5, "DOUBLE": 8,
    "DECIMAL": 3, "VARCHAR": 12, "BLOB": -3, "DATE": 91, "TIME": 92, "TIMESTAMP": 93,
}

COLUMN_KEYS = ("CATALOG_NAME", "SCHEMA_NAME", "TABLE_NAME", "TYPE_NAME", "IS_AUTO_INCREMENT",
               "IS_CASE_SENSITIVE", "IS_READ_ONLY", "IS_SEARCHABLE")
KEY_PREFIX = "ARROW:FLIGHT:SQL:"

# --- protobuf encoding of the commands ---------------------------------------------------------


pb_string = fp.field_len
pb_varint = fp.field_varint


def pb_opt_string(number, value):
    return b"" if value is None else pb_string(number, value)


def cmd_catalogs():
    return helpers.pack_any("CommandGetCatalogs", b"")


def cmd_db_schemas(catalog=None, pattern=None):
    return helpers.pack_any("CommandGetDbSchemas", pb_opt_string(1, catalog) + pb_opt_string(2, pattern))


def cmd_tables(catalog=None, schema_pattern=None, table_pattern=None, table_types=(), include_schema=False):
    body = pb_opt_string(1, catalog) + pb_opt_string(2, schema_pattern) + pb_opt_string(3, table_pattern)
    for t in table_types:
        body += pb_string(4, t)
    if include_schema:
        body += pb_varint(5, 1)
    return helpers.pack_any("CommandGetTables", body)


def cmd_table_types():
    return helpers.pack_any("CommandGetTableTypes", b"")


def cmd_primary_keys(table, catalog=None, schema=None):
    return helpers.pack_any("CommandGetPrimaryKeys",
                            pb_opt_string(1, catalog) + pb_opt_string(2, schema) + pb_string(3, table))


def cmd_imported_keys(table, catalog=None, schema=None):
    return helpers.pack_any("CommandGetImportedKeys",
                            pb_opt_string(1, catalog) + pb_opt_string(2, schema) + pb_string(3, table))


def cmd_exported_keys(table, catalog=None, schema=None):
    return helpers.pack_any("CommandGetExportedKeys",
                            pb_opt_string(1, catalog) + pb_opt_string(2, schema) + pb_string(3, table))


def cmd_cross_reference(pk_table, fk_table, pk_catalog=None, pk_schema=None, fk_catalog=None, fk_schema=None):
    body = (pb_opt_string(1, pk_catalog) + pb_opt_string(2, pk_schema) + pb_string(3, pk_table)
            + pb_opt_string(4, fk_catalog) + pb_opt_string(5, fk_schema) + pb_string(6, fk_table))
    return helpers.pack_any("CommandGetCrossReference", body)


def cmd_xdbc_type_info(data_type=None):
    return helpers.pack_any("CommandGetXdbcTypeInfo", b"" if data_type is None else pb_varint(1, data_type))


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def meta(server):
    """Creates the metadata fixture objects on the server; returns a local DuckDB with the same objects."""
    c = helpers.connect(server)
    try:
        with c.cursor() as cur:
            for statement in SETUP:
                cur.executescript(statement)
    finally:
        c.close()
    local = duckdb.connect()
    for statement in SETUP:
        local.execute(statement)
    yield local
    local.close()


class Result:
    def __init__(self, info_schema, get_schema, stream_schema, batches, endpoints):
        self.info_schema = info_schema
        self.get_schema = get_schema
        self.stream_schema = stream_schema
        self.batches = batches
        self.endpoints = endpoints
        self.table = pa.Table.from_batches(batches, schema=stream_schema)

    def rows(self):
        return self.table.to_pylist()

    def tuples(self, *names):
        return [tuple(r[n] for n in names) for r in self.rows()]


def run_command(session, command):
    """GetFlightInfo + GetSchema + DoGet of every endpoint for one Any-packed command."""
    desc = flight.FlightDescriptor.for_command(command)
    info = session.client.get_flight_info(desc, session.options())
    got = session.client.get_schema(desc, session.options()).schema
    assert len(info.endpoints) >= 1, "metadata FlightInfo has no endpoint"
    stream_schema = None
    batches = []
    for ep in info.endpoints:
        reader = session.client.do_get(ep.ticket, session.options())
        if stream_schema is None:
            stream_schema = reader.schema
        else:
            assert_schema_exact(reader.schema, stream_schema, "second endpoint")
        while True:
            try:
                chunk = reader.read_chunk()
            except StopIteration:
                break
            if chunk.data is not None:
                batches.append(chunk.data)
    return Result(info.schema, got, stream_schema, batches, len(info.endpoints))


def assert_schema_exact(actual, expected, label):
    """Names, types, nullability and field metadata (none) must match exactly."""
    assert actual.names == expected.names, f"{label}: columns {actual.names} != {expected.names}"
    for a, e in zip(actual, expected):
        assert a.type.equals(e.type, check_metadata=True), f"{label}: {e.name} has type {a.type}, want {e.type}"
        assert a.nullable == e.nullable, f"{label}: {e.name} nullable={a.nullable}, want {e.nullable}"
        assert a.equals(e, check_metadata=True), f"{label}: field {a!r} != {e!r} (metadata {a.metadata})"


def run_checked(session, command, ref, label):
    res = run_command(session, command)
    assert_schema_exact(res.info_schema, ref, f"{label} FlightInfo.schema")
    assert_schema_exact(res.get_schema, ref, f"{label} GetSchema")
    assert_schema_exact(res.stream_schema, ref, f"{label} DoGet schema")
    return res


def local_schema(local, table, schema=SCHEMA):
    """DuckDB's Arrow schema of the table, with its NOT NULL (and PRIMARY KEY) columns non-nullable."""
    arrow = local.execute(f"SELECT * FROM {schema}.{table}").to_arrow_table().schema
    not_null = {r[0] for r in local.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? AND NOT is_nullable",
        [schema, table]).fetchall()}
    return pa.schema([f.with_nullable(f.name not in not_null) for f in arrow])


def local_type_names(local, table, schema=SCHEMA):
    rows = local.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index", [schema, table]).fetchall()
    return dict(rows)


def _key(v):
    return (v is not None, "" if v is None else v)


def table_sort_key(row):
    return (_key(row["catalog_name"]), _key(row["db_schema_name"]), row["table_name"], row["table_type"])


def objects(conn, **kwargs):
    return conn.adbc_get_objects(**kwargs).read_all().to_pylist()


# --- ADBC: get_objects, get_table_schema, get_table_types -------------------------------------


def test_get_table_types(conn, meta):
    assert conn.adbc_get_table_types() == TABLE_TYPES


def test_get_objects_catalogs(conn, meta):
    rows = objects(conn, depth="catalogs")
    assert [r["catalog_name"] for r in rows] == [CATALOG]
    assert all(r["catalog_db_schemas"] is None for r in rows)
    assert [r["catalog_name"] for r in objects(conn, depth="catalogs", catalog_filter=CATALOG)] == [CATALOG]
    assert [r["catalog_name"] for r in objects(conn, depth="catalogs", catalog_filter="mem%")] == [CATALOG]
    assert objects(conn, depth="catalogs", catalog_filter="no_such_catalog") == []


def _schemas_by_catalog(rows):
    return {r["catalog_name"]: [s["db_schema_name"] for s in (r["catalog_db_schemas"] or [])] for r in rows}


def test_get_objects_db_schemas(conn, meta):
    rows = objects(conn, depth="db_schemas")
    by_cat = _schemas_by_catalog(rows)
    assert list(by_cat) == [CATALOG]
    names = by_cat[CATALOG]
    assert {"main", SCHEMA, SCHEMA2} <= set(names), names
    assert not {"information_schema", "pg_catalog"} & set(names), names
    assert names == sorted(names), f"schemas not sorted: {names}"
    for r in rows:
        for s in r["catalog_db_schemas"]:
            assert s["db_schema_tables"] is None

    assert _schemas_by_catalog(objects(conn, depth="db_schemas", db_schema_filter=SCHEMA)) == {CATALOG: [SCHEMA]}
    assert _schemas_by_catalog(objects(conn, depth="db_schemas", db_schema_filter="meta_s%")) == \
        {CATALOG: [SCHEMA, SCHEMA2]}
    assert _schemas_by_catalog(objects(conn, depth="db_schemas", db_schema_filter="m_in")) == {CATALOG: ["main"]}
    assert _schemas_by_catalog(objects(conn, depth="db_schemas", db_schema_filter="no_such_schema%")) == \
        {CATALOG: []}
    assert _schemas_by_catalog(
        objects(conn, depth="db_schemas", catalog_filter=CATALOG, db_schema_filter=SCHEMA)) == {CATALOG: [SCHEMA]}
    assert objects(conn, depth="db_schemas", catalog_filter="no_such_catalog", db_schema_filter=SCHEMA) == []


def _tables(rows):
    """{(catalog, schema): [(table, type), ...]} of a get_objects result at depth tables or deeper."""
    out = {}
    for r in rows:
        for s in r["catalog_db_schemas"] or []:
            out[(r["catalog_name"], s["db_schema_name"])] = [
                (t["table_name"], t["table_type"]) for t in (s["db_schema_tables"] or [])]
    return out


def test_get_objects_tables(conn, meta):
    rows = objects(conn, depth="tables", db_schema_filter=SCHEMA)
    assert _tables(rows) == {(CATALOG, SCHEMA): META_S_TABLES}
    for r in rows:
        for s in r["catalog_db_schemas"]:
            for t in s["db_schema_tables"]:
                assert t["table_columns"] is None and t["table_constraints"] is None

    views = objects(conn, depth="tables", db_schema_filter=SCHEMA, table_types_filter=["VIEW"])
    assert _tables(views) == {(CATALOG, SCHEMA): [("v", "VIEW")]}
    base = objects(conn, depth="tables", db_schema_filter=SCHEMA, table_types_filter=["BASE TABLE"])
    assert _tables(base) == {(CATALOG, SCHEMA): [t for t in META_S_TABLES if t[1] == "BASE TABLE"]}
    both = objects(conn, depth="tables", db_schema_filter=SCHEMA, table_types_filter=["BASE TABLE", "VIEW"])
    assert _tables(both) == {(CATALOG, SCHEMA): META_S_TABLES}

    assert _tables(objects(conn, depth="tables", db_schema_filter=SCHEMA, table_name_filter="pa%")) == \
        {(CATALOG, SCHEMA): [("pair", "BASE TABLE"), ("parent", "BASE TABLE")]}
    assert _tables(objects(conn, depth="tables", db_schema_filter=SCHEMA, table_name_filter="pa_r")) == \
        {(CATALOG, SCHEMA): [("pair", "BASE TABLE")]}
    assert _tables(objects(conn, depth="tables", db_schema_filter="meta_s%", table_name_filter="parent")) == {
        (CATALOG, SCHEMA): [("parent", "BASE TABLE")],
        (CATALOG, SCHEMA2): [("parent", "BASE TABLE")],
    }
    assert _tables(objects(conn, depth="tables", db_schema_filter=SCHEMA, table_name_filter="no_such%")) == \
        {(CATALOG, SCHEMA): []}
    # Internal schemas are never reported, whatever the filter.
    assert _tables(objects(conn, depth="tables", db_schema_filter="information_schema")) == {}


def _columns(rows, schema, table):
    for r in rows:
        for s in r["catalog_db_schemas"] or []:
            if s["db_schema_name"] != schema:
                continue
            for t in s["db_schema_tables"] or []:
                if t["table_name"] == table:
                    return t["table_columns"]
    raise AssertionError(f"{schema}.{table} not in get_objects result")


def test_get_objects_all_columns(conn, meta):
    rows = objects(conn, depth="all", db_schema_filter=SCHEMA, table_name_filter="parent")
    assert _tables(rows) == {(CATALOG, SCHEMA): [("parent", "BASE TABLE")]}
    cols = _columns(rows, SCHEMA, "parent")
    assert [c["column_name"] for c in cols] == ["id", "name", "price", "created"]
    assert [c["ordinal_position"] for c in cols] == [1, 2, 3, 4]
    assert [c["xdbc_type_name"] for c in cols] == ["INTEGER", "VARCHAR", "DECIMAL(10,2)", "TIMESTAMP"]
    # The driver derives xdbc_data_type/xdbc_sql_data_type from the Arrow types of table_schema.
    assert [c["xdbc_data_type"] for c in cols] == [4, 12, 3, 93]
    assert [c["xdbc_sql_data_type"] for c in cols] == [4, 12, 3, 93]
    for c in cols:
        assert c["xdbc_scope_catalog"] == CATALOG
        assert c["xdbc_scope_schema"] == SCHEMA
        assert c["xdbc_scope_table"] == "parent"
        assert c["xdbc_is_autoincrement"] is False

    filtered = objects(conn, depth="all", db_schema_filter=SCHEMA, table_name_filter="parent",
                       column_name_filter="pr%")
    assert [c["column_name"] for c in _columns(filtered, SCHEMA, "parent")] == ["price"]


def test_get_objects_all_type_names(conn, meta):
    rows = objects(conn, depth="all", db_schema_filter=SCHEMA)
    assert _tables(rows) == {(CATALOG, SCHEMA): META_S_TABLES}
    for table, _ in META_S_TABLES:
        want = local_type_names(meta, table)
        cols = _columns(rows, SCHEMA, table)
        got = {c["column_name"]: c["xdbc_type_name"] for c in cols}
        assert got == want, f"{table}: xdbc_type_name {got} != DuckDB's {want}"
        assert [c["ordinal_position"] for c in cols] == list(range(1, len(want) + 1))
    view = _columns(rows, SCHEMA, "v")
    assert [(c["column_name"], c["xdbc_type_name"]) for c in view] == \
        [("id", "INTEGER"), ("name", "VARCHAR"), ("price", "DECIMAL(10,2)")]


@pytest.mark.parametrize("table", [t for t, _ in META_S_TABLES])
def test_get_table_schema_equals_duckdb(conn, meta, table):
    got = conn.adbc_get_table_schema(table, db_schema_filter=SCHEMA)
    want = local_schema(meta, table)
    assert got.equals(want, check_metadata=False), f"{table}:\n{got}\n!=\n{want}"
    # ... and, but for NOT NULL, equals the schema of the same query through the server.
    served = helpers.query_table(conn, f"SELECT * FROM {SCHEMA}.{table}").schema
    assert got.equals(pa.schema([f.with_nullable(g.nullable) for f, g in zip(served, got)]), check_metadata=False)


def test_get_table_schema_with_catalog_and_other_schema(conn, meta):
    got = conn.adbc_get_table_schema("parent", catalog_filter=CATALOG, db_schema_filter=SCHEMA)
    assert got.equals(local_schema(meta, "parent"), check_metadata=False)
    other = conn.adbc_get_table_schema("parent", db_schema_filter=SCHEMA2)
    assert other.names == ["id2", "label"]
    assert other.equals(local_schema(meta, "parent", SCHEMA2), check_metadata=False)


def test_get_table_schema_of_missing_table(conn, meta):
    with pytest.raises(adbc_driver_manager.Error) as e:
        conn.adbc_get_table_schema("no_such_table", db_schema_filter=SCHEMA)
    assert e.value.status_code == adbc_driver_manager.AdbcStatusCode.NOT_FOUND, e.value


# --- wire level: exact schemas -----------------------------------------------------------------

SCHEMA_CASES = [
    ("GetCatalogs", cmd_catalogs(), REF_CATALOGS),
    ("GetDbSchemas", cmd_db_schemas(), REF_DB_SCHEMAS),
    ("GetDbSchemas(filtered)", cmd_db_schemas(CATALOG, "meta_s%"), REF_DB_SCHEMAS),
    ("GetDbSchemas(empty)", cmd_db_schemas("no_such_catalog"), REF_DB_SCHEMAS),
    ("GetTables", cmd_tables(), REF_TABLES),
    ("GetTables(empty)", cmd_tables(table_pattern="no_such_table%"), REF_TABLES),
    ("GetTables(include_schema)", cmd_tables(schema_pattern=SCHEMA, include_schema=True), REF_TABLES_WITH_SCHEMA),
    ("GetTables(include_schema, empty)", cmd_tables(table_pattern="no_such_table%", include_schema=True),
     REF_TABLES_WITH_SCHEMA),
    ("GetTableTypes", cmd_table_types(), REF_TABLE_TYPES),
    ("GetPrimaryKeys", cmd_primary_keys("pair", CATALOG, SCHEMA), REF_PRIMARY_KEYS),
    ("GetPrimaryKeys(empty)", cmd_primary_keys("plain", CATALOG, SCHEMA), REF_PRIMARY_KEYS),
    ("GetImportedKeys", cmd_imported_keys("child", CATALOG, SCHEMA), REF_FOREIGN_KEYS),
    ("GetExportedKeys", cmd_exported_keys("pair", CATALOG, SCHEMA), REF_FOREIGN_KEYS),
    ("GetExportedKeys(empty)", cmd_exported_keys("child", CATALOG, SCHEMA), REF_FOREIGN_KEYS),
    ("GetCrossReference", cmd_cross_reference("pair", "child", CATALOG, SCHEMA, CATALOG, SCHEMA), REF_FOREIGN_KEYS),
    ("GetXdbcTypeInfo", cmd_xdbc_type_info(), REF_XDBC_TYPE_INFO),
    ("GetXdbcTypeInfo(filtered)", cmd_xdbc_type_info(4), REF_XDBC_TYPE_INFO),
]


@pytest.mark.parametrize("label,command,ref", SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES])
def test_result_schema_is_exact(flight_session, meta, label, command, ref):
    run_checked(flight_session, command, ref, label)


# --- wire level: contents ----------------------------------------------------------------------


def test_wire_catalogs(flight_session, meta):
    res = run_checked(flight_session, cmd_catalogs(), REF_CATALOGS, "GetCatalogs")
    assert res.tuples("catalog_name") == [(CATALOG,)]


def test_wire_db_schemas(flight_session, meta):
    res = run_checked(flight_session, cmd_db_schemas(), REF_DB_SCHEMAS, "GetDbSchemas")
    pairs = res.tuples("catalog_name", "db_schema_name")
    assert pairs == sorted(pairs), f"not sorted by catalog, schema: {pairs}"
    assert {c for c, _ in pairs} == {CATALOG}
    names = {s for _, s in pairs}
    assert {"main", SCHEMA, SCHEMA2} <= names
    assert not {"information_schema", "pg_catalog"} & names

    def schemas(catalog=None, pattern=None):
        r = run_checked(flight_session, cmd_db_schemas(catalog, pattern), REF_DB_SCHEMAS, "GetDbSchemas")
        return r.tuples("catalog_name", "db_schema_name")

    assert schemas(CATALOG, "meta_s%") == [(CATALOG, SCHEMA), (CATALOG, SCHEMA2)]
    assert schemas(None, SCHEMA) == [(CATALOG, SCHEMA)]
    assert schemas(None, "m_in") == [(CATALOG, "main")]
    assert schemas(None, "%_s2") == [(CATALOG, SCHEMA2)]
    assert schemas(CATALOG, None) == pairs
    assert schemas("no_such_catalog", None) == []
    assert schemas("", None) == []  # "" means "schemas without a catalog": there are none
    assert schemas("mem%", None) == [], "catalog is an exact name, not a pattern"
    assert schemas(None, "information_schema") == []


def test_wire_tables_filters_and_order(flight_session, meta):
    def tables(**kw):
        res = run_checked(flight_session, cmd_tables(**kw), REF_TABLES, f"GetTables{kw}")
        if res.table.num_rows:
            assert len(res.batches) == 1, f"GetTables{kw} sent {len(res.batches)} batches, want one"
        return res.tuples("catalog_name", "db_schema_name", "table_name", "table_type")

    want = [(CATALOG, SCHEMA, t, k) for t, k in META_S_TABLES]
    assert tables(schema_pattern=SCHEMA) == want
    assert tables(catalog=CATALOG, schema_pattern=SCHEMA) == want
    assert tables(catalog="no_such_catalog", schema_pattern=SCHEMA) == []
    assert tables(schema_pattern=SCHEMA, table_types=["VIEW"]) == [(CATALOG, SCHEMA, "v", "VIEW")]
    assert tables(schema_pattern=SCHEMA, table_types=["BASE TABLE"]) == [r for r in want if r[3] == "BASE TABLE"]
    assert tables(schema_pattern=SCHEMA, table_types=["VIEW", "BASE TABLE"]) == want
    assert tables(schema_pattern=SCHEMA, table_types=["NO SUCH TYPE"]) == []
    assert tables(schema_pattern=SCHEMA, table_pattern="pa%") == [
        (CATALOG, SCHEMA, "pair", "BASE TABLE"), (CATALOG, SCHEMA, "parent", "BASE TABLE")]
    assert tables(schema_pattern=SCHEMA, table_pattern="_") == [(CATALOG, SCHEMA, "v", "VIEW")]
    assert tables(schema_pattern="meta_s%", table_pattern="parent") == [
        (CATALOG, SCHEMA, "parent", "BASE TABLE"), (CATALOG, SCHEMA2, "parent", "BASE TABLE")]
    assert tables(table_pattern="no_such_table%") == []

    everything = run_checked(flight_session, cmd_tables(), REF_TABLES, "GetTables")
    rows = everything.rows()
    assert len(everything.batches) == 1
    assert rows == sorted(rows, key=table_sort_key), "GetTables not ordered by catalog, schema, table, type"
    for r in rows:
        assert r["table_type"] in TABLE_TYPES, r
        assert r["db_schema_name"] not in ("information_schema", "pg_catalog"), r
        if r["table_type"] == "LOCAL TEMPORARY":
            assert r["catalog_name"] == "temp", r
        else:
            assert r["catalog_name"] == CATALOG, r
    assert set(want) <= {tuple(r.values()) for r in rows}


def test_wire_tables_temporary(flight_session, conn, meta):
    """Temporary tables live on one pooled DuckDB connection, so whether a later GetTables sees
    this one is not asserted; what it does report must be typed and placed correctly."""
    with conn.cursor() as cur:
        cur.executescript("CREATE OR REPLACE TEMP TABLE meta_tmp_py (x INTEGER)")
    temp = run_checked(flight_session, cmd_tables(table_types=["LOCAL TEMPORARY"]), REF_TABLES, "GetTables(temp)")
    for r in temp.rows():
        assert (r["catalog_name"], r["table_type"]) == ("temp", "LOCAL TEMPORARY"), r
    base = run_checked(flight_session, cmd_tables(table_types=["BASE TABLE", "VIEW"]), REF_TABLES, "GetTables")
    for r in base.rows():
        assert r["catalog_name"] != "temp" and r["table_type"] != "LOCAL TEMPORARY", r
        assert r["table_name"] != "meta_tmp_py", r


def test_wire_tables_include_schema(flight_session, meta):
    res = run_checked(flight_session, cmd_tables(CATALOG, SCHEMA, include_schema=True), REF_TABLES_WITH_SCHEMA,
                      "GetTables(include_schema)")
    assert len(res.batches) == 1
    rows = res.rows()
    assert [(r["table_name"], r["table_type"]) for r in rows] == META_S_TABLES
    for r in rows:
        table = r["table_name"]
        schema = pa.ipc.read_schema(pa.py_buffer(r["table_schema"]))
        want = local_schema(meta, table)
        assert schema.equals(want, check_metadata=False), f"{table}: table_schema\n{schema}\n!=\n{want}"
        type_names = local_type_names(meta, table)
        for field in schema:
            md = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            label = f"{table}.{field.name}"
            for key in COLUMN_KEYS:
                assert KEY_PREFIX + key in md, f"{label}: no {KEY_PREFIX + key} in {md}"
            assert md[KEY_PREFIX + "CATALOG_NAME"] == CATALOG, label
            assert md[KEY_PREFIX + "SCHEMA_NAME"] == SCHEMA, label
            assert md[KEY_PREFIX + "TABLE_NAME"] == table, label
            assert md[KEY_PREFIX + "TYPE_NAME"] == type_names[field.name], label
            assert md[KEY_PREFIX + "IS_AUTO_INCREMENT"] == "0", label
            assert md[KEY_PREFIX + "IS_READ_ONLY"] == "0", label
            assert md[KEY_PREFIX + "IS_SEARCHABLE"] == "1", label
            assert md[KEY_PREFIX + "IS_CASE_SENSITIVE"] in ("0", "1"), label
            if type_names[field.name].startswith("DECIMAL("):
                assert isinstance(field.type, pa.Decimal128Type), label
                assert md[KEY_PREFIX + "PRECISION"] == str(field.type.precision), label
                assert md[KEY_PREFIX + "SCALE"] == str(field.type.scale), label


def test_wire_primary_keys(flight_session, meta):
    def pks(table, catalog=CATALOG, schema=SCHEMA):
        res = run_checked(flight_session, cmd_primary_keys(table, catalog, schema), REF_PRIMARY_KEYS,
                          f"GetPrimaryKeys({table})")
        return res.rows()

    cols = ("catalog_name", "db_schema_name", "table_name", "column_name", "key_sequence")

    pair = pks("pair")
    assert sorted(tuple(r[c] for c in cols) for r in pair) == [
        (CATALOG, SCHEMA, "pair", "a", 1), (CATALOG, SCHEMA, "pair", "b", 2)]
    assert len({r["key_name"] for r in pair}) == 1, f"one key, one key_name: {pair}"

    parent = pks("parent")
    assert [tuple(r[c] for c in cols) for r in parent] == [(CATALOG, SCHEMA, "parent", "id", 1)]
    assert [tuple(r[c] for c in cols) for r in pks("child")] == [(CATALOG, SCHEMA, "child", "cid", 1)]
    assert [tuple(r[c] for c in cols) for r in pks("parent", schema=SCHEMA2)] == \
        [(CATALOG, SCHEMA2, "parent", "id2", 1)]
    assert pks("plain") == []
    assert pks("v") == []
    assert pks("no_such_table") == []
    assert pks("pair", catalog="no_such_catalog") == []

    # Without catalog and schema every table of that name is reported.
    anywhere = pks("parent", catalog=None, schema=None)
    found = {(r["db_schema_name"], r["column_name"]) for r in anywhere}
    assert {(SCHEMA, "id"), (SCHEMA2, "id2")} <= found, anywhere


FK_COLS = ("pk_catalog_name", "pk_db_schema_name", "pk_table_name", "pk_column_name",
           "fk_catalog_name", "fk_db_schema_name", "fk_table_name", "fk_column_name", "key_sequence",
           "update_rule", "delete_rule")

FK_PARENT = [(CATALOG, SCHEMA, "parent", "id", CATALOG, SCHEMA, "child", "parent_id", 1, NO_ACTION, NO_ACTION)]
FK_PAIR = [
    (CATALOG, SCHEMA, "pair", "a", CATALOG, SCHEMA, "child", "pa", 1, NO_ACTION, NO_ACTION),
    (CATALOG, SCHEMA, "pair", "b", CATALOG, SCHEMA, "child", "pb", 2, NO_ACTION, NO_ACTION),
]


def _fk_tuples(rows):
    return sorted(tuple(r[c] for c in FK_COLS) for r in rows)


def _pk_name(session, table):
    res = run_command(session, cmd_primary_keys(table, CATALOG, SCHEMA))
    names = {r["key_name"] for r in res.rows()}
    assert len(names) == 1
    return names.pop()


def _check_key_names(session, rows):
    """All rows of one foreign key share fk_key_name; pk_key_name, when given, names the referenced PK."""
    by_fk = {}
    for r in rows:
        by_fk.setdefault(r["pk_table_name"], set()).add(r["fk_key_name"])
        if r["pk_key_name"] is not None:
            assert r["pk_key_name"] == _pk_name(session, r["pk_table_name"]), r
    for table, names in by_fk.items():
        assert len(names) == 1, f"foreign key to {table} has several fk_key_name values: {names}"
    named = [n for names in by_fk.values() for n in names if n is not None]
    assert len(named) == len(set(named)), f"distinct foreign keys share a name: {by_fk}"


def test_wire_imported_keys(flight_session, meta):
    res = run_checked(flight_session, cmd_imported_keys("child", CATALOG, SCHEMA), REF_FOREIGN_KEYS,
                      "GetImportedKeys(child)")
    assert _fk_tuples(res.rows()) == sorted(FK_PAIR + FK_PARENT)
    _check_key_names(flight_session, res.rows())
    for table in ("parent", "pair", "plain", "v", "no_such_table"):
        empty = run_checked(flight_session, cmd_imported_keys(table, CATALOG, SCHEMA), REF_FOREIGN_KEYS,
                            f"GetImportedKeys({table})")
        assert empty.rows() == [], table
    other = run_checked(flight_session, cmd_imported_keys("child", CATALOG, SCHEMA2), REF_FOREIGN_KEYS,
                        "GetImportedKeys(meta_s2.child)")
    assert other.rows() == []


def test_wire_exported_keys(flight_session, meta):
    pair = run_checked(flight_session, cmd_exported_keys("pair", CATALOG, SCHEMA), REF_FOREIGN_KEYS,
                       "GetExportedKeys(pair)")
    assert _fk_tuples(pair.rows()) == FK_PAIR
    _check_key_names(flight_session, pair.rows())
    parent = run_checked(flight_session, cmd_exported_keys("parent", CATALOG, SCHEMA), REF_FOREIGN_KEYS,
                         "GetExportedKeys(parent)")
    assert _fk_tuples(parent.rows()) == FK_PARENT
    # meta_s2.parent has the same name but nothing references it.
    other = run_checked(flight_session, cmd_exported_keys("parent", CATALOG, SCHEMA2), REF_FOREIGN_KEYS,
                        "GetExportedKeys(meta_s2.parent)")
    assert other.rows() == []
    for table in ("child", "plain"):
        empty = run_checked(flight_session, cmd_exported_keys(table, CATALOG, SCHEMA), REF_FOREIGN_KEYS,
                            f"GetExportedKeys({table})")
        assert empty.rows() == [], table


def test_wire_cross_reference(flight_session, meta):
    def xref(pk, fk, pk_schema=SCHEMA, fk_schema=SCHEMA):
        res = run_checked(flight_session, cmd_cross_reference(pk, fk, CATALOG, pk_schema, CATALOG, fk_schema),
                          REF_FOREIGN_KEYS, f"GetCrossReference({pk}, {fk})")
        return res.rows()

    pair = xref("pair", "child")
    assert _fk_tuples(pair) == FK_PAIR
    _check_key_names(flight_session, pair)
    assert _fk_tuples(xref("parent", "child")) == FK_PARENT
    assert xref("child", "parent") == []
    assert xref("plain", "child") == []
    assert xref("parent", "child", pk_schema=SCHEMA2) == []


def test_wire_xdbc_type_info(flight_session, meta):
    res = run_checked(flight_session, cmd_xdbc_type_info(), REF_XDBC_TYPE_INFO, "GetXdbcTypeInfo")
    rows = res.rows()
    assert rows, "no types"
    order = [(r["data_type"], r["type_name"]) for r in rows]
    assert order == sorted(order), "not ordered by data_type, type_name"
    names = [r["type_name"] for r in rows]
    assert len(names) == len(set(names)), f"duplicate type names: {names}"
    by_name = {r["type_name"]: r for r in rows}
    for name, code in XDBC.items():
        assert name in by_name, f"{name} missing from {names}"
        assert by_name[name]["data_type"] == code, f"{name}: data_type {by_name[name]['data_type']}, want {code}"
    for extra in ("TIMESTAMP WITH TIME ZONE", "INTERVAL", "UUID"):
        assert extra in by_name, f"{extra} missing from {names}"
    for r in rows:
        assert r["nullable"] in (0, 1, 2), r
        assert r["searchable"] in (0, 1, 2, 3), r

    for code in (4, -5, 12, 93, 3):
        filtered = run_checked(flight_session, cmd_xdbc_type_info(code), REF_XDBC_TYPE_INFO,
                               f"GetXdbcTypeInfo({code})").rows()
        assert filtered, f"no type with data_type {code}"
        assert filtered == [r for r in rows if r["data_type"] == code], code
    assert "INTEGER" in [r["type_name"] for r in rows if r["data_type"] == 4]
    assert "BIGINT" in [r["type_name"] for r in rows if r["data_type"] == -5]
    none = run_checked(flight_session, cmd_xdbc_type_info(12345), REF_XDBC_TYPE_INFO, "GetXdbcTypeInfo(12345)")
    assert none.rows() == []


def test_wire_table_types(flight_session, meta):
    res = run_checked(flight_session, cmd_table_types(), REF_TABLE_TYPES, "GetTableTypes")
    assert res.tuples("table_type") == [(t,) for t in TABLE_TYPES]
