// The directory catalog over real files written by DuckDB: discovery, columns (with hive partition
// columns), per-file rows/bytes, row-group stats checked against DuckDB's own aggregates, and refresh.
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TableInfo } from '../../../src/catalog/catalog';
import { DirectoryCatalog } from '../../../src/catalog/directory-catalog';
import { quoteLiteral } from '../../../src/duckdb/sql';

const TYPED = `SELECT i::INTEGER AS i, i * 1000000000 AS b, i / 4 AS d, (901 + i * 0.25)::DECIMAL(15,2) AS dec,
    'k' || lpad(i::VARCHAR, 5, '0') AS s, DATE '1994-01-01' + i::INTEGER AS dt,
    TIMESTAMP '2020-01-01' + INTERVAL (i) MINUTE AS ts, i % 2 = 0 AS bo, NULL::INTEGER AS n,
    CASE WHEN i % 10 <> 0 THEN i::INTEGER END AS m
  FROM range(6000) t(i)`;

let dir: string;
let root: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;
let catalog: DirectoryCatalog;

async function run(sql: string): Promise<void> {
  await conn.run(sql);
}

async function value(sql: string): Promise<unknown> {
  return (await conn.runAndReadAll(sql)).getRowsJS()[0][0];
}

async function table(schema: string, name: string): Promise<TableInfo> {
  const t = await catalog.table(schema, name);
  if (!t) throw new Error(`no table ${schema}.${name}`);
  return t;
}

