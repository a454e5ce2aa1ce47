// Iceberg tables written by pyiceberg, served by an in-process Skein with 2 executors: every query
// result equals DuckDB's answer over the rows pyiceberg reads (at the current snapshot and, with
// AT (VERSION/TIMESTAMP => …), at older ones); filters prune files; broken tables fail clearly.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RunningServer } from '../../../src/cli/serve';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { IcebergFixture, writeIcebergTables } from './fixtures/iceberg-fixture';
import { closeAll, rawFlight, startLakeServer } from './lake-helpers';
import { outcome, RawFlight } from './raw-flight';

const USER = { user: 'ice', password: 'pw-ice' };

let fx: IcebergFixture;
let server: RunningServer;
let flight: RawFlight;
let duck: DuckDBInstance;
let conn: DuckDBConnection;

const snaps = (t: keyof IcebergFixture['tables']) => fx.tables[t].snapshots;
const last = (t: keyof IcebergFixture['tables']) => snaps(t)[snaps(t).length - 1];

/** Rows as sorted JSON text of DuckDB's VARCHAR rendering, so both sides render values alike. */
function textRows(t: A.Table): string[] {
  return t
    .toArray()
    .map((r: Record<string, unknown>) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v)))))
    .sort();
}

async function viaSkein(sql: string): Promise<{ names: string[]; rows: string[] }> {
  const t = await flight.query(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${sql})`);
  return { names: t.schema.fields.map((f) => f.name), rows: textRows(t) };
}

async function viaDuckDB(sql: string): Promise<{ names: string[]; rows: string[] }> {
  const r = await conn.runAndReadAll(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${sql})`);
  const rows = (r.getRowsJS() as unknown[][]).map((row) => JSON.stringify(row.map((v) => (v === null ? null : String(v))))).sort();
  return { names: r.columnNames(), rows };
}

const expected = (path: string, alias: string): string => `read_parquet(${quoteLiteral(path)}) ${alias}`;

/** `q` with {t} as the Skein table reference and as pyiceberg's rows of that snapshot. */
async function expectSame(q: string, skeinRef: string, expectedPath: string, alias = 't'): Promise<number> {
  const mine = await viaSkein(q.replaceAll('{t}', `${skeinRef.replace('{a}', alias)}`));
  const theirs = await viaDuckDB(q.replaceAll('{t}', expected(expectedPath, alias)));
  expect(mine.names).toEqual(theirs.names);
  expect(mine.rows).toEqual(theirs.rows);
  return theirs.rows.length;
}

const at = (table: string, id: string): string => `db.${table} {a} AT (VERSION => ${id})`;

/** A copy of a table's metadata JSON pointing at its own manifest lists (which still name the original manifests). */
function copyTable(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
  const a = Buffer.from(`/${from.split('/').pop()}/`);
  const b = Buffer.from(`/${to.split('/').pop()}/`);
  for (const f of readdirSync(join(to, 'metadata'))) {
    const p = join(to, 'metadata', f);
    const bytes = readFileSync(p);
    const parts: Buffer[] = [];
    let i = 0;
    for (let j = bytes.indexOf(a); j >= 0; j = bytes.indexOf(a, i)) {
      parts.push(bytes.subarray(i, j), b);
      i = j + a.length;
    }
    parts.push(bytes.subarray(i));
    writeFileSync(p, Buffer.concat(parts));
  }
}

