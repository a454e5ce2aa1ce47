// How Glue tables are read: the format from SerDe / InputFormat / classification, and the scan SQL
// (run in DuckDB over real files) giving Glue's columns and types, partition values from Glue (not
// from the files), NULL for declared columns a file lacks; Glue failures as typed errors.
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { glueError } from '../../../../src/catalog/glue/glue-client';
import { hiveFormatOf, HiveScan } from '../../../../src/catalog/glue/hive-scan';
import { kindOf } from '../../../../src/catalog/glue/glue-catalog';
import { quoteLiteral } from '../../../../src/duckdb/sql';
import { scratchDuckDB } from '../../scratch-duckdb';

const duck = scratchDuckDB('skein-hive-scan-');
const { rows } = duck;

describe('the format of a Glue table', () => {
  const sd = (lib: string, input = '', params: Record<string, string> = {}) => ({
    Name: 't',
    StorageDescriptor: { InputFormat: input, SerdeInfo: { SerializationLibrary: lib, Parameters: params } },
  });

  it('knows Parquet, JSON and the two text SerDes', () => {
    expect(hiveFormatOf(sd('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'), 't')).toEqual({ format: 'parquet' });
    expect(hiveFormatOf(sd('org.openx.data.jsonserde.JsonSerDe'), 't')).toEqual({ format: 'json' });
    expect(hiveFormatOf(sd('org.apache.hadoop.hive.serde2.OpenCSVSerde', '', { separatorChar: ';' }), 't').text).toMatchObject({
      delim: ';',
      quote: '"',
      nullstr: null,
    });
    expect(hiveFormatOf(sd('org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', 'org.apache.hadoop.mapred.TextInputFormat'), 't').text).toMatchObject({
      delim: '\x01',
      quote: '',
      nullstr: '\\N',
      header: false,
    });
  });

  it('refuses ORC and Avro as UNIMPLEMENTED, naming the table', () => {
    expect(() => hiveFormatOf(sd('org.apache.hadoop.hive.ql.io.orc.OrcSerde'), 'glue table db.t')).toThrow(/glue table db\.t: tables stored as .*orc/);
  });

  it('tells Iceberg, Delta, views and Hive tables apart', () => {
    expect(kindOf({ Name: 'a', Parameters: { table_type: 'iceberg' } })).toEqual({ kind: 'format', format: 'iceberg' });
    expect(kindOf({ Name: 'a', Parameters: { 'spark.sql.sources.provider': 'delta' } })).toEqual({ kind: 'format', format: 'delta' });
    expect(kindOf({ Name: 'a', TableType: 'VIRTUAL_VIEW' })).toEqual({ kind: 'view' });
    expect(kindOf({ Name: 'a', TableType: 'EXTERNAL_TABLE' })).toEqual({ kind: 'hive' });
  });
});

describe('the scan of a Glue Parquet table', () => {
  it("reads Glue's columns and types with Glue's partition values, NULL for what a file lacks", async () => {
    const a = join(duck.dir, 'a.parquet');
    const b = join(duck.dir, 'b.parquet');
    // a keeps a stale copy of the partition column; b predates column `extra` and has an undeclared one
    await duck.conn.run(`COPY (SELECT 1::INTEGER AS id, 'x' AS Name, 9 AS year, 5 AS extra) TO ${quoteLiteral(a)} (FORMAT parquet)`);
    await duck.conn.run(`COPY (SELECT 2::INTEGER AS id, 'y' AS name, 'gone' AS dropped) TO ${quoteLiteral(b)} (FORMAT parquet)`);
    const scan = new HiveScan(
      { format: 'parquet' },
      [
        { name: 'id', type: 'BIGINT' },
        { name: 'name', type: 'VARCHAR' },
        { name: 'extra', type: 'INTEGER' },
      ],
      [{ name: 'year', type: 'INTEGER' }],
      new Map([
        [a, { partition: { year: '2024' } }],
        [b, { partition: { year: null } }],
      ]),
      'glue table db.t',
    );
    const sql = `SELECT * FROM ${scan.sql([a, b])} ORDER BY id`;
    expect(await rows(sql)).toEqual([
      [1n, 'x', 5, 2024],
      [2n, 'y', null, null],
    ]);
    const described = (await rows(`DESCRIBE ${sql}`)).map((r) => `${r[0]} ${r[1]}`);
    expect(described).toEqual(['id BIGINT', 'name VARCHAR', 'extra INTEGER', 'year INTEGER']);
    expect(await rows(`SELECT count(*) FROM ${scan.sql([])}`)).toEqual([[0n]]);
    expect(() => scan.sql([join(duck.dir, 'other.parquet')])).toThrow(/not a data file of glue table db\.t/);
  });
});

describe('Glue errors', () => {
  it('map to gRPC codes naming the object', () => {
    const e = (name: string, http?: number) => Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: http } });
    expect(glueError(e('EntityNotFoundException', 400), 'glue table db.t')).toMatchObject({ code: status.NOT_FOUND, message: expect.stringContaining('glue table db.t') });
    expect(glueError(e('AccessDeniedException', 400), 'glue table db.t').code).toBe(status.PERMISSION_DENIED);
    expect(glueError(e('SyntaxError', 403), 'glue database db')).toMatchObject({ code: status.PERMISSION_DENIED, message: 'access to glue database db denied (HTTP 403)' });
    expect(glueError(e('ThrottlingException', 400), 'x').code).toBe(status.UNAVAILABLE);
    expect(glueError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'glue databases').code).toBe(status.UNAVAILABLE);
  });
});