const at = (...parts: string[]): string => join(root, ...parts);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-catalog-'));
  root = join(dir, 'lake');
  for (const d of ['sales/one', 'sales/many', 'sales/events', 'sales/csvt', 'sales/jsont', 'sales/mixed', 'sales/_tmp', '.hidden/t', 'ops/logs']) {
    mkdirSync(at(d), { recursive: true });
  }
  db = await DuckDBInstance.create(':memory:');
  conn = await db.connect();
  await run(`COPY (${TYPED}) TO ${quoteLiteral(at('sales/one/data.parquet'))} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
  for (let p = 0; p < 3; p++) {
    await run(`COPY (SELECT i AS id, 'p${p}' AS tag FROM range(${p * 100}, ${p * 100 + 50 + p}) t(i))
               TO ${quoteLiteral(at(`sales/many/part-${p}.parquet`))} (FORMAT parquet)`);
  }
  await run(`COPY (SELECT i AS id, 2020 + i % 2 AS year, 1 + i % 3 AS month, i * 1.5 AS amount FROM range(60) t(i))
             TO ${quoteLiteral(at('sales/events'))} (FORMAT parquet, PARTITION_BY (year, month))`);
  await run(`COPY (SELECT i AS a, 'x' || i AS b FROM range(10) t(i)) TO ${quoteLiteral(at('sales/csvt/a.csv'))} (HEADER)`);
  await run(`COPY (SELECT i AS a, 'y' || i AS b FROM range(10, 17) t(i)) TO ${quoteLiteral(at('sales/csvt/b.csv'))} (HEADER)`);
  await run(`COPY (SELECT i AS a, {'k': i} AS obj FROM range(4) t(i)) TO ${quoteLiteral(at('sales/jsont/x.json'))}`);
  await run(`COPY (SELECT 1 AS a) TO ${quoteLiteral(at('sales/mixed/m1.parquet'))} (FORMAT parquet)`);
  await run(`COPY (SELECT 2 AS a, 'two' AS extra) TO ${quoteLiteral(at('sales/mixed/m2.parquet'))} (FORMAT parquet)`);
  await run(`COPY (SELECT 'three' AS a) TO ${quoteLiteral(at('sales/mixed/m3.parquet'))} (FORMAT parquet)`);
  await run(`COPY (SELECT i AS id, CASE WHEN i > 0 THEN 'k' || i END AS k FROM range(3) t(i))
             TO ${quoteLiteral(at('sales/nullpart'))} (FORMAT parquet, PARTITION_BY (k))`);
  await run(`COPY (SELECT 1 AS a) TO ${quoteLiteral(at('ops/logs/l.parquet'))} (FORMAT parquet)`);
  // things that are not table data: reading any of these as Parquet would fail
  for (const junk of ['sales/one/.part.parquet', 'sales/one/_SUCCESS', 'sales/many/_delta_log/0.parquet', 'sales/_tmp/x.parquet', '.hidden/t/y.parquet', 'sales/one/README.md']) {
    mkdirSync(join(root, junk, '..'), { recursive: true });
    writeFileSync(at(junk), 'not parquet');
  }
  catalog = await DirectoryCatalog.open({ root, minRefreshMs: 0 });
});

afterAll(async () => {
  await catalog?.close();
  conn?.closeSync();
  db?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('DirectoryCatalog', () => {
  it('discovers schemas and tables from directory names, skipping hidden and _ entries', async () => {
    expect(await catalog.tables()).toEqual([
      { schema: 'ops', name: 'logs' },
      { schema: 'sales', name: 'csvt' },
      { schema: 'sales', name: 'events' },
      { schema: 'sales', name: 'jsont' },
      { schema: 'sales', name: 'many' },
      { schema: 'sales', name: 'mixed' },
      { schema: 'sales', name: 'nullpart' },
      { schema: 'sales', name: 'one' },
    ]);
    expect(await catalog.table('sales', '_tmp')).toBeNull();
    expect(await catalog.table('sales', 'nope')).toBeNull();
    expect(catalog.roots).toEqual([root]);
    const many = await table('sales', 'many');
    expect(many.files.map((f) => f.path)).toEqual([0, 1, 2].map((p) => at(`sales/many/part-${p}.parquet`)));
  });

  it('gives columns with DuckDB types and per-file rows and bytes', async () => {
    const one = await table('sales', 'one');
    expect(one.format).toBe('parquet');
    expect(one.location).toBe(at('sales/one'));
    expect(one.columns).toEqual([
      { name: 'i', type: 'INTEGER' },
      { name: 'b', type: 'BIGINT' },
      { name: 'd', type: 'DOUBLE' },
      { name: 'dec', type: 'DECIMAL(15,2)' },
      { name: 's', type: 'VARCHAR' },
      { name: 'dt', type: 'DATE' },
      { name: 'ts', type: 'TIMESTAMP' },
      { name: 'bo', type: 'BOOLEAN' },
      { name: 'n', type: 'INTEGER' },
      { name: 'm', type: 'INTEGER' },
    ]);
    expect(one.partitionColumns).toEqual([]);
    expect(one.unionByName).toBe(false);
    const [file] = one.files;
    expect(file.rows).toBe(6000);
    expect(file.bytes).toBe(statSync(file.path).size);
    expect(file.rowGroups.length).toBeGreaterThan(1);
    expect(file.rowGroups.reduce((s, g) => s + g.rows, 0)).toBe(6000);
    for (const g of file.rowGroups) expect(g.bytes).toBeGreaterThan(0);
    const many = await table('sales', 'many');
    expect(many.files.map((f) => f.rows)).toEqual([50, 51, 52]);
    for (const f of many.files) expect(f.bytes).toBe(statSync(f.path).size);
  });

  it('renders file-level min/max as DuckDB VARCHARs of the typed values', async () => {
    const { columns } = (await table('sales', 'one')).files[0];
    expect(columns.i).toEqual({ min: '0', max: '5999', nullCount: 0 });
    expect(columns.b).toEqual({ min: '0', max: '5999000000000', nullCount: 0 });
    expect(columns.d).toEqual({ min: '0.0', max: '1499.75', nullCount: 0 });
    expect(columns.dec).toEqual({ min: '901.00', max: '2400.75', nullCount: 0 });
    expect(columns.s).toEqual({ min: 'k00000', max: 'k05999', nullCount: 0 });
    expect(columns.dt).toEqual({ min: '1994-01-01', max: '2010-06-05', nullCount: 0 });
    expect(columns.ts).toEqual({ min: '2020-01-01 00:00:00', max: '2020-01-05 03:59:00', nullCount: 0 });
    expect(columns.bo).toEqual({ min: 'false', max: 'true', nullCount: 0 });
    expect(columns.n).toEqual({ min: null, max: null, nullCount: 6000 });
    expect(columns.m).toEqual({ min: '1', max: '5999', nullCount: 600 });
  });

  it('has row-group stats equal to DuckDB aggregates over each row group', async () => {
    const one = await table('sales', 'one');
    const file = one.files[0];
    let start = 0;
    for (const g of file.rowGroups) {
      const end = start + g.rows;
      for (const c of one.columns) {
        const q = (agg: string) =>
          value(`SELECT ${agg} FROM read_parquet(${quoteLiteral(file.path)}, file_row_number = true)
                 WHERE file_row_number >= ${start} AND file_row_number < ${end}`);
        const col = `"${c.name}"`;
        expect(g.columns[c.name]).toEqual({
          min: await q(`min(${col})::VARCHAR`),
          max: await q(`max(${col})::VARCHAR`),
          nullCount: Number(await q(`count(*) - count(${col})`)),
        });
      }
      start = end;
    }
  });

  it('adds hive partition columns (two levels) with their types and values', async () => {
    const events = await table('sales', 'events');
    expect(events.partitionColumns).toEqual(['year', 'month']);
    expect(events.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DECIMAL(21,1)' },
      // DuckDB appends hive columns sorted by name, not in path order
      { name: 'month', type: 'BIGINT' },
      { name: 'year', type: 'BIGINT' },
    ]);
    expect(events.files).toHaveLength(6);
    const f = events.files.find((x) => x.path.includes(join('year=2021', 'month=2')))!;
    expect(f.partition).toEqual({ year: '2021', month: '2' });
    expect(f.rows).toBe(10);
    expect(f.columns.id.min).toBe('1'); // i ≡ 1 (mod 2) and ≡ 1 (mod 3): 1, 7, 13, …
    expect(events.files.reduce((s, x) => s + x.rows, 0)).toBe(60);
    // a NULL partition value (DuckDB writes __HIVE_DEFAULT_PARTITION__) has no entry
    const nullpart = await table('sales', 'nullpart');
    expect(nullpart.files.map((x) => x.partition)).toEqual([{}, { k: 'k1' }, { k: 'k2' }]);
  });

  it('reads CSV and JSON tables (rows only) and unions differing Parquet files by name', async () => {
    const csv = await table('sales', 'csvt');
    expect(csv.format).toBe('csv');
    expect(csv.files.map((f) => f.rows)).toEqual([10, 7]);
    expect(csv.columns).toEqual([
      { name: 'a', type: 'BIGINT' },
      { name: 'b', type: 'VARCHAR' },
    ]);
    const json = await table('sales', 'jsont');
    expect(json.format).toBe('json');
    expect(json.files[0].rows).toBe(4);
    expect(json.columns.map((c) => c.name)).toEqual(['a', 'obj']);
    const mixed = await table('sales', 'mixed');
    expect(mixed.unionByName).toBe(true);
    expect(mixed.columns).toEqual([
      { name: 'a', type: 'VARCHAR' },
      { name: 'extra', type: 'VARCHAR' },
    ]);
    // stats only where the file's type is the table's: INTEGER bounds would not order as VARCHARs
    expect(mixed.files.map((f) => f.columns.a ?? null)).toEqual([
      null,
      null,
      { min: 'three', max: 'three', nullCount: 0 },
    ]);
    expect(mixed.files[1].columns.extra).toEqual({ min: 'two', max: 'two', nullCount: 0 });
  });

  it('notices added, removed and rewritten files', async () => {
    const before = await table('sales', 'many');
    const again = await table('sales', 'many');
    expect(again).toBe(before); // nothing changed: the same cached answer
    await run(`COPY (SELECT 1000 + i AS id, 'p3' AS tag FROM range(7) t(i))
               TO ${quoteLiteral(at('sales/many/part-3.parquet'))} (FORMAT parquet)`);
    const added = await table('sales', 'many');
    expect(added.version).not.toBe(before.version);
    expect(added.files.map((f) => f.rows)).toEqual([50, 51, 52, 7]);
    expect(added.files[3].columns.id).toEqual({ min: '1000', max: '1006', nullCount: 0 });

    rmSync(at('sales/many/part-0.parquet'));
    const removed = await table('sales', 'many');
    expect(removed.version).not.toBe(added.version);
    expect(removed.files.map((f) => f.rows)).toEqual([51, 52, 7]);

    // rewritten in place (new file renamed over the old one, as writers do)
    const tmp = at('sales/many/.part-3.tmp');
    await run(`COPY (SELECT 5000 + i AS id, 'p3' AS tag FROM range(3) t(i)) TO ${quoteLiteral(tmp)} (FORMAT parquet)`);
    renameSync(tmp, at('sales/many/part-3.parquet'));
    const rewritten = await table('sales', 'many');
    expect(rewritten.version).not.toBe(removed.version);
    expect(rewritten.files[2]).toMatchObject({ rows: 3, columns: { id: { min: '5000', max: '5002', nullCount: 0 } } });
  });

  it('looks at the files at most once per minRefreshMs', async () => {
    const slow = await DirectoryCatalog.open({ root, minRefreshMs: 60_000 });
    try {
      const first = await slow.table('ops', 'logs');
      await run(`COPY (SELECT 2 AS a) TO ${quoteLiteral(at('ops/logs/l2.parquet'))} (FORMAT parquet)`);
      expect((await slow.table('ops', 'logs'))?.version).toBe(first?.version);
      expect((await catalog.table('ops', 'logs'))?.files).toHaveLength(2);
    } finally {
      await slow.close();
    }
  });

  it('takes tables from a catalog file, with a format for unusual extensions', async () => {
    const extra = join(dir, 'extra');
    mkdirSync(join(extra, 'files'), { recursive: true });
    await run(`COPY (SELECT i AS k FROM range(5) t(i)) TO ${quoteLiteral(join(extra, 'files', 'k.txt'))} (HEADER)`);
    writeFileSync(
      join(extra, 'catalog.json'),
      JSON.stringify({ tables: [{ schema: 'ext', name: 'ks', location: 'files', format: 'csv' }] }),
    );
    const listed = await DirectoryCatalog.open({ file: join(extra, 'catalog.json'), minRefreshMs: 0 });
    try {
      expect(await listed.tables()).toEqual([{ schema: 'ext', name: 'ks' }]);
      expect(listed.roots).toEqual([join(extra, 'files')]);
      const ks = await listed.table('ext', 'ks');
      expect(ks?.format).toBe('csv');
      expect(ks?.files.map((f) => f.rows)).toEqual([5]);
    } finally {
      await listed.close();
    }
  });

  it('refuses a root that is not a directory and a bad catalog file', async () => {
    await expect(DirectoryCatalog.open({ root: join(dir, 'missing') })).rejects.toThrow(/not a directory/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tables: [{ schema: 's' }] }));
    await expect(DirectoryCatalog.open({ file: join(dir, 'bad.json') })).rejects.toThrow(/invalid catalog file/);
  });
});
