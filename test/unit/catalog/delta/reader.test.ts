// The Delta reader against tables written by the deltalake package (fixtures/delta_tables.py):
// every version's rows, read through the reader's scan SQL in DuckDB, equal what deltalake reads;
// stats and partition values are typed as pruning expects; bad logs fail naming table and cause.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { deltaReader } from '../../../../src/catalog/delta/reader';
import { TableAt, TableInfo } from '../../../../src/catalog/catalog';
import { LocalStore } from '../../../../src/store/local-store';
import { runPython } from '../../../services/services';

const SCRIPT = resolve(__dirname, '..', '..', '..', 'e2e', 'ts', 'fixtures', 'delta_tables.py');

interface Manifest {
  tables: Record<string, string>;
  base: number;
  dvRows: number;
  versions: Record<string, number>;
}

let dir: string;
let manifest: Manifest;
let duck: DuckDBInstance;
let conn: DuckDBConnection;
const store = new LocalStore();
const ctx = { store: () => store };

const open = (table: string, at?: TableAt): Promise<TableInfo> =>
  deltaReader.open({ schema: 'd', name: table, location: manifest.tables[table] }, at, ctx);

/** deltalake's answers to queries over `t`, rendered as text. */
function expected(specs: Array<{ table: string; version?: number; timestamp?: string; sql: string }>): unknown[][][] {
  const spec = join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(spec, JSON.stringify(specs));
  return JSON.parse(runPython(SCRIPT, ['query', dir, spec])) as unknown[][][];
}

async function mine(info: TableInfo, sql: string, files = info.files.map((f) => f.path)): Promise<unknown[][]> {
  const r = await conn.runAndReadAll(sql.replace(/\bt\b/, info.scan!.sql(files)));
  return (r.getRowsJS() as unknown[][]).map((row) => row.map((v) => (v === null ? null : String(v))));
}

const ALL = `SELECT id::VARCHAR, name, amount::VARCHAR, f::VARCHAR, ts::VARCHAR, day::VARCHAR, region, score::VARCHAR FROM t ORDER BY id`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-delta-unit-'));
  runPython(SCRIPT, ['build', dir]);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
}, 120_000);