beforeAll(async () => {
  fx = writeIcebergTables();
  const db = join(fx.warehouse, 'db');
  // broken tables: truncated manifest lists, a metadata file that is gone, an unsupported format version
  copyTable(join(db, 'events'), join(db, 'evcopy'));
  const lists = readdirSync(join(db, 'evcopy', 'metadata')).filter((f) => f.startsWith('snap-'));
  for (const m of lists) truncateSync(join(db, 'evcopy', 'metadata', m), 300);
  const v3 = join(fx.warehouse, 'v3', 'metadata');
  mkdirSync(v3, { recursive: true });
  const meta = JSON.parse(readFileSync(fx.tables.legacy.metadata, 'utf8').replace(/"format-version":\s*1/, '"format-version": 3')) as unknown;
  writeFileSync(join(v3, '00001-x.metadata.json'), JSON.stringify(meta));
  // a plain directory table next to them
  const plain = join(fx.warehouse, 'lake', 'main', 'plain');
  mkdirSync(plain, { recursive: true });
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  await conn.run(`COPY (SELECT range AS k FROM range(5)) TO ${quoteLiteral(join(plain, 'p.parquet'))} (FORMAT parquet)`);
  const catalogFile = join(fx.warehouse, 'catalog.json');
  writeFileSync(
    catalogFile,
    JSON.stringify({
      tables: [
        ...(['events', 'evolve', 'legacy'] as const).map((t) => ({ schema: 'db', name: t, format: 'iceberg', location: fx.tables[t].location })),
        { schema: 'bad', name: 'corrupt', format: 'iceberg', location: join(db, 'evcopy') },
        { schema: 'bad', name: 'vanished', format: 'iceberg', location: join(db, 'legacy'), metadata: join(db, 'legacy', 'metadata', 'gone.metadata.json') },
        { schema: 'bad', name: 'v3', format: 'iceberg', location: join(fx.warehouse, 'v3') },
      ],
    }),
  );
  server = await startLakeServer(USER, {
    catalog: { root: join(fx.warehouse, 'lake'), file: catalogFile, refreshSeconds: 600 },
    executors: { count: 2 },
  });
  flight = await rawFlight(server, USER, 60_000);
}, 180_000);

afterAll(async () => {
  await closeAll(flight, server, conn, duck);
  if (fx) rmSync(fx.warehouse, { recursive: true, force: true });
});

