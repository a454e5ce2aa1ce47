// Manifest skipping: partition summaries as column bounds (checked against DuckDB's own date
// arithmetic), narrowing a table to the manifests a filter may match (deletes still applied, the
// rows equal pyiceberg's), and manifests read once per path across snapshots.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ColumnStats, TableInfo } from '../../../../src/catalog/catalog';
import { openIceberg } from '../../../../src/catalog/iceberg/reader';
import { manifestBounds } from '../../../../src/catalog/iceberg/summaries';
import { PartitionSpec } from '../../../../src/catalog/iceberg/metadata';
import { Column } from '../../../../src/catalog/iceberg/schema';
import { TableFormatContext } from '../../../../src/catalog/table-formats';
import { quoteLiteral } from '../../../../src/duckdb/sql';
import { ObjectStore } from '../../../../src/store/object-store';
import { openStores, Stores } from '../../../../src/store/stores';
import { runPython } from '../../../services/services';

interface Fixture {
  tables: Record<'monthly' | 'yearly', { location: string; snapshots: { id: string; expected: string }[] }>;
}

let warehouse: string;
let fx: Fixture;
let duck: DuckDBInstance;
let conn: DuckDBConnection;
let stores: Stores;

beforeAll(async () => {
  warehouse = mkdtempSync(join(tmpdir(), 'skein-manifests-'));
  fx = JSON.parse(runPython(join(__dirname, '../../../e2e/ts/fixtures/iceberg_manifests.py'), [warehouse], { PYTHONWARNINGS: 'ignore' })) as Fixture;
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  stores = openStores();
}, 120_000);

afterAll(async () => {
  conn?.closeSync();
  duck?.closeSync();
  await stores?.close();
  if (warehouse) rmSync(warehouse, { recursive: true, force: true });
});

