// The Redis registry end to end (real redis-server, `skein executor` processes from dist/: run
// `npm run build` first): two executors register with heartbeats, a coordinator (`executors.discover`)
// finds them and answers distributed queries exactly as DuckDB does; every statement gets a query
// log entry, read back by time range directly and through `skein log`; a killed executor is
// forgotten after the TTL while queries stay correct; Redis stopped mid-query changes no answer and
// empties nothing, and registrations and logging resume when it returns on the same port.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import * as A from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { logCommand } from '../../../src/cli/log';
import { RunningServer } from '../../../src/cli/serve';
import { loadConfig } from '../../../src/config';
import { defaultEntry } from '../../../src/executors/child-process';
import { EXECUTOR_SECRET_ENV, READY_LINE } from '../../../src/executors/flight-executor-server';
import { startExecutorPool } from '../../../src/executors/start';
import { FlightSqlClient } from '../../../src/flight/client';
import { openRegistry } from '../../../src/registry/open';
import { QueryLogEntry } from '../../../src/registry/registry';
import { Service, startRedis } from '../../services/services';
import { arrowRows, duckdbRows } from '../../unit/executors/parquet-fixture';
import { flightClient, startLakeServer } from './lake-helpers';

const SECRET = 'registry-e2e-secret-0123456';
const USER = { user: 'logged', password: 'pw-logged' };
const PREFIX = 'e2e:';
const HEARTBEAT_S = 0.3;
const TTL_S = 2;
const AGG = 'SELECT g, count(*) AS n, count(DISTINCT name) AS names, sum(amount) AS total FROM facts WHERE id % 5 <> 0 GROUP BY g ORDER BY g';

let dir: string;
let lake: string;
let redis: Service;
let coordinator: RunningServer;
let client: FlightSqlClient;
const children = new Map<string, ChildProcess>();
let expectedAgg: unknown[][];
const testStart = Date.now();

