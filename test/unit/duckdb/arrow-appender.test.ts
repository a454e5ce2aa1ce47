import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ArrowAppender } from '../../../src/duckdb/arrow-appender';
import { duckdbTypeOfArrow, typeSql } from '../../../src/duckdb/arrow-import-types';
import { quoteIdent } from '../../../src/duckdb/sql';

// Arrow batches appended through the chunk writers into an in-memory DuckDB, then read back as JSON.
describe('ArrowAppender', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let n = 0;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn.closeSync();
    instance.closeSync();
  });

  async function roundTrip(batches: A.RecordBatch[], columns?: number[]): Promise<unknown[][]> {
    const schema = batches[0].schema;
    const types = schema.fields.map((f) => duckdbTypeOfArrow(f.type, f.name));
    const table = `t${n++}`;
    const order = columns ?? schema.fields.map((_, i) => i);
    const defs = order.map((c) => `${quoteIdent(schema.fields[c].name)} ${typeSql(types[c])}`);
    await conn.run(`CREATE TABLE ${table} (${defs.join(', ')})`);
    const appender = await conn.createAppender(table);
    const writer = new ArrowAppender(appender, schema.fields, order, order.map((c) => types[c]));
    for (const b of batches) writer.append(b);
    writer.finish();
    appender.closeSync();
    expect(writer.rows).toBe(batches.reduce((s, b) => s + b.numRows, 0));
    return (await conn.runAndReadAll(`SELECT * FROM ${table}`)).getRowsJson() as unknown[][];
  }

  function batchOf(columns: Record<string, A.Vector>): A.RecordBatch {
    const data: Record<string, A.Data> = {};
    for (const [name, v] of Object.entries(columns)) {
      expect(v.data).toHaveLength(1);
      data[name] = v.data[0];
    }
    return new A.RecordBatch(data);
  }

  it('fills chunks across batch boundaries, NULLs at any position', async () => {
    const sizes = [1, 2047, 3, 2050, 700];
    let start = 0;
    const batches = sizes.map((size) => {
      const ids = Array.from({ length: size }, (_, k) => start + k);
      start += size;
      return batchOf({
        id: A.vectorFromArray(ids, new A.Int32()),
        v: A.vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : BigInt(i) * 1000n)), new A.Int64()),
        s: A.vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : 'x'.repeat(i % 20))), new A.Utf8()),
        b: A.vectorFromArray(ids.map((i) => (i % 7 === 0 ? null : i % 2 === 0)), new A.Bool()),
      });
    });
    const rows = await roundTrip(batches);
    expect(rows).toHaveLength(start);
    rows.forEach((r, i) => {
      expect(r).toEqual([
        i,
        i % 3 === 0 ? null : String(i * 1000),
        i % 5 === 0 ? null : 'x'.repeat(i % 20),
        i % 7 === 0 ? null : i % 2 === 0,
      ]);
    });
  });

  it('writes lists whose children span chunks', async () => {
    const size = 5000;
    const ids = Array.from({ length: size }, (_, k) => k);
    const batch = batchOf({
      id: A.vectorFromArray(ids, new A.Int32()),
      l: A.vectorFromArray(
        ids.map((i) => (i % 4 === 0 ? null : Array.from({ length: i % 6 }, (_, k) => (k === 1 ? null : i + k)))),
        new A.List(new A.Field('item', new A.Int32(), true)),
      ),
    });
    const rows = await roundTrip([batch]);
    rows.forEach((r, i) => {
      expect(r[1]).toEqual(i % 4 === 0 ? null : Array.from({ length: i % 6 }, (_, k) => (k === 1 ? null : i + k)));
    });
  });

  it('decodes dictionaries and maps columns by position', async () => {
    const dict = A.vectorFromArray(['red', 'green', 'a colour name longer than twelve'], new A.Utf8());
    const type = new A.Dictionary(new A.Utf8(), new A.Int8());
    const indices = [0, 2, null, 1];
    const data = A.makeData({
      type,
      length: indices.length,
      nullCount: 1,
      nullBitmap: new Uint8Array([0b1011]),
      data: Int8Array.from(indices.map((v) => v ?? 0)),
      dictionary: dict,
    });
    const batch = batchOf({ n: A.vectorFromArray([1, 2, 3, 4], new A.Int16()), d: new A.Vector([data]) });
    // table column order: d, n
    expect(await roundTrip([batch], [1, 0])).toEqual([
      ['red', 1],
      ['a colour name longer than twelve', 2],
      [null, 3],
      ['green', 4],
    ]);
  });

  it('refuses invalid UTF-8 in a utf8 column', async () => {
    const values = new Uint8Array([0x61, 0xff, 0xfe, 0x62]);
    const data = A.makeData({
      type: new A.Utf8(),
      length: 2,
      nullCount: 0,
      valueOffsets: new Int32Array([0, 1, 4]),
      data: values,
    });
    const batch = batchOf({ s: new A.Vector([data]) });
    await expect(roundTrip([batch])).rejects.toThrow(/invalid UTF-8/);
    // "é" cut in two: valid as a whole, invalid as two strings
    const cut = A.makeData({
      type: new A.Utf8(),
      length: 2,
      nullCount: 0,
      valueOffsets: new Int32Array([0, 1, 2]),
      data: new Uint8Array([0xc3, 0xa9]),
    });
    await expect(roundTrip([batchOf({ s: new A.Vector([cut]) })])).rejects.toThrow(/invalid UTF-8/);
  });

  it('refuses string offsets that point past the data', async () => {
    const data = A.makeData({
      type: new A.Utf8(),
      length: 2,
      nullCount: 0,
      valueOffsets: new Int32Array([0, 20, 40]),
      data: new Uint8Array(4),
    });
    await expect(roundTrip([batchOf({ s: new A.Vector([data]) })])).rejects.toThrow(/malformed Arrow data/);
  });
});
