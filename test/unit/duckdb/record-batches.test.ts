import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as A from 'apache-arrow';
import { DuckDBInstance, DuckDBConnection } from '@duckdb/node-api';
import { arrowSchemaOf } from '../../../src/duckdb/arrow-types';
import { canEncodeDirect } from '../../../src/duckdb/direct-batches';
import { BatchBuilder, recordBatches, ResultBatch } from '../../../src/duckdb/record-batches';
import {
  decodeFlightData,
  dictionaryMessages,
  readBatches,
  recordBatchFlightData,
  schemaFlightData,
} from '../../../src/flight/ipc';

/** Runs SQL through Skein's converter (fast or general path) and decodes the IPC it produces. */
async function viaSkein(conn: DuckDBConnection, sql: string, batchBytes: number, forceGeneral = false): Promise<A.Table> {
  const result = await conn.stream(sql);
  const types = result.columnTypes();
  const schema = arrowSchemaOf(result.deduplicatedColumnNames(), types, 'Etc/UTC');
  const msgs = [schemaFlightData(schema)];
  if (forceGeneral) {
    const b = new BatchBuilder(schema, types);
    for (let c = await result.fetchChunk(); c && c.rowCount > 0; c = await result.fetchChunk()) {
      msgs.push(recordBatchFlightData(b.toArrow(b.pieces(c, 1 << 30))));
    }
  } else {
    for await (const batch of recordBatches(result, schema, types, { batchBytes, maxBatchBytes: 4 << 20 })) {
      if (msgs.length === 1 && batch instanceof A.RecordBatch) msgs.push(...dictionaryMessages(batch));
      msgs.push(recordBatchFlightData(batch as ResultBatch));
    }
  }
  const decoded = msgs.map((m) => {
    const d = decodeFlightData(m);
    return { header: d.header as Buffer, body: d.body };
  });
  const { schema: s, batches } = readBatches(decoded);
  return new A.Table(s, batches);
}