describe('Iceberg tables through Skein', () => {
  it('reads the current snapshot of each table as pyiceberg does', async () => {
    for (const t of ['events', 'evolve', 'legacy'] as const) {
      const n = await expectSame('SELECT * FROM {t}', `db.${t} {a}`, last(t).expected);
      expect(n).toBeGreaterThan(0);
    }
  });

  it('reads every snapshot with AT (VERSION => id), deletes and schema evolution included', async () => {
    for (const t of ['events', 'evolve', 'legacy'] as const) {
      for (const s of snaps(t)) await expectSame('SELECT * FROM {t}', at(t, s.id), s.expected);
    }
  });

  it('answers filters, aggregates and top-N as DuckDB does over the same rows', async () => {
    const queries = [
      "SELECT name, count(*), sum(amount), min(ts), max(d) FROM {t} WHERE ts >= TIMESTAMP '2024-03-03 00:00:00' GROUP BY name",
      'SELECT id, name, amount FROM {t} WHERE id BETWEEN 100 AND 150 AND flag',
      'SELECT id, ts FROM {t} ORDER BY ts DESC, id LIMIT 7',
      "SELECT count(*) FROM {t} WHERE name = 'n7' OR name IS NULL",
      "SELECT d, count(*) FROM {t} WHERE d < DATE '2024-01-10' GROUP BY d",
    ];
    for (const s of [snaps('events')[2], snaps('events')[4], last('events')]) {
      for (const q of queries) await expectSame(q, at('events', s.id), s.expected);
    }
    await expectSame("SELECT cat, count(*), sum(qty), max(label) FROM {t} WHERE ts >= TIMESTAMP '2024-01-01' GROUP BY cat", 'db.evolve {a}', last('evolve').expected);
    await expectSame("SELECT k, v FROM {t} WHERE cat = 'x' AND d = DATE '2022-05-02'", 'db.legacy {a}', last('legacy').expected);
  });

  it('reads one table at two versions in one query', async () => {
    const [first, cur] = [snaps('events')[1], last('events')];
    const r = await flight.query(
      `SELECT (SELECT count(*) FROM db.events AT (VERSION => ${first.id})) AS old, (SELECT count(*) FROM db.events) AS now,
              (SELECT count(*) FROM db.events a AT (VERSION => ${first.id}) JOIN db.events b ON a.id = b.id) AS kept`,
    );
    const row = r.toArray()[0] as { old: bigint; now: bigint; kept: bigint };
    const count = async (sql: string): Promise<bigint> => (await conn.runAndReadAll(sql)).getRowsJS()[0][0] as bigint;
    expect(row.old).toBe(await count(`SELECT count(*) FROM ${expected(first.expected, 'x')}`));
    expect(row.now).toBe(await count(`SELECT count(*) FROM ${expected(cur.expected, 'x')}`));
    expect(row.kept).toBe(await count(`SELECT count(*) FROM ${expected(first.expected, 'a')} JOIN ${expected(cur.expected, 'b')} ON a.id = b.id`));
  });

  it('reads the snapshot current at AT (TIMESTAMP => …)', async () => {
    const s = snaps('evolve')[2];
    const ts = new Date(s.timestamp_ms).toISOString().replace('T', ' ').replace('Z', '');
    await expectSame('SELECT * FROM {t}', `db.evolve {a} AT (TIMESTAMP => TIMESTAMP '${ts}')`, s.expected);
    const before = await outcome(flight.query("SELECT * FROM db.evolve AT (TIMESTAMP => TIMESTAMP '2001-01-01')"));
    expect(before.code).toBe(grpc.status.NOT_FOUND);
    expect(before.details).toMatch(/db\.evolve/);
  });

  it('prunes files by partition values and column bounds (EXPLAIN)', async () => {
    const plan = await flight.query("EXPLAIN SELECT count(*) FROM db.events WHERE ts < TIMESTAMP '2024-03-03 00:00:00'");
    const stage = (plan.toArray() as { explain_key: string; explain_value: string }[]).find((r) => r.explain_key === 'stage s0')!.explain_value;
    const m = /files: (\d+) of (\d+) kept/.exec(stage)!;
    expect(Number(m[1])).toBeGreaterThan(0);
    expect(Number(m[1])).toBeLessThan(Number(m[2]));
    expect(stage).toMatch(/pruned: .*ts/);
    const legacy = await flight.query("EXPLAIN SELECT * FROM db.legacy WHERE cat = 'z'");
    const text = (legacy.toArray() as { explain_key: string; explain_value: string }[]).find((r) => r.explain_key === 'stage s0')!.explain_value;
    expect(text).toMatch(/pruned: .*cat/);
  });

  it('shows the real columns in the coordinator views', async () => {
    const r = await flight.query('DESCRIBE db.evolve');
    expect((r.toArray() as { column_name: string }[]).map((x) => x.column_name)).toEqual(['id', 'label', 'qty', 'cat', 'ts', 'note']);
  });

  it('refuses AT on a directory table, and broken tables with the table and the cause', async () => {
    const plain = await outcome(flight.query('SELECT * FROM main.plain AT (VERSION => 1)'));
    expect(plain.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(plain.details).toMatch(/main\.plain/);
    const corrupt = await outcome(flight.query('SELECT count(*) FROM bad.corrupt'));
    expect(corrupt.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(corrupt.details).toMatch(/bad\.corrupt.*manifest .*corrupt/);
    const vanished = await outcome(flight.query('SELECT count(*) FROM bad.vanished'));
    expect(vanished.code).toBe(grpc.status.NOT_FOUND);
    expect(vanished.details).toMatch(/bad\.vanished.*gone\.metadata\.json/);
    const v3 = await outcome(flight.query('SELECT count(*) FROM bad.v3'));
    expect(v3.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(v3.details).toMatch(/bad\.v3.*format version 3/);
  });
});
