// Fargate and EC2 executors: the coordinator's ECS calls (RunTask / DescribeTasks / StopTask) run
// against moto in server mode; moto's tasks have made-up IPs, so the executors behind them are local
// `skein executor` processes (from dist/: run `npm run build` first). The EC2 "monostore" is one
// remote executor the coordinator is pointed at by config (executors.mode = "remote").
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import { status } from '@grpc/grpc-js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { loadConfig, RegistryConfig, registrySchema } from '../../../src/config';
import { ChildProcessExecutor, startChildExecutors } from '../../../src/executors/child-process';
import { ecsSchema } from '../../../src/executors/cloud-config';
import { FargateExecutor, FargateFleetOptions, startFargateExecutors, watchFargateFleets } from '../../../src/executors/ecs/fargate';
import { ExecutorPool } from '../../../src/executors/pool';
import { openRegistry } from '../../../src/registry/open';
import { freePort, MOTO_CREDENTIALS, Service, startMoto, startRedis } from '../../services/services';
import { arrowRows, duckdbRows, fileList, makeParquet, ParquetFixture, scanFragment, sorted } from '../../unit/executors/parquet-fixture';
import { all, failure } from './pool-helpers';
import { RawFlight } from './raw-flight';

jest.setTimeout(120_000);

const SECRET = 'fargate-executor-secret-0123';
const SELECT = 'id, g, name, amount, day';
const WHERE = 'g < 6';
const CLUSTER = 'skein-test';
const FAMILY = 'skein-executor';

let moto: Service;
let ecs: ECSClient;
let subnet: string;
let data: ParquetFixture;
let local: ChildProcessExecutor[] = [];