/** `skein executor` registering itself in Redis; resolves once it listens. */
async function startExecutor(id: string): Promise<ChildProcess> {
  const args = [defaultEntry(), 'executor', '--port', '0', '--id', id, '--allowed-dir', lake, '--redis', redis.url];
  args.push('--redis-prefix', PREFIX, '--heartbeat-seconds', String(HEARTBEAT_S), '--ttl-seconds', String(TTL_S));
  const child = spawn(process.execPath, args, { env: { ...process.env, [EXECUTOR_SECRET_ENV]: SECRET }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.set(id, child);
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    child.once('exit', (code) => reject(new Error(`executor ${id} exited (${code})`)));
    lines.on('line', (l) => {
      if (l.startsWith(READY_LINE)) resolve();
    });
  });
  return child;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rows(sql: string): Promise<unknown[][]> {
  const reader = await client.query(sql);
  const batches: A.RecordBatch[] = [];
  for await (const b of reader) batches.push(b);
  return arrowRows(batches);
}

function discovered(): string[] {
  return coordinator.coordination?.discovery?.discovered ?? [];
}

/** Log entries of this test's user since the test began (through the coordinator's registry). */
async function entries(): Promise<QueryLogEntry[]> {
  return (await coordinator.coordination!.registry.queryRange({ since: testStart, user: USER.user, limit: 1000 }).catch(() => [])) as QueryLogEntry[];
}

beforeAll(async () => {
  defaultEntry(); // fails with "run npm run build" when dist/ is missing
  dir = mkdtempSync(join(tmpdir(), 'skein-registry-'));
  lake = join(dir, 'lake');
  mkdirSync(join(lake, 'main', 'facts'), { recursive: true });
  const duck = await DuckDBInstance.create(':memory:');
  const conn = await duck.connect();
  try {
    for (let i = 0; i < 6; i++) {
      await conn.run(`COPY (SELECT range AS id, (range % 7)::INTEGER AS g, 'n' || (range % 901) AS name, (range * 0.25)::DOUBLE AS amount
        FROM range(${i * 40_000}, ${(i + 1) * 40_000})) TO '${join(lake, 'main', 'facts', `part-${i}.parquet`)}' (FORMAT parquet)`);
    }
  } finally {
    conn.closeSync();
    duck.closeSync();
  }
  expectedAgg = await duckdbRows(AGG.replace('FROM facts', `FROM read_parquet('${join(lake, 'main', 'facts', '*.parquet')}')`));
  redis = await startRedis();
  await Promise.all([startExecutor('ex-a'), startExecutor('ex-b')]);
  coordinator = await startLakeServer(USER, {
    catalog: { root: lake, refreshSeconds: 600 },
    executors: { count: 0, discover: true, secret: SECRET },
    registry: { redisUrl: redis.url, keyPrefix: PREFIX, heartbeatSeconds: HEARTBEAT_S, ttlSeconds: TTL_S, commandTimeoutMs: 1000 },
  });
  client = await flightClient(coordinator, USER);
});

afterAll(async () => {
  client?.close();
  await coordinator?.close();
  for (const c of children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('discovers both registered executors and answers a distributed query exactly', async () => {
  expect(discovered()).toEqual(['ex-a', 'ex-b']);
  expect(await rows(AGG)).toEqual(expectedAgg);
});

it('logs one entry per statement: distributed, local and failed', async () => {
  const marker = `/* ${Date.now()} */`;
  expect(await rows(`${marker} ${AGG}`)).toEqual(expectedAgg);
  expect(await rows(`SELECT 42 AS answer ${marker}`)).toEqual([[42]]);
  await expect(rows(`SELECT * FROM no_such_table ${marker}`)).rejects.toThrow(/no_such_table/);
  let mine: QueryLogEntry[] = [];
  await until('3 entries logged', async () => (mine = (await entries()).filter((e) => e.query.includes(marker))).length === 3);
  const [dist, local, failed] = mine; // oldest first
  expect(dist).toMatchObject({ kind: 'query', user: USER.user, query: `${marker} ${AGG}`, rows: expectedAgg.length, error: null, cacheUri: null });
  expect(dist.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(dist.queryId).toMatch(/^q-/);
  expect(dist.bytesScanned).toBeGreaterThan(0);
  expect(dist.executors.length).toBeGreaterThan(0);
  expect(dist.executors.every((e) => ['ex-a', 'ex-b'].includes(e))).toBe(true);
  expect(dist.durationMs).toBeGreaterThan(0);
  expect(local).toMatchObject({ kind: 'query', rows: 1, bytesScanned: null, executors: [], error: null });
  expect(failed.rows).toBeNull();
  expect(failed.error).toMatch(/^[A-Z_]+: .*no_such_table/);
  expect(await coordinator.coordination!.registry.queryById(failed.id)).toEqual(failed);
  // a time range that ends before them holds none of them
  const before = await coordinator.coordination!.registry.queryRange({ until: Date.parse(dist.startedAt) - 1, user: USER.user });
  expect(before.some((e) => e.query.includes(marker))).toBe(false);
});

it('`skein log` reads the entries back by time range (CLI as JSON lines, and as a table)', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [defaultEntry(), 'log', '--redis', redis.url, '--redis-prefix', PREFIX, '--since', '5m', '--user', USER.user, '--format', 'json', '--limit', '500'],
    { env: { ...process.env, SKEIN_LOG_LEVEL: 'warn' } },
  );
  const fromCli = stdout.trim().split('\n').map((l) => JSON.parse(l) as QueryLogEntry);
  expect(fromCli).toEqual(await entries());
  expect(fromCli.length).toBeGreaterThanOrEqual(4);
  let text = '';
  const out = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
  const n = await logCommand({ redis: redis.url, redisPrefix: PREFIX, since: new Date(testStart).toISOString(), user: USER.user, limit: 2, format: 'table' }, out, {});
  expect(n).toBe(2);
  const lines = text.trim().split('\n');
  expect(lines[0]).toMatch(/^id\s+started\s+user\s+kind\s+ms\s+rows/);
  expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(fromCli.slice(-2).map((e) => e.id));
  // the future holds nothing
  expect(await logCommand({ redis: redis.url, redisPrefix: PREFIX, since: '2999-01-01T00:00:00Z', limit: 10, format: 'json' }, out, {})).toBe(0);
});

it('an executor killed with SIGKILL: queries stay correct, it is forgotten after the TTL', async () => {
  const killedAt = Date.now();
  children.get('ex-b')!.kill('SIGKILL');
  expect(await rows(AGG)).toEqual(expectedAgg); // its fragments retried on ex-a
  await until('ex-b forgotten', () => discovered().length === 1);
  // its record outlives its last heartbeat by the TTL
  expect(Date.now() - killedAt).toBeGreaterThanOrEqual((TTL_S - HEARTBEAT_S) * 1000 - 50);
  expect(discovered()).toEqual(['ex-a']);
  expect(coordinator.executors?.size).toBe(1);
  expect(await rows(AGG)).toEqual(expectedAgg);
});

it('Redis stopped mid-query: answers unchanged, executors kept; registration and logging resume on restart', async () => {
  const marker = `/* outage ${Date.now()} */`;
  const running = rows(`${marker} ${AGG}`);
  await redis.stop();
  expect(await running).toEqual(expectedAgg);
  // longer than the TTL without Redis: the known executor stays and keeps answering
  await new Promise((r) => setTimeout(r, TTL_S * 1000 + 500));
  expect(discovered()).toEqual(['ex-a']);
  const t = Date.now();
  expect(await rows(`${marker} ${AGG}`)).toEqual(expectedAgg);
  expect(Date.now() - t).toBeLessThan(5000);

  const again = await startRedis(redis.port); // a fresh, empty server on the same port
  redis.stop = again.stop;
  redis.process = again.process;
  // the executor registers again, a new one is discovered, and the entries held back are written
  await startExecutor('ex-c');
  await until('ex-c discovered', () => discovered().includes('ex-c'));
  expect(discovered()).toEqual(['ex-a', 'ex-c']);
  await until('the outage entries written', async () => (await entries()).filter((e) => e.query.includes(marker)).length === 2);
  expect(await rows(AGG)).toEqual(expectedAgg);
});

it('child-process executors of a coordinator with a registry register themselves, and leave on close', async () => {
  const config = loadConfig({
    env: {},
    overrides: {
      executors: { count: 1, mode: 'child-process' },
      registry: { redisUrl: redis.url, keyPrefix: 'kids:', heartbeatSeconds: HEARTBEAT_S, ttlSeconds: TTL_S },
    },
  });
  const registry = await openRegistry(config.registry);
  const pool = await startExecutorPool(config, [lake]);
  try {
    const id = `${hostname()}-${process.pid}-executor-1`;
    expect(pool!.executors.map((e) => e.id)).toEqual([id]);
    await until('the child registered', async () => (await registry.liveExecutors()).length === 1);
    expect((await registry.liveExecutors())[0]).toMatchObject({ id, address: pool!.status()[0].address, slots: 2 });
    await pool!.close();
    await until('the child deregistered', async () => (await registry.liveExecutors()).length === 0, 5000);
  } finally {
    await pool?.close();
    await registry.close();
  }
});
