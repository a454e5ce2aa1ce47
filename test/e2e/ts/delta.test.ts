// Delta tables through Flight SQL on an in-process server with 2 in-process executors: answers equal
// deltalake's own reading of the same tables (fixtures/delta_tables.py), at the current version and
// AT (VERSION / TIMESTAMP); a Delta, an Iceberg and a Parquet table join in one statement; bad
// logs fail with the table and the cause.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { RunningServer } from '../../../src/cli/serve';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { FlightSqlClient } from '../../../src/flight/client';
import { runPython } from '../../services/services';
import { IcebergFixture, writeIcebergTables } from './fixtures/iceberg-fixture';
import { flightClient, startLakeServer } from './lake-helpers';

const USER = { user: 'delta', password: 'pw-delta' };
const SCRIPT = join(__dirname, 'fixtures', 'delta_tables.py');

interface Manifest {
  tables: Record<string, string>;
  regions: string;
  base: number;
  versions: Record<string, number>;
}

interface Spec {
  table: string;
  version?: number;
  timestamp?: string;
  sql: string;
}

let dir: string;
let manifest: Manifest;
let iceberg: IcebergFixture;
let server: RunningServer;
let client: FlightSqlClient;

/** deltalake's answers (DuckDB over its Arrow reading of `t`), every value as text. */
function deltalake(specs: Spec[]): unknown[][][] {
  const path = join(dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(specs));
  return JSON.parse(runPython(SCRIPT, ['query', dir, path])) as unknown[][][];
}

async function skein(query: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of await client.query(query)) {
    for (const row of batch) out.push(row.toArray().map((v: unknown) => (v === null ? null : String(v))));
  }
  return out;
}

/** The commit time of version v as AT (TIMESTAMP => …) takes it, plus `minutes`. */
const commitTime = (v: number, minutes = 0): string =>
  new Date((manifest.base + v * 3600 + minutes * 60) * 1000).toISOString().replace('T', ' ').replace('Z', '');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-delta-e2e-'));
  runPython(SCRIPT, ['build', dir]);
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  iceberg = writeIcebergTables();
  const delta = ['events', 'multipart', 'mapped', 'dv', 'vanished', 'corrupt', 'feature'];
  const catalogFile = join(dir, 'catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      tables: [
        ...delta.map((name) => ({ schema: 'delta', name, location: manifest.tables[name], format: 'delta' })),
        { schema: 'ice', name: 'events', location: iceberg.tables.events.location, metadata: iceberg.tables.events.metadata, format: 'iceberg' },
        { schema: 'plain', name: 'regions', location: manifest.regions },
      ],
    }),
  );
  server = await startLakeServer(USER, { catalog: { file: catalogFile, refreshSeconds: 600 }, executors: { count: 2 } });
  client = await flightClient(server, USER);
}, 180_000);

afterAll(async () => {
  client?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (iceberg) rmSync(iceberg.warehouse, { recursive: true, force: true });
});

