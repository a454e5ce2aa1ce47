// Executor discovery with real executor servers (in this process, on loopback ports) registering
// through heartbeats: the pool grows from nothing to the registered executors and answers exactly,
// advertised files steer fragments (cache affinity), an executor whose heartbeat stops is forgotten
// after the TTL (not before), and with none left a query fails UNAVAILABLE instead of waiting.
import { status } from '@grpc/grpc-js';
import { ExecutorServer } from '../../../src/executors/flight-executor-server';
import { ExecutorPool, FragmentOutput } from '../../../src/executors/pool';
import { ExecutorDiscovery } from '../../../src/registry/discovery';
import { ExecutorHeartbeat } from '../../../src/registry/heartbeat';
import { MemoryRegistry } from '../../../src/registry/memory-registry';
import { arrowRows, duckdbRows, fileList, makeParquet, ParquetFixture, scanFragment, sorted } from '../executors/parquet-fixture';

const SECRET = 'discovery-test-secret-0123';
const SELECT = 'id, g, name, amount';
const WHERE = 'g IN (2, 3) AND amount > 10';

async function all(it: AsyncIterable<FragmentOutput>): Promise<FragmentOutput[]> {
  const out: FragmentOutput[] = [];
  for await (const o of it) out.push(o);
  return out;
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let data: ParquetFixture;
const servers: ExecutorServer[] = [];
const beats: ExecutorHeartbeat[] = [];
const registry = new MemoryRegistry({ retentionMs: 60_000, maxEntries: 100 });

async function startExecutor(id: string): Promise<{ server: ExecutorServer; beat: ExecutorHeartbeat }> {
  const server = await ExecutorServer.open({ id, secret: SECRET, allowedDirectories: [data.dir] });
  servers.push(server);
  const port = await server.listen('127.0.0.1', 0);
  const beat = new ExecutorHeartbeat(
    registry,
    () => ({ id, address: `grpc://127.0.0.1:${port}`, running: server.status().running, slots: 2, files: server.recentFiles.digests(), version: 't', startedAt: 0 }),
    { intervalMs: 100, ttlMs: 600 },
  );
  beats.push(beat);
  expect(await beat.start()).toBe(true);
  return { server, beat };
}

beforeAll(async () => {
  data = await makeParquet(4, 5000);
});

afterAll(async () => {
  await Promise.all(beats.map((b) => b.stop()));
  await Promise.all(servers.map((s) => s.close()));
  data?.remove();
});

it('discovers executors, prefers advertised files, forgets silent ones after the TTL', async () => {
  const one = await startExecutor('d1');
  const two = await startExecutor('d2');
  // d2 says it read files[1] lately (as if an earlier coordinator had sent it there)
  two.server.recentFiles.record(scanFragment('warm', [data.files[1]], 'count(*)'));
  await two.beat.start();

  const pool = new ExecutorPool([], { secret: SECRET, slots: 2, dynamic: true });
  const discovery = await ExecutorDiscovery.start(pool, registry, { intervalMs: 100, ttlMs: 600, fragmentTimeoutMs: 30_000 });
  try {
    expect(discovery.discovered).toEqual(['d1', 'd2']);
    expect(pool.size).toBe(2);

    // cache affinity from the registry: the fragment over files[1] goes to d2 although d1 is first
    const [warm] = await all(pool.runAll([scanFragment('w', [data.files[1]], SELECT, WHERE)]));
    expect(warm.executor).toBe('d2');

    const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
    const expected = sorted(await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`));
    const outs = await all(pool.runAll(fragments));
    expect(new Set(outs.map((o) => o.executor))).toEqual(new Set(['d1', 'd2']));
    expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(expected);

    // d2 goes silent (deregistered): still known within the TTL, forgotten after it
    const silentAt = Date.now();
    await two.beat.stop();
    await new Promise((r) => setTimeout(r, 250));
    expect(pool.size).toBe(2);
    await until('d2 forgotten', () => pool.size === 1);
    // a TTL after its last heartbeat, which may have been a beat interval (or a late timer) before
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(300);
    expect(discovery.discovered).toEqual(['d1']);
    const after = await all(pool.runAll(fragments));
    expect(new Set(after.map((o) => o.executor))).toEqual(new Set(['d1']));
    expect(sorted(after.flatMap((o) => arrowRows(o.batches)))).toEqual(expected);

    // nobody left: a query fails at once with UNAVAILABLE rather than waiting for an executor
    await one.beat.stop();
    await until('d1 forgotten', () => pool.size === 0);
    const err = await all(pool.runAll(fragments)).catch((e: { code?: number }) => e);
    expect((err as { code?: number }).code).toBe(status.UNAVAILABLE);
  } finally {
    await discovery.stop();
    await pool.close();
  }
});
