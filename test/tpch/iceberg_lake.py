"""Writes one layout of the TPC-H data (generate.py's `single` or `multi`) as Iceberg tables on an S3
server (moto in the tests) and prints a Skein catalog file declaring them under schema `lake`.

pyiceberg (SqlCatalog on sqlite, `warehouse = s3://<bucket>/warehouse`) creates the tables and commits
every snapshot; the tables hold exactly the layout's rows, so reference.py's answers for that layout
are the answers for `lake` too. What each table exercises in Skein's Iceberg reader:

  lineitem  partitioned by month(l_shipdate), appended one ship year at a time: 7 snapshots, ~80 data
            files whose partition values and l_shipdate bounds let date filters prune files
  orders    partitioned by month(o_orderdate), one append
  customer  two appends, the second mixing real rows with ghost customers (keys past the real ones),
            then a position delete file removing the ghosts: Q13 and Q22 count them if it is ignored
  nation    two appends, the second repeating every nation key under a ghost name, then an equality
            delete file on n_name: every nation join doubles if it is ignored
  region    found through its metadata/ directory (no "metadata" in the catalog file)
  others    one append per file of the layout

pyiceberg 0.12 writes transform partitions only with pyiceberg-core (not in the test venv), so the
month-partitioned files and the delete files are written here with pyarrow: partition values are
computed with Arrow compute and checked against pyiceberg's MonthTransform, column metrics come from
pyiceberg's own Parquet footer reader, and every commit is pyiceberg's.

Usage: iceberg_lake.py --data build/tpch/sf0.1 --layout single --endpoint http://127.0.0.1:PORT
                       --bucket tpch --work DIR [--access-key K --secret-key S --region us-east-1]
"""

import argparse
import glob
import json
import os
import sys
import time
import uuid

import boto3
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import MonthTransform
from pyiceberg.typedef import Record
from pyiceberg.types import DateType, DecimalType, IntegerType, LongType, NestedField, StringType
from pyiceberg.utils.datetime import date_to_days

from tpch_tables import TABLES

# the pyiceberg helpers shared with the e2e tests' Iceberg fixture
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e", "ts", "fixtures"))
from iceberg_common import commit_deletes, parquet_data_file  # noqa: E402

SCHEMA = "lake"
NAMESPACE = "tpch"
MONTH_PARTITIONED = {"lineitem": "l_shipdate", "orders": "o_orderdate"}
# pyiceberg's reserved field ids of position delete files (Iceberg spec)
DELETE_FILE_PATH_ID, DELETE_POS_ID = 2147483546, 2147483545


def iceberg_type(duckdb_type):
    if duckdb_type.startswith("DECIMAL("):
        precision, scale = duckdb_type[len("DECIMAL("):-1].split(",")
        return DecimalType(int(precision), int(scale))
    return {"BIGINT": LongType(), "INTEGER": IntegerType(), "VARCHAR": StringType(), "DATE": DateType()}[duckdb_type]


def table_schema(table):
    return Schema(*[NestedField(i + 1, name, iceberg_type(t), required=False) for i, (name, t) in enumerate(TABLES[table])])


def source_files(data, layout, table):
    files = sorted(glob.glob(os.path.join(data, layout, table, "*.parquet")))
    if not files:
        sys.exit(f"iceberg_lake.py: no Parquet files for {layout}/{table} under {data}")
    return files