describe('Delta tables through Flight SQL', () => {
  it('answers aggregates, filters and top-N as deltalake reads the table', async () => {
    const queries = [
      `SELECT day::VARCHAR, region, count(*)::VARCHAR, sum(amount)::VARCHAR, min(id)::VARCHAR, max(name), sum(score)::VARCHAR FROM t GROUP BY ALL ORDER BY ALL`,
      `SELECT id::VARCHAR, name, ts::VARCHAR FROM t WHERE day = DATE '2024-01-02' AND id > 100 ORDER BY id`,
      `SELECT count(*)::VARCHAR FROM t WHERE region IS NULL`,
      `SELECT count(*)::VARCHAR FROM t WHERE region = 'a b/c=d%' OR name >= 'name-4'`,
      // NaN rows are left out on purpose: DuckDB's read_parquet skips row groups whose footer max
      // (NaN excluded, as Parquet writers do) is below the bound, so `f > 100` misses NaNs there
      `SELECT id::VARCHAR, f::VARCHAR FROM t WHERE f > 100 AND NOT isnan(f) ORDER BY id`,
      `SELECT id::VARCHAR, amount::VARCHAR FROM t ORDER BY amount DESC, id LIMIT 7`,
    ];
    const want = deltalake(queries.map((sql) => ({ table: 'events', sql })));
    for (const [i, q] of queries.entries()) {
      const got = await skein(q.replace(/\bFROM t\b/, 'FROM delta.events'));
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(want[i]);
    }
  });

  it('prunes files by Delta partition values, stats and null partitions', async () => {
    const plan = async (q: string): Promise<string> => {
      const rows: string[] = [];
      for await (const batch of await client.query(`EXPLAIN ${q}`)) {
        for (const row of batch) rows.push(`${String(row.explain_key)}: ${String(row.explain_value)}`);
      }
      return rows.join('\n');
    };
    expect(await plan(`SELECT count(*) FROM delta.events WHERE day = DATE '2024-01-03'`)).toMatch(/files: 2 of \d+ kept/);
    expect(await plan('SELECT count(*) FROM delta.events WHERE id BETWEEN 150 AND 155')).toMatch(/files: 1 of \d+ kept/);
    expect(await plan('SELECT count(*) FROM delta.events WHERE region IS NULL')).toMatch(/files: 2 of \d+ kept/);
  });

  it('travels to older versions with AT (VERSION => n) and AT (TIMESTAMP => …)', async () => {
    const q = `SELECT region, count(*)::VARCHAR, sum(id)::VARCHAR, max(amount)::VARCHAR FROM t GROUP BY ALL ORDER BY ALL`;
    const versions = [0, 1, 2, 3, 4, 5];
    const want = deltalake(versions.map((version) => ({ table: 'events', version, sql: q })));
    for (const v of versions) {
      expect(await skein(q.replace(/\bFROM t\b/, `FROM delta.events AT (VERSION => ${v})`))).toEqual(want[v]);
    }
    const [at2] = deltalake([{ table: 'events', timestamp: commitTime(2, 30), sql: q }]);
    expect(at2).toEqual(want[2]);
    expect(await skein(q.replace(/\bFROM t\b/, `FROM delta.events AT (TIMESTAMP => TIMESTAMP '${commitTime(2, 30)}')`))).toEqual(want[2]);
    // before the added column existed, the table had no score
    await expect(skein('SELECT score FROM delta.events AT (VERSION => 3)')).rejects.toThrow(/score/);
    await expect(skein('SELECT count(*) FROM delta.events AT (VERSION => 99)')).rejects.toThrow(/Delta table delta\.events has no version 99/);
  });

  it('reads multi-part checkpoints, column mapping and deletion vectors', async () => {
    const cases: Spec[] = [
      { table: 'multipart', sql: `SELECT day::VARCHAR, count(*)::VARCHAR, sum(id)::VARCHAR FROM t GROUP BY ALL ORDER BY ALL` },
      { table: 'mapped', sql: `SELECT grp, k::VARCHAR, label FROM t ORDER BY k` },
      { table: 'mapped', sql: `SELECT count(*)::VARCHAR FROM t WHERE grp = 'y' AND k > 3` },
      { table: 'dv', sql: `SELECT g::VARCHAR, count(*)::VARCHAR, sum(id)::VARCHAR, min(v), max(id)::VARCHAR FROM t GROUP BY ALL ORDER BY ALL` },
      { table: 'dv', sql: `SELECT id::VARCHAR FROM t WHERE id BETWEEN 95 AND 105 OR id > 19990 ORDER BY id` },
    ];
    const want = deltalake(cases);
    for (const [i, c] of cases.entries()) {
      expect(await skein(c.sql.replace(/\bFROM t\b/, `FROM delta.${c.table}`))).toEqual(want[i]);
    }
  });

  it('joins a Delta, an Iceberg and a plain Parquet table in one statement', async () => {
    const deltaRows = join(dir, 'delta-events.parquet');
    runPython(SCRIPT, ['export', dir, 'events', deltaRows]);
    const snaps = iceberg.tables.events.snapshots;
    const q = (d: string, i: string, r: string): string =>
      `SELECT r.zone, count(*)::VARCHAR, sum(d.amount)::VARCHAR, count(i.id)::VARCHAR, min(i.name)
       FROM ${d} d JOIN ${r} r ON d.region = r.region LEFT JOIN ${i} i ON i.id = d.id
       GROUP BY ALL ORDER BY ALL`;
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    try {
      const file = (p: string): string => `read_parquet(${quoteLiteral(p)})`;
      const want = (await conn.runAndReadAll(q(file(deltaRows), file(snaps[snaps.length - 1].expected), file(manifest.regions)))).getRowsJS();
      const got = await skein(q('delta.events', 'ice.events', 'plain.regions'));
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(want.map((row) => row.map((v) => (v === null ? null : String(v)))));
    } finally {
      conn.closeSync();
      duck.closeSync();
    }
  });

  it('fails with the table and the cause on a vanished file, a corrupt commit, an unknown feature', async () => {
    await expect(skein('SELECT count(*) FROM delta.vanished')).rejects.toThrow(/Delta table delta\.vanished: data file .* is missing/);
    await expect(skein('SELECT count(*) FROM delta.corrupt')).rejects.toThrow(/Delta table delta\.corrupt: commit 00000000000000000001\.json line \d+ is not valid JSON/);
    await expect(skein('SELECT count(*) FROM delta.feature')).rejects.toThrow(/Delta table delta\.feature uses reader feature futureMagic/);
    expect(await skein('SELECT count(*)::VARCHAR FROM delta.corrupt AT (VERSION => 0)')).toEqual([['4']]);
  });
});
