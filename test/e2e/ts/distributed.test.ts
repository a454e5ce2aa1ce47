// Differential tests of the distributed planner: two in-process servers on the same lake, one
// single-node (DuckDB over the catalog's views) and one with 2 executors, must give identical
// answers — schema, values and (under ORDER BY) order — for every query shape the planner handles:
// pruning operators, projection, partial aggregation, top-N, joins, subqueries, set operations,
// windows and parameters. EXPLAIN / EXPLAIN ANALYZE are checked for the plan shape they report.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { RunningServer } from '../../../src/cli/serve';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { decodeFlightData, encodeFlightData, recordBatchParts } from '../../../src/flight/ipc';
import { codecs, sql as proto } from '../../../src/flight/proto';
import { explainRows, rawFlight, startLakeServer } from './lake-helpers';
import { command, RawFlight } from './raw-flight';
import { LAKE_QUERIES, LakeQuery } from './distributed-queries';

const USER = { user: 'planner', password: 'pw-planner' };

let dir: string;
let single: RunningServer;
let dist: RunningServer;
let one: RawFlight;
let two: RawFlight;

/**
 * The fact table: 2,400 rows over year × month × region partitions (region has a NULL partition,
 * a value with a space and one with a non-ASCII letter), 4 row groups per file; `day`, `ts` and
 * `id` follow the partitions so min/max statistics can prune. Every column has NULLs; `opt` is NULL
 * in all of 2019; `score` holds NaN and ±inf; `name` holds '' and non-ASCII text.
 */
const FACTS = `
  SELECT
    CASE WHEN i % 97 = 5 THEN NULL ELSE i END::INTEGER AS id,
    CASE WHEN i % 89 = 4 THEN NULL ELSE (i::BIGINT * 2654435761) % 100000000000 - 50000000000 END::BIGINT AS big,
    CASE WHEN i % 53 = 2 THEN NULL ELSE ((i * 37) % 100000 - 20000) / 100 END::DECIMAL(15,2) AS amount,
    CASE WHEN i % 61 = 6 THEN NULL WHEN i = 1207 THEN 'NaN'::DOUBLE WHEN i = 1301 THEN 'inf'::DOUBLE
         WHEN i = 1402 THEN '-inf'::DOUBLE ELSE (i % 400) * 0.25 - 20 END::DOUBLE AS score,
    CASE WHEN i % 71 = 1 THEN NULL WHEN i % 7 = 0 THEN '' WHEN i % 11 = 0 THEN 'ünï-' || i
         WHEN i % 13 = 0 THEN '日本' || i ELSE 'n' || lpad(i::VARCHAR, 4, '0') END AS name,
    CASE WHEN i % 67 = 3 THEN NULL ELSE make_date(2019 + i // 800, 1 + (i // 200) % 4, 1 + i % 28) END AS day,
    CASE WHEN i % 59 = 1 THEN NULL
         ELSE make_date(2019 + i // 800, 1 + (i // 200) % 4, 1 + i % 28)::TIMESTAMP
              + to_seconds(i * 37 % 86400) + to_milliseconds(i % 1000) END AS ts,
    CASE WHEN i % 43 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
    CASE WHEN i < 800 THEN NULL ELSE i % 10 END::INTEGER AS opt,
    2019 + i // 800 AS year,
    1 + (i // 200) % 4 AS month,
    ['north', 'south', 'ost é', 'we st', NULL][i % 5 + 1] AS region
  FROM range(2400) t(i)`;

/** other.numbers, one row per file: values where DuckDB's casts between number types round. */
const NUMBERS: Record<string, string> = {
  a: `1 AS n, 0.100000000000000001::DECIMAL(20,18) AS d, 9007199254740993::BIGINT AS b, 0.1::FLOAT AS f, 0.1::DOUBLE + 0.2::DOUBLE AS x`,
  b: `2 AS n, 0.3::DECIMAL(20,18) AS d, 5::BIGINT AS b, 2.5::FLOAT AS f, 2.5::DOUBLE AS x`,
  c: `3 AS n, -1::DECIMAL(20,18) AS d, -7::BIGINT AS b, -0.1::FLOAT AS f, 0.1::DOUBLE AS x`,
};

const REGIONS = `
  SELECT * FROM (VALUES ('north', 'North', 1), ('south', 'South', 2), ('ost é', 'Ost', 3), ('east', 'East', 4),
                        (NULL, 'Nowhere', 5)) v(region, label, rank)`;

