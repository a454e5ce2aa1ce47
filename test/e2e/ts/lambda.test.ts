// Lambda executors end to end: the real Engine and Catalog handlers run under AWS's Lambda Runtime
// Interface Emulator (test/services/lambda.ts; the real bootstrap and runtime loop), the coordinator
// calls them through the unmodified LambdaClient. Answers are compared with DuckDB's; faults (dropped,
// stalled, throttled, overrunning invocations) must end in the right answer or a clear error.
// Needs `npm run build` (the function runs dist/) and Go (the emulator is built once, cached).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { status } from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { DirectoryCatalog } from '../../../src/catalog/directory-catalog';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { loadConfig } from '../../../src/config';
import { ExecutorPool, FragmentOutput } from '../../../src/executors/pool';
import { LambdaCatalog } from '../../../src/executors/lambda/lambda-catalog';
import { LambdaExecutor } from '../../../src/executors/lambda/lambda-executor';
import { LambdaSettings, startLambdaExecutors } from '../../../src/executors/lambda/lambda-pool';
import { signFragment } from '../../../src/executors/signing';
import { Fragment } from '../../../src/planner/plan';
import { ObjectStore } from '../../../src/store/object-store';
import { openStores, Stores } from '../../../src/store/stores';
import { LambdaFunction, startLambdaFunction } from '../../services/lambda';
import { startLocalLambda } from '../../services/lambda-local';
import { freePort, MOTO_CREDENTIALS, REPO, Service, startMoto, VENV_PYTHON } from '../../services/services';
import { arrowRows, duckdbRows, fileList, makeParquet, ParquetFixture, scanFragment, sorted } from '../../unit/executors/parquet-fixture';
import { all, failure } from './pool-helpers';
import { RawFlight } from './raw-flight';

jest.setTimeout(120_000);

const SECRET = 'lambda-executor-secret-0123';
const SELECT = 'id, g, name, amount, flag, day';
const WHERE = 'g IN (1, 2, 5) AND (amount IS NULL OR amount > 100)';
const SLOW_SQL = 'SELECT count(*) AS n FROM range(300000) a, range(300000) b WHERE (a.range * b.range) % 7 = 3';

let data: ParquetFixture;
let results: string;
let fns: LambdaFunction[] = [];

function settings(more: Partial<LambdaSettings> = {}): LambdaSettings {
  return {
    functionName: 'function',
    region: 'us-east-1',
    endpoints: fns.map((f) => f.url),
    concurrency: 2,
    endpointConcurrency: 1,
    invocation: 'sync',
    resultPrefix: `${results}/`,
    credentials: MOTO_CREDENTIALS,
    ...more,
  };
}

function lambdaPool(
  s: LambdaSettings,
  opts: { timeoutMs?: number; maxAttempts?: number; stores?: Stores } = {},
): { pool: ExecutorPool; executors: LambdaExecutor[] } {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const executors = startLambdaExecutors(2, s, timeoutMs, opts.stores ?? openStores());
  const pool = new ExecutorPool(executors, { secret: SECRET, slots: 1, fragmentTimeoutMs: timeoutMs, maxAttempts: opts.maxAttempts ?? 3 });
  return { pool, executors };
}

function scanFragments(): Fragment[] {
  return data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
}

let expectedScan: unknown[][];

async function expectExactScan(pool: ExecutorPool): Promise<FragmentOutput[]> {
  const outs = await all(pool.runAll(scanFragments(), new AbortController().signal));
  expect(outs.map((o) => o.fragment.id).sort()).toEqual(data.files.map((_, i) => `f${i}`).sort());
  expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(expectedScan);
  return outs;
}

