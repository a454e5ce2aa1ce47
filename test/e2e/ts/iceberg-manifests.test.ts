// Iceberg manifest skipping through Skein: tables of one manifest per month / year (pyiceberg),
// filters on the partition source column read only the manifests whose partition summaries may
// match (EXPLAIN says how many), filters on other columns read them all, AT and deletes still
// apply, and every answer equals DuckDB's over the rows pyiceberg reads.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RunningServer, startServer } from '../../../src/cli/serve';
import { loadConfig } from '../../../src/config';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { runPython } from '../../services/services';
import { RawFlight } from './raw-flight';

const USER = { user: 'mf', password: 'pw-mf' };

interface Fixture {
  tables: Record<'monthly' | 'yearly', { location: string; snapshots: { id: string; expected: string }[] }>;
}

let warehouse: string;
let fx: Fixture;
let server: RunningServer;
let flight: RawFlight;
let duck: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  warehouse = mkdtempSync(join(tmpdir(), 'skein-ice-manifests-'));
  fx = JSON.parse(runPython(join(__dirname, 'fixtures', 'iceberg_manifests.py'), [warehouse], { PYTHONWARNINGS: 'ignore' })) as Fixture;
  const catalogFile = join(warehouse, 'catalog.json');
  const tables = (['monthly', 'yearly'] as const).map((t) => ({ schema: 'db', name: t, format: 'iceberg', location: fx.tables[t].location }));
  writeFileSync(catalogFile, JSON.stringify({ tables }));
  mkdirSync(join(warehouse, 'lake'));
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  server = await startServer(
    loadConfig({
      env: {},
      overrides: {
        port: 0,
        users: [{ username: USER.user, password: USER.password }],
        catalog: { root: join(warehouse, 'lake'), file: catalogFile, refreshSeconds: 600 },
        executors: { count: 2 },
      },
    }),
  );
  flight = new RawFlight(server.port, USER.user, USER.password, 60_000);
  await flight.authenticate();
}, 180_000);

afterAll(async () => {
  flight?.close();
  await server?.close();
  conn?.closeSync();
  duck?.closeSync();
  if (warehouse) rmSync(warehouse, { recursive: true, force: true });
});

const last = (t: 'monthly' | 'yearly') => fx.tables[t].snapshots[fx.tables[t].snapshots.length - 1];

function textRows(t: A.Table): string[] {
  return t
    .toArray()
    .map((r: Record<string, unknown>) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v)))))
    .sort();
}

/** `q` over {t} answered by Skein (from `ref`) and by DuckDB over pyiceberg's rows equal; returns the row count. */
async function expectSame(q: string, ref: string, expectedPath: string): Promise<number> {
  const mine = textRows(await flight.query(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${q.replaceAll('{t}', ref)})`));
  const r = await conn.runAndReadAll(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${q.replaceAll('{t}', `read_parquet(${quoteLiteral(expectedPath)}) t`)})`);
  const theirs = (r.getRowsJS() as unknown[][]).map((row) => JSON.stringify(row.map((v) => (v === null ? null : String(v))))).sort();
  expect(mine).toEqual(theirs);
  return theirs.length;
}

/** The EXPLAIN text of `q` with {t} as `ref`. */
async function explain(q: string, ref: string): Promise<string> {
  const plan = await flight.query(`EXPLAIN ${q.replaceAll('{t}', ref)}`);
  return (plan.toArray() as { explain_key: string; explain_value: string }[]).map((r) => `${r.explain_key}: ${r.explain_value}`).join('\n');
}

