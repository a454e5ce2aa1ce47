// The Iceberg reader against tables pyiceberg wrote: every snapshot of every table reads the rows
// pyiceberg reads (deletes applied, columns by field id), whole and file by file (as fragments do).
import { rmSync } from 'node:fs';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TableInfo } from '../../../../src/catalog/catalog';
import { FormatCatalog } from '../../../../src/catalog/format-catalog';
import { quoteLiteral } from '../../../../src/duckdb/sql';
import { IcebergFixture, writeIcebergTables } from '../../../e2e/ts/fixtures/iceberg-fixture';

let fx: IcebergFixture;
let catalog: FormatCatalog;
let duck: DuckDBInstance;
let conn: DuckDBConnection;

const TABLES = ['events', 'evolve', 'legacy'] as const;

beforeAll(async () => {
  fx = writeIcebergTables();
  catalog = new FormatCatalog({
    entries: TABLES.map((t) => ({ schema: 'db', name: t, format: 'iceberg' as const, location: fx.tables[t].location })),
    minRefreshMs: 0,
  });
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
}, 120_000);

afterAll(async () => {
  conn?.closeSync();
  duck?.closeSync();
  await catalog?.close();
  if (fx) rmSync(fx.warehouse, { recursive: true, force: true });
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** Rows in one relation and not the other (as multisets), and the column names of both. */
async function difference(mine: string, expected: string): Promise<{ extra: number; missing: number; names: [string[], string[]] }> {
  const [[extra]] = await rows(`SELECT count(*) FROM (SELECT * FROM ${mine} EXCEPT ALL SELECT * FROM ${expected})`);
  const [[missing]] = await rows(`SELECT count(*) FROM (SELECT * FROM ${expected} EXCEPT ALL SELECT * FROM ${mine})`);
  const names = async (rel: string): Promise<string[]> => (await rows(`DESCRIBE SELECT * FROM ${rel}`)).map((r) => String(r[0]));
  return { extra: Number(extra), missing: Number(missing), names: [await names(mine), await names(expected)] };
}

const expectedOf = (path: string): string => `read_parquet(${quoteLiteral(path)})`;

describe('Iceberg reader', () => {
  it.each(TABLES)('reads every snapshot of %s as pyiceberg does', async (t) => {
    for (const snap of fx.tables[t].snapshots) {
      const info = (await catalog.table('db', t, { unit: 'VERSION', value: snap.id })) as TableInfo;
      const d = await difference(info.scan!.sql(info.files.map((f) => f.path)), expectedOf(snap.expected));
      expect({ snapshot: snap.id, ...d }).toEqual({ snapshot: snap.id, extra: 0, missing: 0, names: [d.names[1], d.names[1]] });
    }
  });

  it.each(TABLES)('reads %s file by file with the deletes of each file', async (t) => {
    const info = (await catalog.table('db', t)) as TableInfo;
    const last = fx.tables[t].snapshots[fx.tables[t].snapshots.length - 1];
    const parts = info.files.map((f) => `SELECT * FROM ${info.scan!.sql([f.path])}`).join(' UNION ALL ');
    const d = await difference(`(${parts})`, expectedOf(last.expected));
    expect([d.extra, d.missing]).toEqual([0, 0]);
  });

  it('lists the delete files a subset of data files needs, and only those', async () => {
    const info = (await catalog.table('db', 'events')) as TableInfo;
    const target = fx.tables.events.target!;
    expect(info.scan!.extraFiles!([target]).some((p) => p.endsWith('eq-delete-1.parquet'))).toBe(true);
    const unrelated = info.files.map((f) => f.path).filter((p) => info.scan!.extraFiles!([p]).length === 0);
    expect(unrelated.length).toBeGreaterThan(0);
    expect(info.scan!.extraFiles!(info.files.map((f) => f.path)).map((p) => p.replace(/.*\//, ''))).toEqual(['eq-delete-1.parquet', 'pos-delete-1.parquet']);
  });

  it('chooses the snapshot current at a timestamp', async () => {
    const snaps = fx.tables.evolve.snapshots;
    const second = snaps[1];
    const at = new Date(second.timestamp_ms).toISOString().replace('T', ' ').replace('Z', '');
    const info = (await catalog.table('db', 'evolve', { unit: 'TIMESTAMP', value: at })) as TableInfo;
    const d = await difference(info.scan!.sql(info.files.map((f) => f.path)), expectedOf(second.expected));
    expect([d.extra, d.missing]).toEqual([0, 0]);
    await expect(catalog.table('db', 'evolve', { unit: 'TIMESTAMP', value: '2001-01-01 00:00:00' })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: expect.stringMatching(/db\.evolve.*no snapshot at or before/),
    });
    await expect(catalog.table('db', 'evolve', { unit: 'VERSION', value: '42' })).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('gives column bounds and identity partition values for pruning', async () => {
    const info = (await catalog.table('db', 'legacy')) as TableInfo;
    for (const f of info.files) {
      expect(f.partition.cat).toMatch(/^[xz]$/);
      expect(f.columns.cat).toEqual({ min: f.partition.cat, max: f.partition.cat, nullCount: 0 });
      expect(f.columns.d.min).toMatch(/^2022-05-0\d$/);
    }
    const events = (await catalog.table('db', 'events')) as TableInfo;
    const ts = events.files.map((f) => f.columns.ts);
    expect(ts.every((s) => s && /^2024-03-0\d \d\d:\d\d:\d\d(\.\d+)?$/.test(s.min!) && s.min! <= s.max!)).toBe(true);
    expect(events.files.every((f) => /^-?\d+\.\d\d$/.test(f.columns.amount.min!))).toBe(true);
  });
});

describe('Iceberg reader on damaged tables', () => {
  it('refuses a truncated manifest, naming the table and the file', async () => {
    const info = (await catalog.table('db', 'legacy')) as TableInfo;
    expect(info.files.length).toBeGreaterThan(0);
    const dir = `${fx.tables.legacy.location}/metadata`;
    const { readdirSync, statSync, truncateSync } = await import('node:fs');
    const manifests = readdirSync(dir).filter((f) => /-m\d+\.avro$/.test(f));
    for (const m of manifests) truncateSync(`${dir}/${m}`, Math.floor(statSync(`${dir}/${m}`).size / 2));
    const fresh = new FormatCatalog({ entries: [{ schema: 'db', name: 'legacy', format: 'iceberg', location: fx.tables.legacy.location }] });
    try {
      await expect(fresh.table('db', 'legacy')).rejects.toMatchObject({
        name: 'FailedPreconditionError',
        message: expect.stringMatching(/iceberg table db\.legacy: manifest .*-m\d+\.avro is corrupt/),
      });
    } finally {
      await fresh.close();
    }
  });
});