/** Result objects left in the result prefix (every one is deleted once read). */
async function leftovers(): Promise<string[]> {
  // deletes run in the background after the read: give them a moment
  for (let i = 0; i < 40 && readdirSync(results).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
  return readdirSync(results);
}

type Action = 'pass' | 'drop' | 'stall' | 'throttle';

/** An HTTP proxy in front of one emulator that drops, stalls or throttles chosen invocations. */
class FaultProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  seen = 0;
  url = '';

  constructor(
    private readonly target: string,
    private readonly plan: (n: number) => Action,
  ) {}

  async start(): Promise<this> {
    const port = await freePort();
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => (this.server as Server).listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const action = this.plan(++this.seen);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (action === 'drop') {
        req.socket.destroy();
        return;
      }
      if (action === 'stall') return; // never answered; the client gives up
      if (action === 'throttle') {
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
        res.end(JSON.stringify({ message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', Type: 'User' }));
        return;
      }
      const up = request(`${this.target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

beforeAll(async () => {
  data = await makeParquet(8, 20_000);
  results = mkdtempSync(join(tmpdir(), 'skein-lambda-results-'));
  fns = await Promise.all(
    [1, 2].map(() =>
      startLambdaFunction({
        handler: 'engine',
        timeoutSeconds: 60,
        env: {
          SKEIN_EXECUTOR_SECRET: SECRET,
          SKEIN_EXECUTOR_THREADS: '1',
          SKEIN_ALLOWED_DIRECTORIES: data.dir,
          SKEIN_LAMBDA_RESULT_PREFIX: `${results}/`,
          SKEIN_LAMBDA_CACHE_DIR: mkdtempSync(join(tmpdir(), 'skein-lambda-cache-')),
        },
      }),
    ),
  );
  expectedScan = sorted(await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`));
  expect(expectedScan.length).toBeGreaterThan(10_000);
});

afterAll(async () => {
  await Promise.all(fns.map((f) => f.stop()));
  data?.remove();
  if (results) rmSync(results, { recursive: true, force: true });
});

describe('Engine function through the Lambda Invoke API', () => {
  it('sync: 8 fragments over 2 functions give DuckDB\'s exact answer, inline', async () => {
    const { pool } = lambdaPool(settings());
    try {
      await expectExactScan(pool);
      expect(pool.stats.retried).toBe(0);
      // both emulators served invocations
      for (const f of fns) expect(f.output()).toMatch(/START RequestId/);
      expect(await leftovers()).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('results over the inline limit go through the result store, read once and deleted', async () => {
    const stores = openStores();
    const gets: string[] = [];
    const local = stores.forUri(results);
    const counting: ObjectStore = Object.assign(Object.create(local) as ObjectStore, {
      get: (uri: string, range?: { start: number; end?: number }) => {
        gets.push(uri);
        return local.get(uri, range);
      },
    });
    const { pool } = lambdaPool(settings({ inlineLimitBytes: 1024 }), { stores: { ...stores, forUri: () => counting } });
    try {
      await expectExactScan(pool);
      expect(gets).toHaveLength(8);
      expect(gets.every((u) => u.startsWith(results) && u.endsWith('.arrows'))).toBe(true);
      expect(await leftovers()).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('async: Event invocations whose replies are polled from the result store', async () => {
    const { pool } = lambdaPool(settings({ invocation: 'async' }));
    try {
      await expectExactScan(pool);
      expect(await leftovers()).toEqual([]);
    } finally {
      await pool.close();
    }
  });

  it('warm invocations reuse the function instance (and its DuckDB)', async () => {
    const { pool, executors } = lambdaPool(settings());
    try {
      const pings = [];
      for (let i = 0; i < 6; i++) pings.push(await executors[0].ping());
      const byInstance = new Map<string, number[]>();
      for (const p of pings) byInstance.set(p.instance, [...(byInstance.get(p.instance) ?? []), p.invocations]);
      expect(byInstance.size).toBe(2); // one per emulator, each kept warm
      for (const counts of byInstance.values()) {
        expect(counts).toHaveLength(3);
        expect(counts).toEqual([...counts].sort((a, b) => a - b));
        expect(new Set(counts).size).toBe(3);
      }
      expect(pings[0].duckdb).toMatch(/^v1\.5\.6/);
    } finally {
      await pool.close();
    }
  });

  it('a refused signature fails with PERMISSION_DENIED and bad SQL with INVALID_ARGUMENT, neither retried', async () => {
    const { pool, executors } = lambdaPool(settings());
    try {
      const f = scanFragment('sig', [data.files[0]], 'count(*)');
      const forged = { ...signFragment(f, SECRET), fragment: { ...f, sql: 'SELECT 42' } };
      const refused = await failure(executors[0].run(forged, new AbortController().signal));
      expect(refused.code).toBe(status.PERMISSION_DENIED);
      expect(refused.message).toMatch(/signature/);
      const wrong = new ExecutorPool(executors, { secret: 'not-the-function-secret' });
      expect((await failure(all(wrong.runAll([f])))).code).toBe(status.PERMISSION_DENIED);
      expect(wrong.stats).toMatchObject({ started: 1, retried: 0, failed: 1 });
      const bad = { ...f, id: 'bad', sql: 'SELECT id FROM read_parquet(1, 2, 3) WHERE' };
      expect((await failure(all(pool.runAll([bad])))).code).toBe(status.INVALID_ARGUMENT);
      expect(pool.stats.retried).toBe(0);
      // the sandbox keeps the function to its directories
      const etc = { ...f, id: 'etc', sql: "SELECT * FROM read_csv('/etc/hostname')" };
      expect((await failure(all(pool.runAll([etc])))).code).toBe(status.PERMISSION_DENIED);
    } finally {
      await pool.close();
    }
  });

  it('cancelling a query returns at once; the functions take new work after', async () => {
    const { pool } = lambdaPool(settings(), { timeoutMs: 2000 });
    try {
      const ac = new AbortController();
      const run = all(pool.runAll([{ id: 's1', stage: 's', sql: SLOW_SQL, inputs: [] }], ac.signal));
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      ac.abort();
      expect((await failure(run)).code).toBe(status.CANCELLED);
      expect(Date.now() - t0).toBeLessThan(1000);
      await expectExactScan(pool);
    } finally {
      await pool.close();
    }
  });
});

describe('faults', () => {
  const proxies: FaultProxy[] = [];
  async function proxy(target: string, plan: (n: number) => Action): Promise<FaultProxy> {
    const p = await new FaultProxy(target, plan).start();
    proxies.push(p);
    return p;
  }
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.stop()));
  });

  it('dropped invocations are retried: the answer is unchanged', async () => {
    const a = await proxy(fns[0].url, (n) => (n === 1 ? 'drop' : 'pass'));
    const b = await proxy(fns[1].url, (n) => (n === 1 ? 'drop' : 'pass'));
    const { pool } = lambdaPool(settings({ endpoints: [a.url, b.url] }), { timeoutMs: 3000 });
    try {
      await expectExactScan(pool);
      expect(a.seen + b.seen).toBe(10);
      expect(pool.stats.retried).toBeGreaterThanOrEqual(2);
    } finally {
      await pool.close();
    }
  });

  it('an invocation stalled past the fragment timeout is retried: the answer is unchanged', async () => {
    const p = await proxy(fns[0].url, (n) => (n === 1 ? 'stall' : 'pass'));
    const { pool } = lambdaPool(settings({ endpoints: [p.url, fns[1].url] }), { timeoutMs: 2000 });
    try {
      const t0 = Date.now();
      await expectExactScan(pool);
      expect(pool.stats.retried).toBe(1);
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      await pool.close();
    }
  });

  it('every invocation stalled: DEADLINE_EXCEEDED after the tries, nothing hangs', async () => {
    const a = await proxy(fns[0].url, () => 'stall');
    const b = await proxy(fns[1].url, () => 'stall');
    const { pool } = lambdaPool(settings({ endpoints: [a.url, b.url] }), { timeoutMs: 800, maxAttempts: 2 });
    try {
      const t0 = Date.now();
      const err = await failure(all(pool.runAll([scanFragment('only', [data.files[0]], 'count(*)')])));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      expect(err.message).toMatch(/fragment only ran longer than 0.8 s/);
      expect(Date.now() - t0).toBeLessThan(15_000);
    } finally {
      await pool.close();
    }
  });

  it('throttling (429 TooManyRequests) is retried with backoff by the invoker', async () => {
    const p = await proxy(fns[0].url, (n) => (n <= 3 ? 'throttle' : 'pass'));
    const { pool, executors } = lambdaPool(settings({ endpoints: [p.url], concurrency: 1 }));
    try {
      const invoker = (executors[0] as unknown as { opts: { invoker: { stats: { throttled: number } } } }).opts.invoker;
      await expectExactScan(pool);
      expect(invoker.stats.throttled).toBe(3);
      expect(pool.stats.retried).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('a fragment running past its deadline is stopped by the function: DEADLINE_EXCEEDED', async () => {
    // the pool would wait 30 s; the function itself stops the fragment at its 1.5 s deadline
    const { pool, executors } = lambdaPool(settings(), { maxAttempts: 2 });
    const short = startLambdaExecutors(1, settings(), 1500, openStores());
    const overrun = new ExecutorPool(short, { secret: SECRET, slots: 1, fragmentTimeoutMs: 30_000, maxAttempts: 2 });
    try {
      const t0 = Date.now();
      const err = await failure(all(overrun.runAll([{ id: 'slow', stage: 's', sql: SLOW_SQL, inputs: [] }])));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      expect(err.message).toMatch(/stopped at its deadline/);
      expect(overrun.stats.retried).toBe(1);
      expect(Date.now() - t0).toBeLessThan(15_000);
      // and the functions answer again
      expect((await executors[0].ping()).ok).toBe(true);
      await expectExactScan(pool);
    } finally {
      await overrun.close();
      await pool.close();
    }
  });

  it('no function listening: UNAVAILABLE naming the function, after bounded retries', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { pool } = lambdaPool(settings({ endpoints: [dead], maxRetries: 2, concurrency: 1 }), { maxAttempts: 2 });
    try {
      const err = await failure(all(pool.runAll([scanFragment('x', [data.files[0]], 'count(*)')])));
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(err.message).toMatch(/lambda function/);
    } finally {
      await pool.close();
    }
  });
});

describe('streamed responses (InvokeWithResponseStream; a local Lambda service, the emulator has none)', () => {
  let fn: LambdaFunction;

  beforeAll(async () => {
    fn = await startLocalLambda({
      handler: 'engine',
      timeoutSeconds: 30,
      env: { SKEIN_EXECUTOR_SECRET: SECRET, SKEIN_EXECUTOR_THREADS: '1', SKEIN_ALLOWED_DIRECTORIES: data.dir },
    });
  });

  afterAll(async () => {
    await fn?.stop();
  });

  const streaming = (more: Partial<LambdaSettings> = {}): LambdaSettings =>
    settings({ endpoints: [fn.url], concurrency: 1, invocation: 'stream', resultPrefix: undefined, ...more });

  it('fragments stream back as Arrow IPC: DuckDB\'s exact answer', async () => {
    const { pool } = lambdaPool(streaming());
    try {
      await expectExactScan(pool);
    } finally {
      await pool.close();
    }
  });

  it('a result over Lambda\'s 6 MB reply limit streams whole, with no result store', async () => {
    const [executor] = startLambdaExecutors(1, streaming(), 30_000, openStores());
    try {
      const f = scanFragment('big', [...data.files, data.files[0]], '*'); // one file twice: about 6.4 MB
      const r = await executor.run(signFragment(f, SECRET), new AbortController().signal);
      const batches: A.RecordBatch[] = [];
      for await (const b of r.batches) batches.push(b);
      expect(A.tableToIPC(new A.Table(batches)).byteLength).toBeGreaterThan(6 << 20);
      expect(sorted(arrowRows(batches))).toEqual(sorted(await duckdbRows(f.sql)));
    } finally {
      await executor.close();
    }
  });

  it('a fragment that cannot start answers its error; one that fails mid-stream, its own (error trailers)', async () => {
    const [executor] = startLambdaExecutors(1, streaming(), 1500, openStores());
    try {
      const bad = { ...scanFragment('bad', [data.files[0]], 'id'), sql: 'SELECT nope FROM read_parquet(1)' };
      expect((await failure(executor.run(signFragment(bad, SECRET), new AbortController().signal))).code).toBe(status.INVALID_ARGUMENT);
      // stopped at its deadline before its first batch: a JSON failure reply
      const slow = { id: 'slow', stage: 's', sql: SLOW_SQL, inputs: [] };
      const before = await failure(executor.run(signFragment(slow, SECRET), new AbortController().signal));
      expect(before.code).toBe(status.DEADLINE_EXCEEDED);
      expect(before.message).toMatch(/stopped at its deadline/);
      // a batch every few ms, stopped at its deadline while streaming: the stream ends in an error
      const trickle = { id: 'trickle', stage: 's', sql: 'SELECT range AS x FROM range(1000000000) WHERE hash(range) % 1000 = 0', inputs: [] };
      const during = await failure(executor.run(signFragment(trickle, SECRET), new AbortController().signal));
      expect(during.code).toBe(status.DEADLINE_EXCEEDED);
      expect(during.message).toMatch(/streamed response failed: fragment stopped at its deadline/);
    } finally {
      await executor.close();
    }
  });
});

describe('partition cache: object-store files copied to the function\'s disk', () => {
  let moto: Service;
  let fn: LambdaFunction;
  let cacheDir: string;

  beforeAll(async () => {
    moto = await startMoto();
    cacheDir = mkdtempSync(join(tmpdir(), 'skein-lambda-pcache-'));
    const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.url, forcePathStyle: true, credentials: MOTO_CREDENTIALS });
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    const { readFileSync } = await import('node:fs');
    for (const [i, f] of data.files.slice(0, 3).entries()) {
      await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: `t/year=202${i}/part-${i}.parquet`, Body: readFileSync(f) }));
    }
    s3.destroy();
    fn = await startLambdaFunction({
      handler: 'engine',
      env: {
        SKEIN_EXECUTOR_SECRET: SECRET,
        SKEIN_EXECUTOR_THREADS: '1',
        SKEIN_S3_ENDPOINT: moto.url,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        SKEIN_LAMBDA_CACHE_DIR: cacheDir,
      },
    });
  });

  afterAll(async () => {
    await fn?.stop();
    await moto?.stop();
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  });

  it('reads s3:// files through the cache (hive partitions kept) and reuses them when warm', async () => {
    const uris = [0, 1, 2].map((i) => `s3://lake/t/year=202${i}/part-${i}.parquet`);
    const sql = `SELECT year, count(*) AS n, sum(id) AS s FROM read_parquet(${fileList(uris)}, hive_partitioning = true) GROUP BY year ORDER BY year`;
    const f: Fragment = { id: 'cached', stage: 's', sql, inputs: [{ table: 't', format: 'parquet', files: uris, bytes: 1, rows: 0 }] };
    const [executor] = startLambdaExecutors(1, settings({ endpoints: [fn.url], resultPrefix: undefined }), 30_000, openStores());
    try {
      const expected = await duckdbRows(
        `SELECT year, count(*) AS n, sum(id) AS s FROM (${[0, 1, 2].map((i) => `SELECT 202${i}::BIGINT AS year, id FROM read_parquet('${data.files[i]}')`).join(' UNION ALL ')}) GROUP BY year ORDER BY year`,
      );
      for (let round = 0; round < 2; round++) {
        const r = await executor.run(signFragment(f, SECRET), new AbortController().signal);
        const batches = [];
        for await (const b of r.batches) batches.push(b);
        expect(arrowRows(batches)).toEqual(expected);
        expect((await executor.ping()).cachedFiles).toBe(3);
      }
      // the shared partition cache keeps each object under <entry>/data/<scheme>/<bucket>/<key>
      const cached = readdirSync(cacheDir, { recursive: true })
        .map(String)
        .filter((p) => p.endsWith('.parquet'))
        .map((p) => p.split('/').slice(-2)[0]);
      expect(cached.sort()).toEqual(['year=2020', 'year=2021', 'year=2022']);
    } finally {
      await executor.close();
    }
  });
});

describe('Catalog function', () => {
  let lake: string;
  let fn: LambdaFunction;

  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'skein-lambda-lake-'));
    mkdirSync(join(lake, 'main', 'items'), { recursive: true });
    for (const [i, f] of data.files.slice(0, 2).entries()) writeFileSync(join(lake, 'main', 'items', `part-${i}.parquet`), await import('node:fs').then((m) => m.readFileSync(f)));
    fn = await startLambdaFunction({ handler: 'catalog', env: { SKEIN_CATALOG_ROOT: lake } });
  });

  afterAll(async () => {
    await fn?.stop();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('answers tables, files and statistics exactly as the directory catalog does', async () => {
    const remote = await LambdaCatalog.open({ functionName: 'function', region: 'us-east-1', endpoints: [fn.url], concurrency: 1, endpointConcurrency: 1, credentials: MOTO_CREDENTIALS });
    const local = await DirectoryCatalog.open({ root: lake });
    try {
      expect(remote.roots).toEqual(local.roots);
      expect(await remote.tables()).toEqual(await local.tables());
      const t = await remote.table('main', 'items');
      expect(t).toEqual(JSON.parse(JSON.stringify(await local.table('main', 'items'))));
      expect(t?.files).toHaveLength(2);
      expect(t?.files[0].rowGroups.length).toBeGreaterThan(0);
      expect(await remote.table('main', 'nope')).toBeNull();
    } finally {
      await remote.close();
      await local.close();
    }
  });

  it('serves a coordinator (catalog.lambda): the planner reads tables and files through the function', async () => {
    const USER = { username: 'cat', password: 'pw-cat' };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    const base = { port: 0, users: [USER], executors: { count: 1 } };
    const direct = await startServer(loadConfig({ env: {}, overrides: { ...base, catalog: { root: lake, refreshSeconds: 600 } } }));
    const viaFunction = await startServer(
      loadConfig({ env: {}, overrides: { ...base, catalog: { refreshSeconds: 600, lambda: { functionName: 'function', endpoints: [fn.url], endpointConcurrency: 1 } } } }),
    );
    const a = new RawFlight(direct.port, USER.username, USER.password, 30_000);
    const b = new RawFlight(viaFunction.port, USER.username, USER.password, 30_000);
    try {
      await Promise.all([a.authenticate(), b.authenticate()]);
      const sql = 'SELECT g, count(*) AS n, sum(amount) AS s FROM main.items GROUP BY g ORDER BY g';
      const want = await a.query(sql);
      const got = await b.query(sql);
      expect(got.schema.fields.map(String)).toEqual(want.schema.fields.map(String));
      expect(arrowRows(got.batches)).toEqual(arrowRows(want.batches));
      expect(arrowRows(got.batches).length).toBeGreaterThan(0);
    } finally {
      a.close();
      b.close();
      await Promise.all([direct.close(), viaFunction.close()]);
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.key]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }, 60000);
});