/** moto's ECS task lifecycle: `times` DescribeTasks calls per step (RUNNING → DEACTIVATING → … → STOPPED). */
async function taskLifecycle(times: number): Promise<void> {
  const r = await fetch(`${moto.url}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'ecs::task', transition: { progression: 'manual', times } }),
  });
  expect(r.status).toBeLessThan(300);
}

/** A subnet of moto's default VPC (an EC2 Query API call; the test has no EC2 client). */
async function defaultSubnet(): Promise<string> {
  const r = await fetch(moto.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=skein-test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: 'Action=DescribeSubnets&Version=2016-11-15',
  });
  const id = /<subnetId>([^<]+)<\/subnetId>/.exec(await r.text())?.[1];
  if (!id) throw new Error('moto has no default subnet');
  return id;
}

function fleetOptions(more: Partial<FargateFleetOptions> = {}, config: Record<string, unknown> = {}): FargateFleetOptions {
  return {
    config: ecsSchema.parse({ cluster: CLUSTER, taskDefinition: FAMILY, subnets: [subnet], securityGroups: ['sg-skein'], endpoint: moto.url, startTimeoutSeconds: 10, ...config }),
    credentials: MOTO_CREDENTIALS,
    pollMs: 100,
    // moto's tasks have made-up IPs: task i is served by local executor i
    addressOf: (_t, i) => (local[i].status().address as string).replace(/^grpc:\/\//, ''),
    environment: { SKEIN_LOG_LEVEL: 'info' },
    ...more,
  };
}

async function runningTasks(): Promise<string[]> {
  const r = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'RUNNING' }));
  return r.taskArns ?? [];
}

beforeAll(async () => {
  moto = await startMoto();
  ecs = new ECSClient({ region: 'us-east-1', endpoint: moto.url, credentials: MOTO_CREDENTIALS });
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '1024',
      memory: '2048',
      containerDefinitions: [
        {
          name: 'skein-executor',
          image: 'skein:test',
          cpu: 1024,
          memory: 2048,
          portMappings: [{ containerPort: 31338 }],
          // the secret comes from Secrets Manager, never from the coordinator's overrides
          secrets: [{ name: 'SKEIN_EXECUTOR_SECRET', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:skein-executor' }],
        },
      ],
    }),
  );
  subnet = await defaultSubnet();
  data = await makeParquet(6, 10_000);
  local = await startChildExecutors(2, { secret: SECRET, threads: 1, allowedDirectories: [data.dir], timeoutMs: 60_000 });
});

afterAll(async () => {
  await Promise.all(local.map((e) => e.close()));
  ecs?.destroy();
  await moto?.stop();
  data?.remove();
});

describe('Fargate executors (ECS on moto)', () => {
  it('RunTask starts the executors, DescribeTasks sees them RUNNING, fragments run on them, StopTask stops them', async () => {
    await taskLifecycle(10_000);
    const executors = await startFargateExecutors(2, fleetOptions(), 30_000);
    const arns = executors.map((e) => e.taskArn);
    expect(new Set(arns).size).toBe(2);
    expect((await runningTasks()).sort()).toEqual([...arns].sort());

    const described = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
    for (const t of described.tasks ?? []) {
      expect(t.lastStatus).toBe('RUNNING');
      expect(t.launchType).toBe('FARGATE');
      expect(t.startedBy).toBe('skein-coordinator');
      const o = t.overrides?.containerOverrides?.[0];
      expect(o?.name).toBe('skein-executor');
      expect(o?.command).toEqual(['executor', '--host', '0.0.0.0', '--port', '31338']);
      expect(o?.environment).toEqual([{ name: 'SKEIN_LOG_LEVEL', value: 'info' }]);
      const eni = t.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
      expect(eni?.details?.find((d) => d.name === 'subnetId')?.value).toBe(subnet);
    }

    const pool = new ExecutorPool(executors, { secret: SECRET, slots: 2 });
    const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
    const outs = await all(pool.runAll(fragments, new AbortController().signal));
    expect(new Set(outs.map((o) => o.executor))).toEqual(new Set(['fargate-1', 'fargate-2']));
    const expected = await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`);
    expect(expected.length).toBeGreaterThan(10_000);
    expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(sorted(expected));

    await pool.close();
    const stopped = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }));
    for (const t of stopped.tasks ?? []) {
      expect(t.lastStatus).toBe('STOPPED');
      expect(t.desiredStatus).toBe('STOPPED');
      expect(t.stoppedReason).toMatch(/skein/);
    }
    expect(await runningTasks()).toEqual([]);
    // the executor processes themselves are not the tasks: still there for the next test
    expect((await local[0].remoteStatus()).running).toBe(0);
  });

  it('a task that stops while starting fails the start with UNAVAILABLE; no task is left running', async () => {
    await taskLifecycle(1); // every DescribeTasks moves a task one step towards STOPPED
    const err = await failure(startFargateExecutors(2, fleetOptions(), 30_000));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(err.message).toMatch(/executor task arn:aws:ecs:\S+ stopped while starting/);
    await taskLifecycle(10_000);
    expect(await runningTasks()).toEqual([]);
  });

  it('tasks RUNNING but no executor answering: DEADLINE_EXCEEDED, and the tasks are stopped', async () => {
    await taskLifecycle(10_000);
    const dead = await freePort();
    const err = await failure(startFargateExecutors(1, fleetOptions({ addressOf: () => `127.0.0.1:${dead}` }, { startTimeoutSeconds: 1 }), 30_000));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.message).toMatch(/not answering at 127\.0\.0\.1:\d+/);
    expect(await runningTasks()).toEqual([]);
  });

  it('an unknown task definition or cluster fails with FAILED_PRECONDITION naming it', async () => {
    const noDef = await failure(startFargateExecutors(1, fleetOptions({}, { taskDefinition: 'no-such-def' }), 30_000));
    expect(noDef.code).toBe(status.FAILED_PRECONDITION);
    expect(noDef.message).toMatch(/no-such-def/);
    const noCluster = await failure(startFargateExecutors(1, fleetOptions({}, { cluster: 'no-such-cluster' }), 30_000));
    expect(noCluster.code).toBe(status.FAILED_PRECONDITION);
    expect(noCluster.message).toMatch(/no-such-cluster/);
  });

  it('skein serve with executors.mode = "fargate": a start that cannot reach its executors fails, stopping its tasks', async () => {
    await taskLifecycle(10_000);
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
    try {
      const config = loadConfig({
        env: {},
        overrides: {
          port: 0,
          executors: {
            mode: 'fargate',
            count: 1,
            secret: SECRET,
            ecs: { cluster: CLUSTER, taskDefinition: FAMILY, subnets: [subnet], securityGroups: ['sg-skein'], endpoint: moto.url, port: await freePort(), startTimeoutSeconds: 1 },
          },
        },
      });
      // moto's made-up private IP answers nobody
      const err = await failure(startServer(config));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      expect(err.message).toMatch(/fargate-1 \(task arn:aws:ecs:/);
      expect(await runningTasks()).toEqual([]);
    } finally {
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.key]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

/** Runs `fn` with moto's credentials in the environment (a coordinator's ECS client reads them there). */
async function withMotoCredentials<T>(fn: () => Promise<T>): Promise<T> {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  try {
    return await fn();
  } finally {
    for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.key]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function argOf(command: readonly string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i >= 0 ? command[i + 1] : undefined;
}

/**
 * Plays the task containers: for each RUNNING task whose command names an executor id (and that
 * `serves` accepts), a local `skein executor` started with the task's registry arguments, registering
 * under that id with its own address (what the image's entrypoint does with --advertise in AWS).
 */
class TaskContainers {
  readonly byId = new Map<string, ChildProcessExecutor>();
  readonly commands = new Map<string, string[]>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly serves: (id: string) => boolean = () => true) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const arns = await runningTasks();
      const d = arns.length > 0 ? await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns })) : { tasks: [] };
      for (const t of d.tasks ?? []) {
        const command = t.overrides?.containerOverrides?.[0]?.command ?? [];
        const id = argOf(command, '--id');
        if (!id || this.commands.has(id) || this.stopped) continue;
        this.commands.set(id, command);
        if (!this.serves(id)) continue;
        const registry = registrySchema.parse({
          redisUrl: argOf(command, '--redis'),
          keyPrefix: argOf(command, '--redis-prefix'),
          heartbeatSeconds: Number(argOf(command, '--heartbeat-seconds')),
          ttlSeconds: Number(argOf(command, '--ttl-seconds')),
        });
        const child = await ChildProcessExecutor.start({ id, secret: SECRET, threads: 1, allowedDirectories: [data.dir], timeoutMs: 60_000, restart: false, registry });
        this.byId.set(id, child);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    try {
      await this.loop;
    } finally {
      await Promise.all([...this.byId.values()].map((c) => c.close()));
    }
  }
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Fargate executors found through the registry (Redis)', () => {
  let redis: Service;
  let rc: RegistryConfig;
  const PREFIX = 'fargate-test:';

  beforeAll(async () => {
    redis = await startRedis();
    rc = registrySchema.parse({ redisUrl: redis.url, keyPrefix: PREFIX, heartbeatSeconds: 0.5, ttlSeconds: 2 });
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('each task registers under the id in its command; fragments reach it at its record; tasks that stop or expire are dropped', async () => {
    await taskLifecycle(10_000);
    const containers = new TaskContainers();
    try {
      // registry mode never uses the DescribeTasks address
      const noAddress = (): string => {
        throw new Error('a registered task is reached at its record');
      };
      const executors = await startFargateExecutors(2, fleetOptions({ registry: rc, addressOf: noAddress }), 30_000);
      const ids = executors.map((e) => e.id);
      for (const id of ids) expect(id).toMatch(/^fargate-[0-9a-f]{8}-[12]$/);
      expect([...containers.byId.keys()].sort()).toEqual([...ids].sort());
      for (const e of executors) expect(`grpc://${e.remote.address}`).toBe(containers.byId.get(e.id)?.status().address);

      const described = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: executors.map((e) => e.taskArn) }));
      for (const t of described.tasks ?? []) {
        const command = t.overrides?.containerOverrides?.[0]?.command ?? [];
        const id = argOf(command, '--id') as string;
        expect(executors.find((e) => e.taskArn === t.taskArn)?.id).toBe(id);
        expect(command).toEqual([
          'executor', '--host', '0.0.0.0', '--port', '31338',
          '--redis', redis.url, '--redis-prefix', PREFIX, '--heartbeat-seconds', '0.5', '--ttl-seconds', '2', '--id', id,
        ]);
      }

      const pool = new ExecutorPool(executors, { secret: SECRET, slots: 2 });
      watchFargateFleets(pool, executors);
      try {
        const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
        const outs = await all(pool.runAll(fragments, new AbortController().signal));
        expect(new Set(outs.map((o) => o.executor))).toEqual(new Set(ids));
        const expected = await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`);
        expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(sorted(expected));

        // a task ECS stops (its container would exit) leaves the pool
        const [first, second] = executors as [FargateExecutor, FargateExecutor];
        await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: first.taskArn, reason: 'test: task stopped' }));
        await eventually('the stopped task to leave the pool', () => pool.size === 1);
        expect(pool.executors.map((e) => e.id)).toEqual([second.id]);

        // an executor whose registration expires (here: it deregisters) leaves, and its task is stopped
        await containers.byId.get(second.id)?.close();
        await eventually('the expired executor to leave the pool', () => pool.size === 0);
        await eventually('its task to stop', async () => (await runningTasks()).length === 0);
        const stopped = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [second.taskArn] }));
        expect(stopped.tasks?.[0]?.desiredStatus).toBe('STOPPED');
        expect(stopped.tasks?.[0]?.stoppedReason).toMatch(/skein/);
      } finally {
        await pool.close();
      }
    } finally {
      await containers.close();
    }
  });

  it('a task whose executor never registers fails the start with DEADLINE_EXCEEDED naming the task; every task is stopped', async () => {
    await taskLifecycle(10_000);
    const containers = new TaskContainers((id) => id.endsWith('-1'));
    try {
      const err = await failure(startFargateExecutors(2, fleetOptions({ registry: rc }, { startTimeoutSeconds: 3 }), 30_000));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      const silent = [...containers.commands.keys()].find((id) => id.endsWith('-2')) as string;
      expect(silent).toBeDefined();
      expect(err.message).toMatch(/executors never registered in the registry redis:\/\/127\.0\.0\.1:\d+\/? within 3 s: task arn:aws:ecs:\S+ \(executor fargate-[0-9a-f]{8}-2\)$/);
      expect(err.message).toContain(`(executor ${silent})`);
      expect(containers.byId.size).toBe(1);
      expect(await runningTasks()).toEqual([]);
    } finally {
      await containers.close();
    }
  });

  it('skein serve with executors.mode = "fargate" and registry.redisUrl: the same answer as DuckDB, run on the registered tasks', async () => {
    await taskLifecycle(10_000);
    const lake = mkdtempSync(join(data.dir, 'lake-'));
    mkdirSync(join(lake, 'main', 'items'), { recursive: true });
    for (const [i, f] of data.files.entries()) writeFileSync(join(lake, 'main', 'items', `part-${i}.parquet`), readFileSync(f));
    const user = { username: 'fargate', password: 'pw-fargate' };
    const containers = new TaskContainers();
    let server: RunningServer | undefined;
    let client: RawFlight | undefined;
    const registry = await openRegistry(rc);
    try {
      const config = loadConfig({
        env: {},
        overrides: {
          port: 0,
          users: [user],
          catalog: { root: lake, refreshSeconds: 600 },
          registry: { redisUrl: redis.url, keyPrefix: PREFIX, heartbeatSeconds: 0.5, ttlSeconds: 2 },
          executors: {
            mode: 'fargate',
            count: 2,
            secret: SECRET,
            ecs: { cluster: CLUSTER, taskDefinition: FAMILY, subnets: [subnet], securityGroups: ['sg-skein'], endpoint: moto.url, startTimeoutSeconds: 20 },
          },
        },
      });
      server = await withMotoCredentials(() => startServer(config));
      const ids = (server.executors?.executors ?? []).map((e) => e.id).sort();
      expect(ids).toEqual([...containers.byId.keys()].sort());
      expect(ids).toHaveLength(2);

      client = new RawFlight(server.port, user.username, user.password, 30_000);
      await client.authenticate();
      const sql = 'SELECT g, count(*) AS n, sum(amount) AS s, max(day) AS d FROM items WHERE g < 6 GROUP BY g';
      const got = await client.query(sql);
      const want = await duckdbRows(sql.replace('FROM items', `FROM read_parquet(${fileList(data.files)})`));
      expect(want.length).toBe(6);
      expect(sorted(arrowRows(got.batches))).toEqual(sorted(want));
      // the query log (in the same Redis) names the tasks' executors
      await eventually('the query log entry', async () => (await registry.queryRange({ limit: 5 })).some((e) => e.query === sql));
      const entry = (await registry.queryRange({ limit: 5 })).find((e) => e.query === sql);
      expect(entry?.executors.length).toBeGreaterThan(0);
      for (const id of entry?.executors ?? []) expect(ids).toContain(id);
    } finally {
      client?.close();
      await server?.close();
      await containers.close();
      await registry.close();
      rmSync(lake, { recursive: true, force: true });
    }
    expect(await runningTasks()).toEqual([]);
  });
});

describe('EC2 monostore: the coordinator pointed at one big remote executor (executors.mode = "remote")', () => {
  let lake: string;
  let single: RunningServer;
  let mono: RunningServer;
  let whole: RunningServer;
  let a: RawFlight;
  let b: RawFlight;
  let c: RawFlight;
  const USER = { username: 'mono', password: 'pw-mono' };

  beforeAll(async () => {
    // inside data.dir, which the executor's sandbox allows
    lake = mkdtempSync(join(data.dir, 'lake-'));
    mkdirSync(join(lake, 'main', 'items'), { recursive: true });
    for (const [i, f] of data.files.entries()) writeFileSync(join(lake, 'main', 'items', `part-${i}.parquet`), readFileSync(f));
    const base = { port: 0, users: [USER], catalog: { root: lake, refreshSeconds: 600 } };
    single = await startServer(loadConfig({ env: {}, overrides: base }));
    const bigExecutor = (local[0].status().address as string).replace(/^grpc:\/\//, '');
    mono = await startServer(loadConfig({ env: {}, overrides: { ...base, executors: { mode: 'remote', addresses: [bigExecutor], secret: SECRET, slots: 4 } } }));
    // monostore: true — whole statements (joins, aggregation, the merge) run on the big executor
    whole = await startServer(loadConfig({ env: {}, overrides: { ...base, executors: { mode: 'remote', addresses: [bigExecutor], secret: SECRET, monostore: true } } }));
    a = new RawFlight(single.port, USER.username, USER.password, 30_000);
    b = new RawFlight(mono.port, USER.username, USER.password, 30_000);
    c = new RawFlight(whole.port, USER.username, USER.password, 30_000);
    await Promise.all([a.authenticate(), b.authenticate(), c.authenticate()]);
  });

  afterAll(async () => {
    a?.close();
    b?.close();
    c?.close();
    await Promise.all([single?.close(), mono?.close(), whole?.close()]);
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it.each([
    ['partial aggregation', 'SELECT g, count(*) AS n, sum(amount) AS s, max(day) AS d FROM items GROUP BY g'],
    ['a join', 'SELECT x.g, count(*) AS n FROM items x JOIN items y ON x.id = y.id + 1 WHERE x.g < 4 GROUP BY x.g'],
  ])('%s: the same answer as single-node DuckDB, every fragment on the one executor', async (_name, sql) => {
    const [want, got] = await Promise.all([a.query(sql), b.query(sql)]);
    expect(got.schema.fields.map(String)).toEqual(want.schema.fields.map(String));
    expect(sorted(arrowRows(got.batches))).toEqual(sorted(arrowRows(want.batches)));
    expect(mono.executors?.size).toBe(1);
    expect(mono.executors?.status()[0].address).toBe(local[0].status().address);
  });

  it.each([
    ['a correlated subquery', 'SELECT x.g, count(*) AS n FROM items x WHERE x.amount > (SELECT avg(y.amount) FROM items y WHERE y.g = x.g) GROUP BY x.g ORDER BY x.g'],
    ['a window over everything', 'SELECT id, g, sum(amount) OVER (PARTITION BY g ORDER BY id) AS running FROM items ORDER BY id LIMIT 50'],
  ])('monostore: %s runs whole on the big executor, DuckDB\'s answer in order', async (_name, sql) => {
    const [want, got, plan] = await Promise.all([a.query(sql), c.query(sql), c.query(`EXPLAIN ${sql}`)]);
    expect(got.schema.fields.map(String)).toEqual(want.schema.fields.map(String));
    expect(arrowRows(got.batches)).toEqual(arrowRows(want.batches));
    const text = arrowRows(plan.batches).map((r) => r.join(' ')).join('\n');
    expect(text).toMatch(/stage s0 \(whole-statement\)/);
    expect(text).toMatch(/monostore: the whole statement runs on the one big executor/);
  });

  it('a monostore is one executor: other settings are refused at start-up', () => {
    expect(() => loadConfig({ env: {}, overrides: { executors: { mode: 'remote', addresses: ['a:1', 'b:2'], secret: SECRET, monostore: true } } })).toThrow(/executors\.monostore/);
  });
});