async function rows(sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const spec = (transform: string, sourceId = 1): PartitionSpec => ({ 'spec-id': 0, fields: [{ 'source-id': sourceId, 'field-id': 1000, transform, name: 'p' }] });
const col = (iceberg: string, id = 1): Column => ({ id, name: 'c', type: iceberg.toUpperCase(), iceberg });
const summary = (lo: Buffer | null, hi: Buffer | null, containsNull: boolean | null = false) => [{ containsNull, lower: lo, upper: hi }];

/** Counts reads of Avro files (manifest lists and manifests) through the context's stores. */
function countingContext(): { ctx: TableFormatContext; avroReads: string[] } {
  const avroReads: string[] = [];
  const ctx: TableFormatContext = {
    store: (uri) => {
      const s = stores.forUri(uri);
      return new Proxy(s, {
        get(target, prop, receiver) {
          if (prop !== 'get') return Reflect.get(target, prop, receiver) as unknown;
          return (u: string, ...rest: unknown[]) => {
            if (u.endsWith('.avro')) avroReads.push(u);
            return (target.get as (...a: unknown[]) => Promise<Buffer>).call(target, u, ...rest);
          };
        },
      }) as ObjectStore;
    },
  };
  return { ctx, avroReads };
}

const source = (t: 'monthly' | 'yearly') => ({ schema: 'db', name: t, location: fx.tables[t].location });

describe('manifest partition summaries as column bounds', () => {
  it('bound a timestamp or date column by month, year, day and hour as DuckDB computes them', async () => {
    const cases: { transform: string; type: string; unit: string; n: number[] }[] = [
      { transform: 'month', type: 'timestamp', unit: 'MONTH', n: [-13, -1, 0, 1, 649, 650, 651, 8000] },
      { transform: 'month', type: 'date', unit: 'MONTH', n: [-13, 0, 649, 650, 673] },
      { transform: 'year', type: 'timestamp', unit: 'YEAR', n: [-3, 0, 54, 55] },
      { transform: 'year', type: 'date', unit: 'YEAR', n: [-1, 30, 54] },
      { transform: 'day', type: 'timestamp', unit: 'DAY', n: [-1, 0, 19782, 19783] },
      { transform: 'day', type: 'date', unit: 'DAY', n: [-400, 19782] },
      { transform: 'hour', type: 'timestamp', unit: 'HOUR', n: [-5, 0, 474792, 474793] },
    ];
    for (const c of cases) {
      for (const lo of c.n) {
        const hi = lo + 1;
        const b = manifestBounds(spec(c.transform), summary(int32(lo), int32(hi)), [col(c.type)]).c;
        const step = c.type === 'date' ? 'INTERVAL 1 DAY' : 'INTERVAL 1 MICROSECOND';
        const cast = c.type === 'date' ? 'DATE' : 'TIMESTAMP';
        const [[min, max]] = await rows(
          `SELECT CAST(CAST(TIMESTAMP '1970-01-01' + INTERVAL (${lo}) ${c.unit} AS ${cast}) AS VARCHAR),
                  CAST(CAST(TIMESTAMP '1970-01-01' + INTERVAL (${hi + 1}) ${c.unit} - ${step} AS ${cast}) AS VARCHAR)`,
        );
        expect({ ...c, lo, got: b }).toEqual({ ...c, lo, got: { min, max, nullCount: 0 } });
      }
    }
  });

  it('bound an identity column by its values; bucket, truncate, void and zoned timestamps stay unknown', () => {
    const s = (v: string) => Buffer.from(v, 'utf8');
    expect(manifestBounds(spec('identity'), summary(s('eu'), s('us')), [col('string')])).toEqual({ c: { min: 'eu', max: 'us', nullCount: 0 } });
    // an int partition value of a column promoted to long
    expect(manifestBounds(spec('identity'), summary(int32(-4), int32(9), true), [col('long')])).toEqual({ c: { min: '-4', max: '9', nullCount: null } });
    for (const t of ['bucket[4]', 'truncate[3]', 'void']) expect(manifestBounds(spec(t), summary(int32(1), int32(2)), [col('long')])).toEqual({});
    expect(manifestBounds(spec('day'), summary(int32(1), int32(2), null), [col('timestamptz')])).toEqual({});
    expect(manifestBounds(spec('identity'), summary(null, null, null), [col('double')])).toEqual({});
    // a dropped source column, a summary list that does not fit the spec
    expect(manifestBounds(spec('identity', 7), summary(int32(1), int32(2)), [col('int')])).toEqual({});
    expect(manifestBounds(spec('identity'), [], [col('int')])).toEqual({});
    // only NULLs: no range, and NULLs possible
    expect(manifestBounds(spec('month'), summary(null, null, true), [col('timestamp')])).toEqual({});
  });
});

describe('narrowing an Iceberg table to the manifests a filter may match', () => {
  const inMarch = (c: Readonly<Record<string, ColumnStats>>): boolean => {
    const ts = c.ts;
    return !ts || ts.min === null || ts.max === null || (ts.max >= '2024-03-10' && ts.min <= '2024-03-20');
  };

  it('reads only the matching data manifests, all delete manifests, and applies the deletes', async () => {
    const { ctx, avroReads } = countingContext();
    const full = await openIceberg(source('monthly'), undefined, ctx);
    expect(full.narrow).toBeDefined();
    const n = await full.narrow!(inMarch);
    expect([n.manifestsTotal, n.manifestsRead, n.manifestsFetched]).toEqual([6, 1, 0]); // all cached by the full open
    expect(n.table.files.length).toBe(1);
    expect(full.files.map((f) => f.path)).toContain(n.table.files[0].path);
    expect(n.table.version).not.toBe(full.version);
    const last = fx.tables.monthly.snapshots[fx.tables.monthly.snapshots.length - 1];
    const where = `ts BETWEEN TIMESTAMP '2024-03-10' AND TIMESTAMP '2024-03-20'`;
    const mine = await rows(`SELECT id FROM ${n.table.scan!.sql(n.table.files.map((f) => f.path))} WHERE ${where} ORDER BY id`);
    const theirs = await rows(`SELECT id FROM read_parquet(${quoteLiteral(last.expected)}) WHERE ${where} ORDER BY id`);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(theirs);
    expect(n.table.scan!.extraFiles!(n.table.files.map((f) => f.path)).map((p) => p.replace(/.*\//, ''))).toEqual(['pos-delete-march.parquet']);
    // everything matches: the table itself, under its own version
    const all = await full.narrow!(() => true);
    expect([all.manifestsRead, all.table.version, all.table.files.length]).toEqual([6, full.version, full.files.length]);
    expect(new Set(avroReads).size).toBe(avroReads.length); // nothing read twice
  });

  it('reads each manifest once across snapshots (a new snapshot reads only its new manifests)', async () => {
    const { ctx, avroReads } = countingContext();
    const snaps = fx.tables.monthly.snapshots;
    await openIceberg(source('monthly'), { unit: 'VERSION', value: snaps[snaps.length - 3].id }, ctx);
    const before = avroReads.length;
    expect(before).toBe(1 + 5); // the manifest list and the manifests of five months
    const t = (await openIceberg(source('monthly'), { unit: 'VERSION', value: snaps[snaps.length - 2].id }, ctx)) as TableInfo;
    expect(avroReads.length - before).toBe(2); // its manifest list and the one new manifest
    const [[missing]] = await rows(
      `SELECT count(*) FROM (SELECT * FROM read_parquet(${quoteLiteral(snaps[snaps.length - 2].expected)}) EXCEPT ALL SELECT * FROM ${t.scan!.sql(t.files.map((f) => f.path))})`,
    );
    expect(Number(missing)).toBe(0);
  });

  it('keeps manifests whose summaries say nothing about the filtered column', async () => {
    const { ctx } = countingContext();
    const yearly = await openIceberg(source('yearly'), undefined, ctx);
    const n = await yearly.narrow!((c) => !c.amount); // only a bound on amount could exclude: none exists
    expect([n.manifestsTotal, n.manifestsRead]).toEqual([4, 4]);
    const y2022 = await yearly.narrow!((c) => c.d!.max! >= '2022-01-01');
    expect([y2022.manifestsRead, y2022.table.files.length]).toEqual([2, 4]);
  });
});