/** Arrow type, as text, of every field (names and types must match exactly). */
function schemaOf(t: A.Table): string[] {
  return t.schema.fields.map((f) => `${f.name}: ${String(f.type)}`);
}

/**
 * One cell, exactly: fixed-width values from their raw words (decimals, timestamps, dates), floats
 * with NaN and -0 told apart, nested values cell by cell. Data from IPC has offset 0; a slice's
 * `values` already start at its first row.
 */
function cell(data: A.Data, i: number): string {
  if (!data.getValid(i)) return 'NULL';
  const t = data.type as A.DataType;
  if (A.DataType.isFloat(t)) {
    const v = (data.values as Float64Array | Float32Array)[i];
    return Object.is(v, -0) ? '-0' : String(v);
  }
  if ([A.DataType.isDecimal, A.DataType.isTimestamp, A.DataType.isDate, A.DataType.isTime, A.DataType.isInt, A.DataType.isInterval].some((is) => is(t))) {
    const words = data.values as unknown as ArrayLike<number | bigint>;
    const out: string[] = [];
    for (let k = i * data.stride; k < (i + 1) * data.stride; k++) out.push(String(words[k]));
    return out.join(':');
  }
  if (A.DataType.isStruct(t)) return `{${data.children.map((c) => cell(c, i)).join(',')}}`;
  if (A.DataType.isList(t)) {
    const offsets = data.valueOffsets as Int32Array;
    const out: string[] = [];
    for (let k = offsets[i]; k < offsets[i + 1]; k++) out.push(cell(data.children[0], k));
    return `[${out.join(',')}]`;
  }
  const v = A.makeVector(data).get(i) as unknown;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function rowsOfTable(t: A.Table): string[] {
  const out: string[] = [];
  for (const batch of t.batches) {
    for (let r = 0; r < batch.numRows; r++) {
      out.push(batch.data.children.map((c) => cell(c, r)).join(' | '));
    }
  }
  return out;
}

interface Answer {
  schema: string[];
  rows: string[];
}

async function answer(c: RawFlight, query: string): Promise<Answer> {
  const t = await c.query(query);
  return { schema: schemaOf(t), rows: rowsOfTable(t) };
}

async function expectSame(q: LakeQuery): Promise<Answer> {
  const [expected, got] = await Promise.all([answer(one, q.sql), answer(two, q.sql)]);
  expect(got.schema).toEqual(expected.schema);
  if (q.ordered) expect(got.rows).toEqual(expected.rows);
  else expect([...got.rows].sort()).toEqual([...expected.rows].sort());
  if (q.rows !== undefined) expect(expected.rows.length).toBe(q.rows);
  if (q.minRows !== undefined) expect(expected.rows.length).toBeGreaterThanOrEqual(q.minRows);
  return expected;
}

/** EXPLAIN rows (explain_key → explain_value) from the distributed server. */
async function explain(query: string): Promise<Map<string, string>> {
  return explainRows(two, query);
}

/** A prepared statement executed with one row of parameters (bound through DoPut). */
async function preparedAnswer(c: RawFlight, query: string, params: A.Table): Promise<Answer> {
  const handle = await c.prepare(query);
  const descriptor = command('CommandPreparedStatementQuery', proto.CommandPreparedStatementQuery.encode({ prepared_statement_handle: handle }));
  const schema = { header: Buffer.from(A.Message.encode(A.Message.from(params.schema))) };
  const encoded = decodeFlightData(encodeFlightData(recordBatchParts(params.batches[0])));
  await c.doPut(descriptor, [schema, { header: encoded.header!, body: encoded.body ?? Buffer.alloc(0) }]);
  const info = await c.getFlightInfo(descriptor);
  const t = await c.doGet(info.endpoint[0].ticket.ticket);
  return { schema: schemaOf(t), rows: rowsOfTable(t) };
}

async function start(executors: number): Promise<RunningServer> {
  return startLakeServer(USER, { catalog: { root: join(dir, 'lake'), refreshSeconds: 600 }, executors: { count: executors } });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-distributed-'));
  const lake = join(dir, 'lake');
  mkdirSync(join(lake, 'main', 'regions'), { recursive: true });
  mkdirSync(join(lake, 'main', 'events'), { recursive: true });
  mkdirSync(join(lake, 'other', 'single'), { recursive: true });
  mkdirSync(join(lake, 'other', 'numbers'), { recursive: true });
  mkdirSync(join(lake, 'other', 'codes'), { recursive: true });
  mkdirSync(join(lake, 'other', 'evolving'), { recursive: true });
  mkdirSync(join(lake, 'other', 'texts'), { recursive: true });
  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  try {
    await conn.run(
      `COPY (${FACTS}) TO ${quoteLiteral(join(lake, 'main', 'facts'))} (FORMAT parquet, ROW_GROUP_SIZE 10, PARTITION_BY (year, month, region))`,
    );
    await conn.run(`COPY (${REGIONS} WHERE rank <= 3) TO ${quoteLiteral(join(lake, 'main', 'regions', 'a.parquet'))} (FORMAT parquet)`);
    await conn.run(`COPY (${REGIONS} WHERE rank > 3) TO ${quoteLiteral(join(lake, 'main', 'regions', 'b.parquet'))} (FORMAT parquet)`);
    await conn.run(
      `COPY (SELECT i AS k, CASE WHEN i % 4 = 0 THEN NULL ELSE 'v' || i END AS v, (i * 1.25)::DECIMAL(6,2) AS w FROM range(-3, 12) t(i))
       TO ${quoteLiteral(join(lake, 'other', 'single', 'only.parquet'))} (FORMAT parquet)`,
    );
    for (const [file, from] of [['a', 0], ['b', 6000]] as const) {
      await conn.run(
        `COPY (SELECT i AS k, (i % 1000) * 0.5 AS v, 'e' || (i % 37) AS s FROM range(${from}, ${from + 6000}) t(i))
         TO ${quoteLiteral(join(lake, 'main', 'events', `${file}.parquet`))} (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
      );
    }
    // digit strings: '10' < '9' as text, so a file holding both has the text range ['10', '9']
    for (const [file, codes] of [['a', "'10', '9'"], ['b', "'5', '9'"]]) {
      await conn.run(`COPY (SELECT unnest([${codes}]) AS code) TO ${quoteLiteral(join(lake, 'other', 'codes', `${file}.parquet`))} (FORMAT parquet)`);
    }
    // a column added and a column widened between files (read with union_by_name)
    await conn.run(`COPY (SELECT i::INTEGER AS x, 'y' || i AS y FROM range(0, 40) t(i)) TO ${quoteLiteral(join(lake, 'other', 'evolving', 'a.parquet'))} (FORMAT parquet)`);
    await conn.run(`COPY (SELECT i::BIGINT AS x, i * 0.5 AS z FROM range(40, 80) t(i)) TO ${quoteLiteral(join(lake, 'other', 'evolving', 'b.parquet'))} (FORMAT parquet)`);
    // CSV files whose columns sniff to different types one by one (integers, then decimals)
    await conn.run(`COPY (SELECT i AS x, 'a' || i AS s FROM range(0, 30) t(i)) TO ${quoteLiteral(join(lake, 'other', 'texts', 'a.csv'))} (FORMAT csv)`);
    await conn.run(`COPY (SELECT i + 0.5 AS x, 'b' || i AS s FROM range(30, 60) t(i)) TO ${quoteLiteral(join(lake, 'other', 'texts', 'b.csv'))} (FORMAT csv)`);
    for (const [file, row] of Object.entries(NUMBERS)) {
      await conn.run(`COPY (SELECT ${row}) TO ${quoteLiteral(join(lake, 'other', 'numbers', `${file}.parquet`))} (FORMAT parquet)`);
    }
  } finally {
    conn.closeSync();
    duck.closeSync();
  }
  single = await start(0);
  dist = await start(2);
  [one, two] = await Promise.all([rawFlight(single, USER, 30_000), rawFlight(dist, USER, 30_000)]);
});

afterAll(async () => {
  one?.close();
  two?.close();
  await Promise.all([single?.close(), dist?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the lake the tests run on', () => {
  it('has several files, row groups and partitions (incl. the NULL partition)', async () => {
    const plan = await explain('EXPLAIN SELECT id FROM facts WHERE id IS NOT NULL');
    expect(plan.get('stage s0')).toMatch(/files: 60 of 60 kept/);
    const nulls = await answer(two, 'SELECT count(*) FROM facts WHERE region IS NULL');
    expect(nulls.rows).toEqual(['480']);
    // DuckDB cuts row groups at 2,048 rows at the least: the events files hold three each
    const events = await explain('EXPLAIN SELECT k FROM events WHERE k BETWEEN 100 AND 140');
    expect(events.get('stage s0')).toMatch(/files: 1 of 2 kept/);
    expect(events.get('stage s0')).toMatch(/row groups 1 of 6 may match/);
  });
});

describe('distributed answers equal single-node DuckDB', () => {
  it.each(LAKE_QUERIES.map((q) => [q.name, q] as const))('%s', async (_name, q) => {
    await expectSame(q);
  });
});

describe('parameters through a prepared statement', () => {
  it.each([
    ['a filter on a data column', 'SELECT id, name FROM facts WHERE id BETWEEN $1 AND $2', A.tableFromArrays({ a: Int32Array.from([100]), b: Int32Array.from([260]) })],
    ['a filter on a partition column, aggregated', 'SELECT region, count(*) AS n, sum(amount) AS s FROM facts WHERE year = $1 GROUP BY region', A.tableFromArrays({ a: Int32Array.from([2020]) })],
    ['a string parameter in a join', 'SELECT f.id, r.label FROM facts f JOIN regions r ON f.region = r.region WHERE r.label = $1 AND f.month = 2', new A.Table({ a: A.vectorFromArray(['Ost'], new A.Utf8()) })],
    ['ORDER BY … LIMIT with a parameter in the filter', 'SELECT id, score FROM facts WHERE score > $1 ORDER BY score DESC, id LIMIT 7', A.tableFromArrays({ a: Float64Array.from([70.5]) })],
  ])('%s', async (_name, query, params) => {
    const [expected, got] = await Promise.all([preparedAnswer(one, query, params), preparedAnswer(two, query, params)]);
    expect(expected.rows.length).toBeGreaterThan(0);
    expect(got.schema).toEqual(expected.schema);
    expect([...got.rows].sort()).toEqual([...expected.rows].sort());
  });
});

describe('session state the executors do not see', () => {
  /** A new login on each server, with `options` set (SetSessionOptions) and `setup` run in the session. */
  async function sessions(options: Record<string, string>, setup: string[] = []): Promise<RawFlight[]> {
    const pair = [new RawFlight(single.port, USER.user, USER.password, 30_000), new RawFlight(dist.port, USER.user, USER.password, 30_000)];
    for (const c of pair) {
      await c.authenticate();
      if (Object.keys(options).length > 0) {
        const session_options = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, { string_value: v }]));
        await c.action('SetSessionOptions', Buffer.from(codecs.SetSessionOptionsRequest.encode({ session_options })));
      }
      for (const statement of setup) await c.update(statement);
    }
    return pair;
  }

  it.each([
    ['TimeZone', { TimeZone: 'Asia/Tokyo' }, [], "SELECT id, ts::TIMESTAMPTZ::VARCHAR AS t, date_trunc('day', ts::TIMESTAMPTZ) AS d FROM facts WHERE id < 20"],
    ['default_null_order (top-N)', { default_null_order: 'nulls_first' }, [], 'SELECT id, day FROM facts ORDER BY day, id LIMIT 5'],
    ['default_collation (pruning and fragments)', { default_collation: 'nocase' }, [], "SELECT id FROM facts WHERE region = 'NORTH' AND month = 1"],
    ['integer_division', { integer_division: 'true' }, [], 'SELECT id, id / 7 AS q FROM facts WHERE id < 30'],
    ['a temporary table shadowing a lake table', {}, ['CREATE TEMP TABLE facts AS SELECT 42 AS id'], 'SELECT * FROM facts'],
    ['a temporary table joined to a lake table', {}, ['CREATE TEMP TABLE wanted AS SELECT * FROM (VALUES (3), (4)) t(id)'], 'SELECT f.id, f.name FROM facts f JOIN wanted USING (id)'],
  ] as const)('%s', async (_name, options, setup, query) => {
    const [a, b] = await sessions(options, [...setup]);
    try {
      const [expected, got] = await Promise.all([answer(a, query), answer(b, query)]);
      expect(expected.rows.length).toBeGreaterThan(0);
      expect(got.schema).toEqual(expected.schema);
      expect([...got.rows].sort()).toEqual([...expected.rows].sort());
    } finally {
      a.close();
      b.close();
    }
  });
});

describe('EXPLAIN', () => {
  it('a one-table scan streams through, with the pushed filter and the files it keeps', async () => {
    // the NULL partition (region=__HIVE_DEFAULT_PARTITION__) cannot hold region = 'north' either
    const plan = await explain("EXPLAIN SELECT id, name FROM facts WHERE year = 2020 AND region = 'north'");
    expect(plan.get('stage s0')).toMatch(/\(scan\)/);
    expect(plan.get('stage s0')).toMatch(/files: 4 of 60 kept/);
    expect(plan.get('stage s0')).toMatch(/filters pushed: .*year.* AND .*region/);
    expect(plan.get('merge')).toMatch(/none/);
  });

  it('IS NULL on a partition keeps only the NULL partition', async () => {
    const plan = await explain('EXPLAIN SELECT id FROM facts WHERE region IS NULL');
    expect(plan.get('stage s0')).toMatch(/files: 12 of 60 kept/);
  });

  it('pruning by min/max statistics: day range keeps one month', async () => {
    const plan = await explain("EXPLAIN SELECT count(*) FROM facts WHERE day BETWEEN DATE '2020-03-01' AND DATE '2020-03-31'");
    expect(plan.get('stage s0')).toMatch(/\(partial-aggregate\)/);
    // 5 region files of 2020-03; the NULL-day rows sit in files of their own month
    expect(plan.get('stage s0')).toMatch(/files: 5 of 60 kept/);
    expect(plan.get('stage s0')).toMatch(/pruned: .* excludes 55 files/);
  });

  it('a join inside a derived table is split like a plain join', async () => {
    const plan = await explain('EXPLAIN SELECT label, sum(amount) FROM (SELECT r.label, f.amount FROM facts f JOIN regions r USING (region)) t GROUP BY label');
    expect(plan.get('stage s0')).toMatch(/\(broadcast-join\)/);
    expect(plan.get('plan')).toMatch(/partial aggregates combined in the merge/);
    const distinct = await explain('EXPLAIN SELECT count(*) FROM (SELECT DISTINCT r.label FROM facts f JOIN regions r USING (region)) t');
    expect(distinct.get('stage s0')).toMatch(/\(scan\)/);
  });

  it('a filter that prunes everything still plans (and answers)', async () => {
    const plan = await explain('EXPLAIN SELECT id FROM facts WHERE year > 2030');
    expect(plan.get('stage s0')).toMatch(/files: 0 of 60 kept/);
  });

  it('partial aggregation, top-N and gather are chosen for their shapes', async () => {
    expect((await explain('EXPLAIN SELECT region, sum(amount) FROM facts GROUP BY region')).get('stage s0')).toMatch(/\(partial-aggregate\)/);
    expect((await explain('EXPLAIN SELECT id, score FROM facts ORDER BY score DESC LIMIT 5')).get('stage s0')).toMatch(/\(top-n\)/);
    const limitOnly = await explain('EXPLAIN SELECT id FROM facts LIMIT 3');
    expect(limitOnly.get('plan')).toMatch(/LIMIT and no ORDER BY: each fragment stops after 3 rows/);
    // an outer join is gathered: one scan per table, the join in the merge
    const join = await explain('EXPLAIN SELECT f.id, r.label FROM facts f FULL JOIN regions r USING (region)');
    expect(join.get('stage s0')).toMatch(/\(scan\)/);
    expect(join.get('stage s1')).toMatch(/\(scan\)/);
    expect(join.get('merge')).toMatch(/JOIN/i);
    const filtered = await explain('EXPLAIN SELECT region, count(*) FILTER (WHERE flag) FROM facts GROUP BY region');
    expect(filtered.get('plan')).toMatch(/gather/);
    expect(filtered.get('mermaid')).toMatch(/^flowchart/);
  });

  it('no columns used: the scan ships a row count only', async () => {
    const plan = await explain('EXPLAIN SELECT count(*) FROM facts f, other.single s WHERE s.k = 1');
    expect(plan.get('stage s0')).toMatch(/columns: \(none: row count only\)/);
  });

  it("a query without a lake table gets DuckDB's own EXPLAIN", async () => {
    const plan = await explain('EXPLAIN SELECT 42');
    expect([...plan.keys()].some((k) => k.startsWith('stage'))).toBe(false);
    expect([...plan.values()].join('\n')).toMatch(/PROJECTION/);
  });

  it('EXPLAIN ANALYZE runs the plan and reports what it shipped', async () => {
    const plan = await explain('EXPLAIN ANALYZE SELECT region, count(*) FROM facts WHERE year = 2021 GROUP BY region');
    const stats = plan.get('analyze') ?? '';
    expect(stats).toMatch(/result rows: 5/);
    expect(stats).toMatch(/fragments run: [1-9]/);
    expect(stats).toMatch(/rows shipped from executors: [1-9]/);
    expect(stats).toMatch(/Arrow bytes shipped: [1-9]/);
    expect(stats).toMatch(/file bytes scanned: [1-9]/);
    // the same figures as JSON for tools
    const machine = JSON.parse(plan.get('stats') ?? '{}') as Record<string, unknown>;
    expect(machine).toMatchObject({ resultRows: 5, filesKept: 20, filesTotal: 60 });
    expect(machine.fragments).toBeGreaterThan(0);
    expect(machine.arrowBytesShipped).toBeGreaterThan(0);
    expect(machine.stages).toEqual([expect.objectContaining({ id: 's0', kind: 'partial-aggregate', table: 'main.facts' })]);
  });
});

describe('small statements and the plan cache', () => {
  let small: RunningServer;
  let three: RawFlight;
  let cacheDir: string;
  beforeAll(async () => {
    // the default smallStatementBytes (24 MiB): every statement of this lake is small
    small = await startLakeServer(USER, {
      catalog: { root: join(dir, 'lake'), refreshSeconds: 600 },
      executors: { count: 2, smallStatementBytes: 24 << 20 },
    });
    three = await rawFlight(small, USER, 30_000);
    cacheDir = mkdtempSync(join(tmpdir(), 'skein-plan-cache-'));
  });
  afterAll(async () => {
    three?.close();
    await small?.close();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('a join reading few column bytes runs whole as one fragment, with DuckDB\'s answer', async () => {
    const sql = `SELECT r.label, count(*) AS n, sum(f.amount) AS total FROM facts f JOIN regions r ON f.region = r.region
                 WHERE f.id IN (SELECT k FROM events WHERE v > 100) GROUP BY r.label ORDER BY r.label`;
    const plan = await explainRows(three, `EXPLAIN ${sql}`);
    expect(plan.get('plan')).toMatch(/a small statement \([\d.]+ MiB of the columns it reads\): one fragment runs it whole/);
    expect([...plan.keys()].filter((k) => k.startsWith('stage '))).toEqual(['stage s0']);
    expect(plan.get('stage s0')).toMatch(/\(whole-statement\)/);
    const [expected, got] = await Promise.all([answer(one, sql), answer(three, sql)]);
    expect(got).toEqual(expected);
  });

  it('a repeated statement reuses its plan, and a new file in the table is seen at once', async () => {
    // a table of its own, so adding a file does not disturb the other tests
    const lake = join(dir, 'lake', 'other', 'growing');
    mkdirSync(lake, { recursive: true });
    const duck = await DuckDBInstance.create(':memory:');
    const conn = await duck.connect();
    const write = (name: string, from: number): Promise<unknown> =>
      conn.run(`COPY (SELECT i AS k, i % 7 AS g FROM range(${from}, ${from + 100}) t(i)) TO ${quoteLiteral(join(lake, `${name}.parquet`))} (FORMAT parquet)`);
    const server = await startLakeServer(USER, { catalog: { root: join(dir, 'lake'), refreshSeconds: 1 }, executors: { count: 2 } });
    const c = await rawFlight(server, USER, 30_000);
    try {
      await write('a', 0);
      await write('b', 100);
      await new Promise((r) => setTimeout(r, 2500)); // the catalog refresh sees the table
      const sql = 'SELECT g, count(*) AS n, sum(k) AS s FROM other.growing GROUP BY g ORDER BY g';
      const first = await answer(c, sql);
      expect(first.rows).toHaveLength(7);
      // the same text again: planned from the cache (plan-cache.test.ts checks the cache itself)
      expect(await answer(c, sql)).toEqual(first);
      await write('c', 200);
      await new Promise((r) => setTimeout(r, 2500));
      const after = await answer(c, sql);
      const total = (a: Answer): number => a.rows.reduce((n, row) => n + Number(row.split(' | ')[1]), 0);
      expect(total(first)).toBe(200);
      expect(total(after)).toBe(300);
    } finally {
      c.close();
      await server.close();
      conn.closeSync();
      duck.closeSync();
      rmSync(lake, { recursive: true, force: true });
    }
  });
});
