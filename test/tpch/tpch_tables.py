"""The TPC-H tables as the Skein tests lay them out on disk: column types, the three layouts and the
DuckDB view that reads one table of one layout. Shared by generate.py, reference.py and test_tpch.py.

Column types are exactly those of DuckDB's tpch extension (`CALL dbgen(...)`), so queries written for
DuckDB's TPC-H behave the same (e.g. l_linenumber BIGINT, n_nationkey INTEGER).
"""

# Table -> [(column, DuckDB type)], in TPC-H column order.
TABLES = {
    "region": [("r_regionkey", "INTEGER"), ("r_name", "VARCHAR"), ("r_comment", "VARCHAR")],
    "nation": [("n_nationkey", "INTEGER"), ("n_name", "VARCHAR"), ("n_regionkey", "INTEGER"),
               ("n_comment", "VARCHAR")],
    "supplier": [("s_suppkey", "BIGINT"), ("s_name", "VARCHAR"), ("s_address", "VARCHAR"),
                 ("s_nationkey", "INTEGER"), ("s_phone", "VARCHAR"), ("s_acctbal", "DECIMAL(15,2)"),
                 ("s_comment", "VARCHAR")],
    "customer": [("c_custkey", "BIGINT"), ("c_name", "VARCHAR"), ("c_address", "VARCHAR"),
                 ("c_nationkey", "INTEGER"), ("c_phone", "VARCHAR"), ("c_acctbal", "DECIMAL(15,2)"),
                 ("c_mktsegment", "VARCHAR"), ("c_comment", "VARCHAR")],
    "part": [("p_partkey", "BIGINT"), ("p_name", "VARCHAR"), ("p_mfgr", "VARCHAR"), ("p_brand", "VARCHAR"),
             ("p_type", "VARCHAR"), ("p_size", "INTEGER"), ("p_container", "VARCHAR"),
             ("p_retailprice", "DECIMAL(15,2)"), ("p_comment", "VARCHAR")],
    "partsupp": [("ps_partkey", "BIGINT"), ("ps_suppkey", "BIGINT"), ("ps_availqty", "BIGINT"),
                 ("ps_supplycost", "DECIMAL(15,2)"), ("ps_comment", "VARCHAR")],
    "orders": [("o_orderkey", "BIGINT"), ("o_custkey", "BIGINT"), ("o_orderstatus", "VARCHAR"),
               ("o_totalprice", "DECIMAL(15,2)"), ("o_orderdate", "DATE"), ("o_orderpriority", "VARCHAR"),
               ("o_clerk", "VARCHAR"), ("o_shippriority", "INTEGER"), ("o_comment", "VARCHAR")],
    "lineitem": [("l_orderkey", "BIGINT"), ("l_partkey", "BIGINT"), ("l_suppkey", "BIGINT"),
                 ("l_linenumber", "BIGINT"), ("l_quantity", "DECIMAL(15,2)"),
                 ("l_extendedprice", "DECIMAL(15,2)"), ("l_discount", "DECIMAL(15,2)"),
                 ("l_tax", "DECIMAL(15,2)"), ("l_returnflag", "VARCHAR"), ("l_linestatus", "VARCHAR"),
                 ("l_shipdate", "DATE"), ("l_commitdate", "DATE"), ("l_receiptdate", "DATE"),
                 ("l_shipinstruct", "VARCHAR"), ("l_shipmode", "VARCHAR"), ("l_comment", "VARCHAR")],
}

# `single`: <root>/single/<table>/data.parquet
# `multi`: <root>/multi/<table>/part-<i>.parquet, key ranges (lineitem's follow orders', partsupp's part's)
# `partitioned`: lineitem and orders under year=YYYY/month=M/ (hive-only columns), the rest as in multi
LAYOUTS = ("single", "multi", "partitioned")

# Hive-partitioned tables of the `partitioned` layout -> the date column giving year and month.
PARTITIONED = {"lineitem": "l_shipdate", "orders": "o_orderdate"}
HIVE_COLUMNS = ("year", "month")


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def is_hive(layout, table):
    return layout == "partitioned" and table in PARTITIONED


def scan_sql(root, layout, table):
    """A DuckDB table function call reading every Parquet file of one table of one layout.

    In the partitioned layout lineitem and orders also get the hive columns year and month (BIGINT),
    as any hive-aware reader (and Skein's catalog) exposes them; the TPC-H queries never name them.
    """
    pattern = f"{root}/{layout}/{table}/**/*.parquet"
    hive = "true" if is_hive(layout, table) else "false"
    return f"read_parquet({quote_literal(pattern)}, hive_partitioning = {hive})"


def create_views_sql(root, layout, schema=None):
    """Statements creating one view per table of `layout` (in `schema` when given)."""
    prefix = "" if schema is None else quote_ident(schema) + "."
    out = [] if schema is None else [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}"]
    for table in TABLES:
        out.append(f"CREATE OR REPLACE VIEW {prefix}{quote_ident(table)} AS "
                   f"SELECT * FROM {scan_sql(root, layout, table)}")
    return out