class Writer:
    """Writes Parquet files into a table's data/ directory on S3 and describes them as DataFiles."""

    def __init__(self, tbl, scratch):
        self.tbl, self.scratch = tbl, scratch

    def upload(self, local, name):
        uri = f"{self.tbl.location()}/data/{name}"
        with open(local, "rb") as src, self.tbl.io.new_output(uri).create(overwrite=True) as dst:
            dst.write(src.read())
        return uri

    def data_file(self, rows, partition=()):
        schema = self.tbl.schema()
        local = os.path.join(self.scratch, f"{uuid.uuid4()}.parquet")
        pq.write_table(rows.cast(schema.as_arrow()), local)
        uri = self.upload(local, f"{uuid.uuid4()}.parquet")
        out = parquet_data_file(local, uri, schema, self.tbl.metadata, partition)
        os.remove(local)
        return out

    def delete_file(self, content, rows, equality_ids=None):
        local = os.path.join(self.scratch, f"{uuid.uuid4()}.parquet")
        pq.write_table(rows, local)
        uri = self.upload(local, f"delete-{uuid.uuid4()}.parquet")
        out = DataFile.from_args(
            content=content, file_path=uri, file_format=FileFormat.PARQUET, partition=Record(),
            record_count=rows.num_rows, file_size_in_bytes=os.path.getsize(local), equality_ids=equality_ids,
            spec_id=self.tbl.metadata.default_spec_id, _table_format_version=2,
        )
        os.remove(local)
        return out


def append(tbl, data_files):
    with tbl.transaction() as tx:
        with tx.update_snapshot().fast_append() as app:
            for f in data_files:
                app.append_data_file(f)


def months_since_epoch(dates):
    return pc.add(pc.multiply(pc.subtract(pc.year(dates), 1970), 12), pc.subtract(pc.month(dates), 1))


def write_month_partitioned(catalog, writer_of, table, rows, date_column):
    """The rows split by month(date_column); lineitem one ship year per snapshot."""
    schema = table_schema(table)
    source = schema.find_field(date_column)
    spec = PartitionSpec(PartitionField(source_id=source.field_id, field_id=1000, transform=MonthTransform(),
                                        name=f"{date_column}_month"))
    tbl = catalog.create_table(f"{NAMESPACE}.{table}", schema=schema, partition_spec=spec,
                               properties={"format-version": "2"})
    writer = writer_of(tbl)
    month = MonthTransform().transform(DateType())
    rows = rows.append_column("__month", months_since_epoch(rows[date_column])).sort_by([("__month", "ascending")])
    years = sorted(set(pc.year(rows[date_column]).to_pylist())) if table == "lineitem" else [None]
    for year in years:
        batch = rows if year is None else rows.filter(pc.equal(pc.year(rows[date_column]), year))
        files = []
        for m in sorted(set(batch["__month"].to_pylist())):
            part = batch.filter(pc.equal(batch["__month"], m))
            first = part[date_column][0].as_py()
            if month(date_to_days(first)) != m:
                sys.exit(f"iceberg_lake.py: month({first}) is {month(date_to_days(first))} to pyiceberg, {m} here")
            files.append(writer.data_file(part.drop_columns(["__month"]), (m,)))
        append(tbl, files)
    return catalog.load_table(f"{NAMESPACE}.{table}")


def ghost_customers(rows):
    """The last 1000 real customers interleaved with 1000 ghosts (keys past every real one); the
    ghosts' positions in that file."""
    tail = rows.slice(rows.num_rows - 1000)
    top = pc.max(rows["c_custkey"]).as_py()
    ghosts = tail.set_column(0, "c_custkey", pc.add(tail["c_custkey"], top))
    order = [j for i in range(1000) for j in (i, 1000 + i)]
    mixed = pa.concat_tables([tail, ghosts]).take(order)
    return rows.slice(0, rows.num_rows - 1000), mixed, [2 * i + 1 for i in range(1000)]


def write_customer(catalog, writer_of, rows):
    tbl = catalog.create_table(f"{NAMESPACE}.customer", schema=table_schema("customer"), properties={"format-version": "2"})
    writer = writer_of(tbl)
    head, mixed, ghost_positions = ghost_customers(rows)
    append(tbl, [writer.data_file(head)])
    mixed_file = writer.data_file(mixed)
    append(tbl, [mixed_file])
    deletes = pa.table({
        "file_path": pa.array([mixed_file.file_path] * len(ghost_positions), pa.string()),
        "pos": pa.array(ghost_positions, pa.int64()),
    }, schema=pa.schema([field_id("file_path", DELETE_FILE_PATH_ID, pa.string()), field_id("pos", DELETE_POS_ID, pa.int64())]))
    commit_deletes(tbl, [writer.delete_file(DataFileContent.POSITION_DELETES, deletes)])
    return catalog.load_table(f"{NAMESPACE}.customer")


