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
} from '@aws-sdk/client-ecs';
import { status } from '@grpc/grpc-js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { loadConfig } from '../../../src/config';
import { ChildProcessExecutor, startChildExecutors } from '../../../src/executors/child-process';
import { ecsSchema } from '../../../src/executors/cloud-config';
import { FargateFleetOptions, startFargateExecutors } from '../../../src/executors/ecs/fargate';
import { ExecutorPool } from '../../../src/executors/pool';
import { freePort, MOTO_CREDENTIALS, Service, startMoto } from '../../services/services';
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