function rows(t: A.Table): unknown[] {
  return t.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

describe('DuckDB → Arrow batches', () => {
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    conn = await instance.connect();
  });
  afterAll(() => {
    conn.closeSync();
    instance.closeSync();
  });

  const flat = `SELECT i::BIGINT a, (i * 0.5)::DOUBLE b, CASE WHEN i % 7 = 0 THEN NULL ELSE i::INTEGER END c,
      i % 3 = 0 AS flag, CASE WHEN i % 5 = 0 THEN NULL ELSE 'value-' || i::VARCHAR || repeat('x', i % 20) END s,
      DATE '2020-01-01' + (i % 1000)::INTEGER AS d, TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND AS ts
    FROM range(10000) t(i)`;

  /** The fast path's table for `sql` (which must take it), checked equal to the general path's. */
  async function fastEqualsGeneral(sql: string, batchBytes: number): Promise<A.Table> {
    const r = await conn.stream(sql);
    expect(canEncodeDirect(r.columnTypes())).toBe(true);
    const fast = await viaSkein(conn, sql, batchBytes);
    const general = await viaSkein(conn, sql, batchBytes, true);
    expect(fast.schema.fields.map((f) => String(f.type))).toEqual(general.schema.fields.map((f) => String(f.type)));
    expect(rows(fast)).toEqual(rows(general));
    return fast;
  }

  it('takes the fast path for flat types, and it equals the general path row for row', async () => {
    const fast = await fastEqualsGeneral(flat, 64 * 1024);
    expect(fast.numRows).toBe(10000);
    expect(fast.getChild('c')?.nullCount).toBe(Math.ceil(10000 / 7));
  });

  it('widens decimals of every storage width on the fast path, negatives and NULLs included', async () => {
    const sql = `SELECT ((i % 200) - 100)::DECIMAL(4,1) d2, ((i - 5000) * 1.25)::DECIMAL(9,2) d4,
        CASE WHEN i % 3 = 0 THEN NULL ELSE ((i - 5000) * 123456789.01)::DECIMAL(18,2) END d8,
        ((i - 5000) * 1e20)::DECIMAL(38,0) d16, -0.01::DECIMAL(15,2) neg
      FROM range(10000) t(i)`;
    const fast = await fastEqualsGeneral(sql, 16 * 1024);
    expect(fast.numRows).toBe(10000);
    // and the 128-bit words hold DuckDB's values
    const d8 = fast.getChild('d8');
    expect(d8?.nullCount).toBe(Math.ceil(10000 / 3));
    const at = (row: number): string => {
      const words = d8?.get(row) as Uint32Array;
      const v = (BigInt(words[1]) << 32n) | BigInt(words[0]);
      const signed = BigInt.asIntN(64, v);
      expect(words[2]).toBe(signed < 0n ? 0xffffffff : 0);
      return signed.toString();
    };
    expect(at(1)).toBe(String(BigInt(1 - 5000) * 12345678901n));
    expect(at(9998)).toBe(String(BigInt(9998 - 5000) * 12345678901n));
  });

  it('keeps batches near the target size across chunk boundaries', async () => {
    const result = await conn.stream('SELECT i::BIGINT a, i::DOUBLE b FROM range(100000) t(i)');
    const types = result.columnTypes();
    const schema = arrowSchemaOf(result.columnNames(), types, 'UTC');
    const sizes: number[] = [];
    for await (const b of recordBatches(result, schema, types, { batchBytes: 256 * 1024, maxBatchBytes: 512 * 1024 })) {
      sizes.push(b.numRows * 16);
    }
    expect(sizes.reduce((s, x) => s + x, 0)).toBe(100000 * 16);
    for (const s of sizes.slice(0, -1)) {
      expect(s).toBeGreaterThanOrEqual(256 * 1024);
      expect(s).toBeLessThanOrEqual(512 * 1024);
    }
  });

  it('splits rows of huge strings so no batch exceeds the message limit', async () => {
    const result = await conn.stream("SELECT repeat('x', 100000) s FROM range(100) t(i)");
    const types = result.columnTypes();
    const schema = arrowSchemaOf(result.columnNames(), types, 'UTC');
    let total = 0;
    for await (const b of recordBatches(result, schema, types, { batchBytes: 256 * 1024, maxBatchBytes: 1 << 20 })) {
      const bytes = recordBatchFlightData(b).length;
      expect(bytes).toBeLessThan((1 << 20) + 64 * 1024);
      total += b.numRows;
    }
    expect(total).toBe(100);
  });

  it('converts nested, decimal, interval and enum columns like DuckDB', async () => {
    const t = await viaSkein(
      conn,
      `SELECT [1, NULL, 3] l, {'x': 1, 'y': 'a'} st, MAP {'k': 2} m, 12.34::DECIMAL(6,2) d, 1.5::DECIMAL(38,10) d38,
              INTERVAL 2 DAY iv, 'b'::ENUM('a','b') e, '5ba9f718-f39e-4137-adba-72be09814154'::UUID u, [1,2]::INT[2] arr`,
      1 << 20,
    );
    const row = t.get(0)?.toJSON() as Record<string, unknown>;
    expect(String(t.schema.fields.map((f) => f.type))).toContain('Dictionary');
    expect([...(row.l as A.Vector)]).toEqual([1, null, 3]);
    expect(row.e).toBe('b');
    expect(row.u).toBe('5ba9f718-f39e-4137-adba-72be09814154');
    expect(String(t.schema.fields[3].type)).toBe('Decimal[6e+2]');
  });

  it('copies strings from every kind of source byte for byte (runs of nearby strings read at once)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-strings-'));
    try {
      // inline (<= 12 bytes) and pointed-to strings, NULLs, multi-byte UTF-8, repeats (Parquet
      // dictionaries), a few strings larger than one read run (4 MiB), from memory, a table and
      // Parquet files written plain and with dictionaries
      const gen = `SELECT i, CASE WHEN i % 11 = 0 THEN NULL
            WHEN i % 5 = 0 THEN 'short' || (i % 7)::VARCHAR
            WHEN i % 5 = 1 THEN 'ünïcødé ✓ ' || repeat('é', i % 40) || i::VARCHAR
            WHEN i % 5 = 2 THEN 'repeated value number ' || (i % 13)::VARCHAR
            WHEN i = 3003 OR i = 7008 THEN repeat('big', 1400010) || i::VARCHAR
            ELSE md5(i::VARCHAR) || repeat('-', i % 300) END s,
          (i % 3)::VARCHAR || repeat('x', (i * 7) % 29) t
        FROM range(12000) r(i)`;
      await conn.run(`CREATE OR REPLACE TABLE strs AS ${gen}`);
      const plain = path.join(dir, 'plain.parquet');
      const dict = path.join(dir, 'dict.parquet');
      await conn.run(`COPY strs TO '${plain}' (FORMAT parquet, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 3000)`);
      await conn.run(`COPY strs TO '${dict}' (FORMAT parquet, ROW_GROUP_SIZE 5000)`);
      const expected = (await conn.runAndReadAll(`${gen} ORDER BY i`)).getRowObjectsJS();
      expect(expected.length).toBe(12000);
      for (const source of [`(${gen})`, 'strs', `read_parquet('${plain}')`, `read_parquet('${dict}')`]) {
        for (const general of [false, true]) {
          const t = await viaSkein(conn, `SELECT i, s, t FROM ${source} ORDER BY i`, 256 * 1024, general);
          const got = t.toArray().map((r) => ({ i: BigInt(r.i), s: r.s, t: r.t }));
          expect(got.length).toBe(12000);
          for (let k = 0; k < got.length; k++) {
            if (got[k].s !== expected[k].s || got[k].t !== expected[k].t) {
              throw new Error(`${source} (${general ? 'general' : 'direct'} path) row ${k} differs`);
            }
          }
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