def write_nation(catalog, writer_of, rows):
    tbl = catalog.create_table(f"{NAMESPACE}.nation", schema=table_schema("nation"), properties={"format-version": "2"})
    writer = writer_of(tbl)
    append(tbl, [writer.data_file(rows)])
    ghosts = rows.set_column(1, "n_name", pc.binary_join_element_wise("GHOST ", rows["n_name"], ""))
    append(tbl, [writer.data_file(ghosts)])
    name = tbl.schema().find_field("n_name")
    deletes = pa.table({"n_name": ghosts["n_name"]}, schema=pa.schema([field_id("n_name", name.field_id, pa.string())]))
    commit_deletes(tbl, [writer.delete_file(DataFileContent.EQUALITY_DELETES, deletes, equality_ids=[name.field_id])])
    return catalog.load_table(f"{NAMESPACE}.nation")


def field_id(name, fid, typ):
    return pa.field(name, typ, metadata={b"PARQUET:field_id": str(fid).encode()})


def write_plain(catalog, writer_of, table, parts):
    tbl = catalog.create_table(f"{NAMESPACE}.{table}", schema=table_schema(table), properties={"format-version": "2"})
    writer = writer_of(tbl)
    for rows in parts:
        append(tbl, [writer.data_file(rows)])
    return catalog.load_table(f"{NAMESPACE}.{table}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="root written by generate.py")
    parser.add_argument("--layout", choices=("single", "multi"), default="single")
    parser.add_argument("--endpoint", required=True, help="S3 server URL (moto)")
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--work", required=True, help="a local directory for the sqlite catalog and scratch files")
    parser.add_argument("--access-key", default="testing")
    parser.add_argument("--secret-key", default="testing")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    start = time.monotonic()
    data = os.path.abspath(args.data)
    os.makedirs(args.work, exist_ok=True)
    db = os.path.join(args.work, "catalog.db")
    if os.path.exists(db):
        os.remove(db)
    boto3.client("s3", endpoint_url=args.endpoint, region_name=args.region, aws_access_key_id=args.access_key,
                 aws_secret_access_key=args.secret_key).create_bucket(Bucket=args.bucket)
    catalog = SqlCatalog("skein-tpch", **{
        "uri": f"sqlite:///{db}", "warehouse": f"s3://{args.bucket}/warehouse",
        "s3.endpoint": args.endpoint, "s3.region": args.region,
        "s3.access-key-id": args.access_key, "s3.secret-access-key": args.secret_key,
    })
    catalog.create_namespace(NAMESPACE)
    writer_of = lambda tbl: Writer(tbl, args.work)  # noqa: E731

    tables = {}
    for table in TABLES:
        files = source_files(data, args.layout, table)
        if table in MONTH_PARTITIONED:
            rows = pa.concat_tables([pq.read_table(f) for f in files])
            tables[table] = write_month_partitioned(catalog, writer_of, table, rows, MONTH_PARTITIONED[table])
        elif table == "customer":
            tables[table] = write_customer(catalog, writer_of, pa.concat_tables([pq.read_table(f) for f in files]))
        elif table == "nation":
            tables[table] = write_nation(catalog, writer_of, pa.concat_tables([pq.read_table(f) for f in files]))
        else:
            tables[table] = write_plain(catalog, writer_of, table, [pq.read_table(f) for f in files])

    entries = []
    for table, tbl in tables.items():
        entry = {"schema": SCHEMA, "name": table, "location": tbl.location(), "format": "iceberg"}
        if table != "region":
            entry["metadata"] = tbl.metadata_location
        entries.append(entry)
        snapshots = len(tbl.metadata.snapshots)
        files = len(tbl.inspect.files())
        print(f"  {SCHEMA}.{table}: {snapshots} snapshots, {files} live files", file=sys.stderr)
    print(json.dumps({"tables": entries}, indent=2))
    print(f"iceberg lake ({args.layout}) written to s3://{args.bucket}/warehouse in {time.monotonic() - start:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