describe('Iceberg manifest skipping', () => {
  it('reads only the manifest of the month a filter on the partition column names, deletes applied', async () => {
    const q = "SELECT id, ts, region, amount FROM {t} WHERE ts >= TIMESTAMP '2024-03-05' AND ts < TIMESTAMP '2024-03-25'";
    expect(await explain(q, 'db.monthly t')).toMatch(/manifests: 1 of 6 read \(partition summaries exclude 5\)/);
    expect(await expectSame(q, 'db.monthly t', last('monthly').expected)).toBeGreaterThan(0);
    // the March file lost every fourth row to a position delete: counts equal pyiceberg's rows
    const count = "SELECT count(*), sum(amount) FROM {t} WHERE ts BETWEEN TIMESTAMP '2024-03-01' AND TIMESTAMP '2024-03-31 23:59:59.999999'";
    expect(await explain(count, 'db.monthly t')).toMatch(/manifests: 1 of 6 read/);
    await expectSame(count, 'db.monthly t', last('monthly').expected);
    // the last microsecond of a month is inside its manifest's bounds
    const edge = "SELECT id FROM {t} WHERE ts = TIMESTAMP '2024-02-29 23:59:59.999999'";
    expect(await explain(edge, 'db.monthly t')).toMatch(/manifests: 1 of 6 read/);
    expect(await expectSame(edge, 'db.monthly t', last('monthly').expected)).toBe(1);
  });

  it('reads every manifest for a filter on a column the partitions do not bound', async () => {
    const q = 'SELECT region, count(*), sum(amount) FROM {t} WHERE amount < 20 GROUP BY region';
    const text = await explain(q, 'db.monthly t');
    expect(text).not.toMatch(/manifests:/);
    expect(text).toMatch(/files: 6 of 6 kept/);
    await expectSame(q, 'db.monthly t', last('monthly').expected);
  });

  it('skips manifests at an older snapshot (AT VERSION)', async () => {
    const s = fx.tables.monthly.snapshots[3]; // four months appended
    const ref = `db.monthly t AT (VERSION => ${s.id})`;
    const q = "SELECT * FROM {t} WHERE ts < TIMESTAMP '2024-02-01'";
    expect(await explain(q, ref)).toMatch(/manifests: 1 of 4 read \(partition summaries exclude 3\)/);
    expect(await expectSame(q, ref, s.expected)).toBeGreaterThan(0);
    await expectSame('SELECT count(*) FROM {t}', ref, s.expected);
  });

  it('answers a filter no manifest matches with nothing', async () => {
    const q = "SELECT count(*), max(id) FROM {t} WHERE ts > TIMESTAMP '2030-01-01'";
    expect(await explain(q, 'db.monthly t')).toMatch(/manifests: 0 of 6 read \(partition summaries exclude 6\)/);
    await expectSame(q, 'db.monthly t', last('monthly').expected);
  });

  it('bounds a date column by year partitions and an identity column by its values', async () => {
    const q = "SELECT region, count(*), min(d), max(d) FROM {t} WHERE d >= DATE '2022-01-01' GROUP BY region";
    expect(await explain(q, 'db.yearly t')).toMatch(/manifests: 2 of 4 read \(partition summaries exclude 2\)/);
    await expectSame(q, 'db.yearly t', last('yearly').expected);
    const dec31 = "SELECT id, d FROM {t} WHERE d = DATE '2021-12-31'";
    expect(await explain(dec31, 'db.yearly t')).toMatch(/manifests: 1 of 4 read/);
    expect(await expectSame(dec31, 'db.yearly t', last('yearly').expected)).toBe(2);
    // every manifest holds both regions: none skipped, files pruned by their partition values
    const eu = "SELECT count(*) FROM {t} WHERE region = 'eu' OR region = 'x'";
    const text = await explain(eu, 'db.yearly t');
    expect(text).not.toMatch(/manifests:/);
    expect(text).toMatch(/files: 4 of 8 kept/);
    await expectSame(eu, 'db.yearly t', last('yearly').expected);
    const none = "SELECT count(*) FROM {t} WHERE region > 'zz'";
    expect(await explain(none, 'db.yearly t')).toMatch(/manifests: 0 of 4 read/);
    await expectSame(none, 'db.yearly t', last('yearly').expected);
  });
});