afterAll(() => {
  conn?.closeSync();
  duck?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('Delta reader', () => {
  it('reads every version of a partitioned table with deletes, overwrite, added column and checkpoint', async () => {
    const versions = Array.from({ length: manifest.versions.events + 1 }, (_, v) => v);
    const want = expected(versions.map((v) => ({ table: 'events', version: v, sql: v < 4 ? ALL.replace(', score::VARCHAR', '') : ALL })));
    for (const v of versions) {
      const info = await open('events', { unit: 'VERSION', value: String(v) });
      expect(info.partitionColumns).toEqual(['day', 'region']);
      const got = await mine(info, v < 4 ? ALL.replace(', score::VARCHAR', '') : ALL);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(want[v]);
    }
    const current = await open('events');
    expect(current.version).toMatch(/@6$/);
    expect(current.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'BIGINT'], ['name', 'VARCHAR'], ['amount', 'DECIMAL(12,2)'], ['f', 'DOUBLE'], ['ts', 'TIMESTAMP'],
      ['day', 'DATE'], ['region', 'VARCHAR'], ['score', 'DOUBLE'],
    ]);
    expect(await mine(current, ALL)).toEqual(want[6]);
  });

  it('reads any subset of files with the table shape (partition values per file)', async () => {
    const info = await open('events');
    const parts = await Promise.all(info.files.map((f) => mine(info, ALL, [f.path])));
    const whole = await mine(info, ALL);
    expect(parts.flat().sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(whole);
    expect(await mine(info, 'SELECT count(*) FROM t', [])).toEqual([['0']]);
  });

  it('gives pruning typed partition values and safe stats', async () => {
    const info = await open('events');
    const f = info.files.find((x) => x.partition.region === 'a b/c=d%')!;
    expect(f.partition).toEqual({ day: '2024-01-03', region: 'a b/c=d%' });
    expect(f.rows).toBe(10);
    expect(f.columns.id).toEqual({ min: '150', max: '159', nullCount: 0 });
    expect(f.columns.amount.min).toMatch(/^\d+\.\d\d$/);
    expect(f.columns.f.max).toBeNull(); // NaN may hide above a float max
    const nullRegion = info.files.filter((x) => !('region' in x.partition));
    expect(nullRegion.length).toBeGreaterThan(0);
    const ts = info.files[0].columns.ts;
    expect(ts.min).toMatch(/^2024-01-01 /);
    const long = info.files.flatMap((x) => (x.columns.name?.max ?? '').length >= 32 ? [x] : []);
    expect(long).toEqual([]); // possibly truncated string maxima are left unknown
  });

  it('travels in time by commit timestamp', async () => {
    const at = (h: number): TableAt => ({ unit: 'TIMESTAMP', value: new Date((manifest.base + h * 3600) * 1000).toISOString().replace('T', ' ').replace('Z', '') });
    expect((await open('events', at(2.5))).version).toMatch(/@2$/);
    expect((await open('events', at(3))).version).toMatch(/@3$/);
    expect((await open('events', at(100))).version).toMatch(/@6$/);
    await expect(open('events', at(-1))).rejects.toThrow(/Delta table d\.events has no version at or before/);
    await expect(open('events', { unit: 'VERSION', value: '7' })).rejects.toThrow(/has no version 7 \(the latest is 6\)/);
  });

  it('reads a multi-part checkpoint when older commits are gone', async () => {
    const want = expected([{ table: 'multipart', sql: ALL }]);
    expect(await mine(await open('multipart'), ALL)).toEqual(want[0]);
    await expect(open('multipart', { unit: 'VERSION', value: '3' })).rejects.toThrow(/commit 0 is missing/);
  });

  it('reads column-mapped tables by physical name', async () => {
    const q = 'SELECT k::VARCHAR, label, grp FROM t ORDER BY k';
    const want = expected([{ table: 'mapped', sql: q }]);
    const info = await open('mapped');
    expect(info.columns.map((c) => c.name)).toEqual(['k', 'label', 'grp']);
    expect(await mine(info, q)).toEqual(want[0]);
    expect(info.files.every((f) => f.columns.k !== undefined)).toBe(true);
  });

  it('drops rows deleted by deletion vectors (file and inline), as deltalake does', async () => {
    const q = 'SELECT count(*)::VARCHAR, sum(id)::VARCHAR, min(id)::VARCHAR, max(v) FROM t';
    const want = expected([{ table: 'dv', sql: q }]);
    const info = await open('dv');
    expect(info.files.reduce((n, f) => n + f.rows, 0)).toBe(manifest.dvRows);
    expect(await mine(info, q)).toEqual(want[0]);
    const before = await open('dv', { unit: 'VERSION', value: '1' });
    expect(await mine(before, 'SELECT count(*) FROM t')).toEqual([['20000']]);
  });

  it('fails clearly on a vanished file, a corrupt commit and an unknown reader feature', async () => {
    await expect(open('vanished')).rejects.toMatchObject({ name: 'NotFoundError', message: expect.stringMatching(/Delta table d\.vanished: data file .* named by the log at version 1 is missing/) });
    await expect(open('corrupt')).rejects.toMatchObject({ name: 'FailedPreconditionError', message: expect.stringMatching(/Delta table d\.corrupt: commit 00000000000000000001\.json line \d+ is not valid JSON/) });
    await expect(open('feature')).rejects.toMatchObject({ name: 'UnimplementedError', message: expect.stringMatching(/Delta table d\.feature uses reader feature futureMagic/) });
    await expect(open('corrupt', { unit: 'VERSION', value: '0' })).resolves.toBeDefined();
    await expect(deltaReader.open({ schema: 'd', name: 'nope', location: join(dir, 'nope') }, undefined, ctx)).rejects.toThrow(/Delta table d\.nope: no transaction log/);
  });
});