describe('skein serve with executors.mode = "lambda"', () => {
  let lake: string;
  let scratch: string;
  let fn: LambdaFunction[];
  let single: RunningServer;
  let viaLambda: RunningServer;
  let a: RawFlight;
  let b: RawFlight;
  const USER = { username: 'lam', password: 'pw-lam' };

  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    // the coordinator finds credentials as on AWS: the SDK's default chain (here, the environment)
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    lake = mkdtempSync(join(tmpdir(), 'skein-lambda-serve-'));
    scratch = mkdtempSync(join(tmpdir(), 'skein-lambda-scratch-'));
    mkdirSync(join(lake, 'main', 'items'), { recursive: true });
    const { readFileSync } = await import('node:fs');
    for (const [i, f] of data.files.entries()) writeFileSync(join(lake, 'main', 'items', `part-${i}.parquet`), readFileSync(f));
    fn = await Promise.all(
      [1, 2].map(() =>
        startLambdaFunction({
          handler: 'engine',
          env: { SKEIN_EXECUTOR_SECRET: SECRET, SKEIN_EXECUTOR_THREADS: '1', SKEIN_ALLOWED_DIRECTORIES: `${lake}:${scratch}` },
        }),
      ),
    );
    const base = { port: 0, users: [USER], catalog: { root: lake, refreshSeconds: 600 } };
    single = await startServer(loadConfig({ env: {}, overrides: base }));
    viaLambda = await startServer(
      loadConfig({
        env: {},
        overrides: {
          ...base,
          executors: {
            mode: 'lambda',
            count: 2,
            slots: 1,
            secret: SECRET,
            scratchDirectory: scratch,
            lambda: { functionName: 'function', endpoints: fn.map((f) => f.url), concurrency: 2, endpointConcurrency: 1 },
          },
        },
      }),
    );
    a = new RawFlight(single.port, USER.username, USER.password, 30_000);
    b = new RawFlight(viaLambda.port, USER.username, USER.password, 30_000);
    await Promise.all([a.authenticate(), b.authenticate()]);
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    await Promise.all([single?.close(), viaLambda?.close()]);
    await Promise.all((fn ?? []).map((f) => f.stop()));
    for (const d of [lake, scratch]) if (d) rmSync(d, { recursive: true, force: true });
    for (const [k, v] of [['AWS_ACCESS_KEY_ID', savedEnv.id], ['AWS_SECRET_ACCESS_KEY', savedEnv.key]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it.each([
    ['scan with a filter', `SELECT id, name, amount FROM items WHERE ${WHERE}`],
    ['partial aggregation', 'SELECT g, count(*) AS n, sum(amount) AS s, min(day) AS d, avg(id) AS a FROM items GROUP BY g'],
    ['top-N', 'SELECT id, amount FROM items WHERE amount IS NOT NULL ORDER BY amount DESC, id LIMIT 17'],
    ['a self join', 'SELECT x.g, count(*) AS n FROM items x JOIN items y ON x.id = y.id + 1 WHERE x.g < 3 GROUP BY x.g'],
  ])('%s: the same answer as single-node DuckDB', async (_name, sql) => {
    const [want, got] = await Promise.all([a.query(sql), b.query(sql)]);
    expect(got.schema.fields.map(String)).toEqual(want.schema.fields.map(String));
    const rows = (t: typeof want): unknown[][] => sorted(arrowRows(t.batches));
    expect(rows(got)).toEqual(rows(want));
    expect(want.numRows).toBeGreaterThan(0);
  });

  it('the fragments ran on the Lambda functions', async () => {
    expect(viaLambda.executors?.status().every((s) => s.address === 'lambda:function')).toBe(true);
    expect(viaLambda.executors?.stats.completed).toBeGreaterThan(0);
    expect(fn.every((f) => /START RequestId/.test(f.output()))).toBe(true);
  });
});

describe('the deployment bundle (scripts/package-lambda.sh)', () => {
  let dir: string;
  let zip: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'skein-lambda-zip-'));
    zip = join(dir, 'lambda.zip');
    execFileSync('bash', [join(REPO, 'scripts', 'package-lambda.sh'), zip], { env: { ...process.env, SKEIN_PACKAGE_NO_BUILD: '1' }, stdio: 'pipe' });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Python's zipfile (no unzip needed): "list" prints "mode name" lines; "extract" keeps file modes. */
  function zipTool(op: 'list' | 'extract', to = ''): string {
    const code = `
import os, sys, zipfile
op, path, to = sys.argv[1:]
with zipfile.ZipFile(path) as z:
    for i in z.infolist():
        mode = (i.external_attr >> 16) & 0o777
        if op == "list":
            print(oct(mode), i.filename)
        else:
            z.extract(i, to)
            if mode:
                os.chmod(os.path.join(to, i.filename), mode)
`;
    return execFileSync(VENV_PYTHON, ['-c', code, op, zip, to], { encoding: 'utf8', maxBuffer: 64 << 20 });
  }

  it('holds the bootstrap, dist/, and production node_modules with DuckDB\'s Linux x64 binary, no dev tools', () => {
    const listed = zipTool('list').trim().split('\n').map((l) => l.split(' '));
    const modes = new Map(listed.map(([mode, name]) => [name, mode]));
    for (const f of [
      'bootstrap',
      'package.json',
      'proto/Flight.proto',
      'dist/src/executors/lambda/runtime.js',
      'dist/src/executors/lambda/index.js',
      'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node',
      'node_modules/@duckdb/node-api/package.json',
      'node_modules/apache-arrow/package.json',
      'node_modules/@aws-sdk/client-s3/package.json',
      'node_modules/zod/package.json',
    ]) {
      expect(modes.has(f)).toBe(true);
    }
    const names = [...modes.keys()];
    for (const dev of ['typescript', 'jest', 'ts-jest', '@types/jest']) {
      expect(names.some((e) => e.startsWith(`node_modules/${dev}/`))).toBe(false);
    }
    // the bootstrap must stay executable inside the zip
    expect(modes.get('bootstrap')).toBe('0o755');
  });

  it('runs unpacked, on its own, under the Lambda emulator: the bundle is complete', async () => {
    const root = join(dir, 'task');
    mkdirSync(root);
    zipTool('extract', root);
    expect(statSync(join(root, 'bootstrap')).mode & 0o111).not.toBe(0);
    const fn = await startLambdaFunction({
      handler: 'engine',
      taskRoot: root,
      env: { SKEIN_EXECUTOR_SECRET: SECRET, SKEIN_EXECUTOR_THREADS: '1', SKEIN_ALLOWED_DIRECTORIES: data.dir },
    });
    const [executor] = startLambdaExecutors(1, settings({ endpoints: [fn.url], resultPrefix: undefined }), 30_000, openStores());
    try {
      const f = scanFragment('bundle', [data.files[0]], 'g, count(*) AS n', 'TRUE GROUP BY g ORDER BY g');
      const r = await executor.run(signFragment(f, SECRET), new AbortController().signal);
      const batches = [];
      for await (const b of r.batches) batches.push(b);
      expect(arrowRows(batches)).toEqual(await duckdbRows(f.sql));
    } finally {
      await executor.close();
      await fn.stop();
    }
  });
});
