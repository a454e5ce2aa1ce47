// Glue (Hive) type strings → DuckDB types, checked against DuckDB itself: every mapped type must be
// one DuckDB accepts, and reads back (typeof) as the expected type.
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbTypeOf, GlueTypeError } from '../../../../src/catalog/glue/glue-types';

let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
});

afterAll(() => {
  conn?.closeSync();
  db?.closeSync();
});

/** DuckDB's spelling of a type name. */
async function typeofIn(type: string): Promise<string> {
  return String((await conn.runAndReadAll(`SELECT typeof(CAST(NULL AS ${type}))`)).getRowsJS()[0][0]);
}

describe('Glue column types as DuckDB types', () => {
  const cases: [string, string][] = [
    ['tinyint', 'TINYINT'],
    ['smallint', 'SMALLINT'],
    ['int', 'INTEGER'],
    ['INTEGER', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['float', 'FLOAT'],
    ['double', 'DOUBLE'],
    ['double precision', 'DOUBLE'],
    ['boolean', 'BOOLEAN'],
    ['string', 'VARCHAR'],
    ['varchar(20)', 'VARCHAR'],
    ['char(3)', 'VARCHAR'],
    ['binary', 'BLOB'],
    ['date', 'DATE'],
    ['timestamp', 'TIMESTAMP'],
    ['decimal', 'DECIMAL(10,0)'],
    ['decimal(12)', 'DECIMAL(12,0)'],
    ['decimal(10,2)', 'DECIMAL(10,2)'],
    ['decimal( 38 , 9 )', 'DECIMAL(38,9)'],
    ['array<int>', 'INTEGER[]'],
    ['array<array<string>>', 'VARCHAR[][]'],
    ['map<string,bigint>', 'MAP(VARCHAR, BIGINT)'],
    ['map<int, array<double>>', 'MAP(INTEGER, DOUBLE[])'],
    ['struct<a:int,b:string>', 'STRUCT(a INTEGER, b VARCHAR)'],
    ['struct<`order`:int, `my field`:decimal(5,1)>', 'STRUCT("order" INTEGER, "my field" DECIMAL(5,1))'],
    ['array<struct<k:string,v:map<string,array<timestamp>>>>', 'STRUCT(k VARCHAR, v MAP(VARCHAR, TIMESTAMP[]))[]'],
  ];

  it.each(cases)('%s → %s', async (glue, expected) => {
    const mapped = duckdbTypeOf(glue);
    expect(await typeofIn(mapped)).toBe(expected);
  });

  it.each([
    ['uniontype<int,string>', /uniontype/],
    ['geometry', /unknown type "geometry"/],
    ['array<int', /expected ">"/],
    ['decimal(40,2)', /precision 1\.\.38/],
    ['decimal(5,6)', /scale/],
    ['struct<>', /at least one field/],
    ['map<string>', /expected ","/],
    ['int extra', /unexpected/],
    ['', /expected a type name/],
  ])('refuses %s', (glue, message) => {
    expect(() => duckdbTypeOf(glue)).toThrow(GlueTypeError);
    expect(() => duckdbTypeOf(glue)).toThrow(message);
  });
});
