// Test data for executor tests: Parquet files written by DuckDB's COPY in a temp dir, DuckDB's own
// answer for a query (plain instance, no Skein code), and Arrow rows normalised to compare with it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { Fragment } from '../../../src/planner/plan';

export interface ParquetFixture {
  dir: string;
  files: string[];
  remove(): void;
}

/** `count` files of `rows` rows each: ids are unique across files; every type has some NULLs. */
export async function makeParquet(count: number, rows: number): Promise<ParquetFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-exec-'));
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  const files: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const file = join(dir, `part-${i}.parquet`);
      const lo = i * rows;
      await conn.run(`COPY (
        SELECT range AS id,
               (range % 13)::INTEGER AS g,
               CASE WHEN range % 11 = 0 THEN NULL ELSE 'name-' || (range % 1000) END AS name,
               CASE WHEN range % 17 = 0 THEN NULL ELSE (range * 0.25)::DOUBLE END AS amount,
               (range % 3 = 0) AS flag,
               DATE '1995-01-01' + (range % 2000)::INTEGER AS day
        FROM range(${lo}, ${lo + rows})) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`);
      files.push(file);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  return { dir, files, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function fileList(files: readonly string[]): string {
  return `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;
}

/** A scan fragment over `files` as the planner renders one. */
export function scanFragment(id: string, files: readonly string[], select: string, where = 'TRUE'): Fragment {
  return {
    id,
    stage: 'scan-1',
    sql: `SELECT ${select} FROM read_parquet(${fileList(files)}) WHERE ${where}`,
    inputs: [{ table: 't', format: 'parquet', files, bytes: 1000 * files.length, rows: 0 }],
  };
}

/** DuckDB's own rows for `sql`, as JSON values (BIGINT as strings, DATE as YYYY-MM-DD). */
export async function duckdbRows(sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowsJson() as unknown[][];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Arrow rows in the same JSON form as duckdbRows. */
export function arrowRows(batches: readonly A.RecordBatch[]): unknown[][] {
  const out: unknown[][] = [];
  for (const b of batches) {
    const cols = b.schema.fields.map((f, i) => ({ type: f.type, vec: b.getChildAt(i) as A.Vector }));
    for (let r = 0; r < b.numRows; r++) {
      out.push(
        cols.map(({ type, vec }) => {
          const v: unknown = vec.get(r);
          if (v === null || v === undefined) return null;
          if (typeof v === 'bigint') return String(v);
          if (A.DataType.isDecimal(type)) return decimalText(String(v), type.scale);
          if (A.DataType.isDate(type)) return new Date(Number(v)).toISOString().slice(0, 10);
          return v;
        }),
      );
    }
  }
  return out;
}

/** An unscaled integer's digits with `scale` of them after the point, as DuckDB prints a DECIMAL. */
function decimalText(digits: string, scale: number): string {
  if (scale === 0) return digits;
  const neg = digits.startsWith('-');
  const d = (neg ? digits.slice(1) : digits).padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${d.slice(0, -scale)}.${d.slice(-scale)}`;
}

export function sorted(rows: unknown[][]): unknown[][] {
  const key = (r: unknown[]): string => JSON.stringify(r);
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
