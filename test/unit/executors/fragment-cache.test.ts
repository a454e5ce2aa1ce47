// The fragment SQL rewrite that points an executor at its cached copies of s3:// files: only the file
// arguments of table readers change, so an Iceberg position delete file (which names data files by
// their s3:// URIs) still removes its rows when the data files are read from local copies.
import { join } from 'node:path';
import { IcebergScan } from '../../../src/catalog/iceberg/scan';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { rewrite } from '../../../src/executors/fragment-cache';
import { scratchDuckDB } from '../scratch-duckdb';

const duck = scratchDuckDB('skein-fragment-cache-');
const { rows } = duck;

test('only the file arguments of table readers are rewritten', async () => {
  const uri = 's3://lake/t/a.parquet';
  const sql = `SELECT ${quoteLiteral(uri)} AS f FROM read_parquet([${quoteLiteral(uri)}], filename = ${quoteLiteral(uri)}) WHERE ${quoteLiteral(uri)} <> ''`;
  const out = await rewrite(duck.conn, sql, new Map([[uri, '/cache/a.parquet']]));
  expect(out).toContain("read_parquet(main.list_value('/cache/a.parquet')");
  expect(out.split(uri)).toHaveLength(4); // the select item, the named parameter and the filter keep the URI
  await expect(rewrite(duck.conn, `SELECT ${quoteLiteral(uri)}`, new Map([[uri, '/x']]))).rejects.toThrow(/does not read/);
});

test('an Iceberg position delete applies to cached copies of s3:// data files', async () => {
  const local = (name: string): string => join(duck.dir, name);
  await duck.conn.run(`COPY (SELECT range AS id FROM range(5)) TO ${quoteLiteral(local('a.parquet'))} (FIELD_IDS {id: 1})`);
  await duck.conn.run(`COPY (SELECT range + 10 AS id FROM range(3)) TO ${quoteLiteral(local('b.parquet'))} (FIELD_IDS {id: 1})`);
  const data = ['s3://lake/t/data/a.parquet', 's3://lake/t/data/b.parquet'];
  await duck.conn.run(
    `COPY (SELECT * FROM (VALUES (${quoteLiteral(data[1])}, 1::BIGINT), (${quoteLiteral(data[0])}, 4::BIGINT), (${quoteLiteral(data[0])}, 0::BIGINT)) v(file_path, pos))
     TO ${quoteLiteral(local('del.parquet'))}`,
  );
  const del = 's3://lake/t/data/del.parquet';
  const scan = new IcebergScan(
    'lake.t',
    [{ id: 1, name: 'id', type: 'BIGINT', iceberg: 'long' }],
    data.map((uri) => ({ path: uri, uri, sequenceNumber: 1n, partition: '' })),
    [{ path: del, uri: del, sequenceNumber: 2n, partition: '', kind: 'position', global: true, equalityIds: [], pathRange: null }],
  );
  expect(scan.extraFiles(data)).toEqual([del]);
  const paths = new Map([
    [data[0], local('a.parquet')],
    [data[1], local('b.parquet')],
    [del, local('del.parquet')],
  ]);
  const sql = await rewrite(duck.conn, `SELECT id FROM ${scan.sql(data)} ORDER BY id`, paths);
  expect((await rows(sql)).map((r) => Number(r[0]))).toEqual([1, 2, 3, 10, 12]);
  // a fragment over one file reads it at index 0: the delete still names it by its URI
  const one = await rewrite(duck.conn, `SELECT id FROM ${scan.sql([data[1]])} ORDER BY id`, paths);
  expect((await rows(one)).map((r) => Number(r[0]))).toEqual([10, 12]);
});
