// One conformance suite run against both registries (in-memory and a real redis-server): executor
// records expire after their TTL unless heartbeats refresh them, deregistration, and the query log
// ranged by time, filtered by user, limited to the newest. Then what only Redis has: keys under the
// prefix, JSON string documents on a server without RedisJSON, and fail-fast errors while Redis is
// down that clear up when it comes back on the same port.
import { status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { MemoryRegistry } from '../../../src/registry/memory-registry';
import { RedisRegistry } from '../../../src/registry/redis-registry';
import { ExecutorRecord, QueryLogEntry, Registry } from '../../../src/registry/registry';
import { Service, startRedis } from '../../services/services';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function record(id: string, over: Partial<ExecutorRecord> = {}): ExecutorRecord {
  return { id, address: `grpc://127.0.0.1:${4000 + id.length}`, running: 1, slots: 2, files: ['abc', 'def'], version: 'test', startedAt: 1, heartbeatAt: Date.now(), ...over };
}

function entry(at: number, over: Partial<QueryLogEntry> = {}): QueryLogEntry {
  return {
    id: ulid(at),
    queryId: `q-${at}`,
    kind: 'query',
    query: `SELECT ${at}`,
    user: 'alice',
    startedAt: new Date(at).toISOString(),
    durationMs: 1.5,
    rows: 1,
    bytesScanned: 1234,
    executors: ['e1', 'e2'],
    cacheUri: null,
    error: null,
    ...over,
  };
}

let redis: Service;
const registries: Registry[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await Promise.all(registries.map((r) => r.close()));
  await redis?.stop();
});

const BACKENDS: Array<[string, () => Promise<Registry>]> = [
  ['memory', async () => new MemoryRegistry({ retentionMs: 3600_000, maxEntries: 1000 })],
  [
    'redis',
    async () =>
      RedisRegistry.open({ url: redis.url, keyPrefix: `t${registries.length}:`, commandTimeoutMs: 1000, retentionMs: 3600_000, maxEntries: 1000 }),
  ],
];

describe.each(BACKENDS)('%s registry', (_name, open) => {
  let reg: Registry;

  beforeAll(async () => {
    reg = await open();
    registries.push(reg);
  });

  it('keeps an executor alive while heartbeats come, forgets it after the TTL', async () => {
    await reg.heartbeat(record('a'), 400);
    await reg.heartbeat(record('b', { files: [] }), 400);
    expect((await reg.liveExecutors()).map((r) => r.id).sort()).toEqual(['a', 'b']);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await reg.heartbeat(record('a', { running: i }), 400); // only a keeps beating
    }
    const live = await reg.liveExecutors();
    expect(live.map((r) => r.id)).toEqual(['a']);
    expect(live[0]).toMatchObject({ address: 'grpc://127.0.0.1:4001', running: 3, slots: 2, files: ['abc', 'def'] });
    await reg.deregister('a');
    expect(await reg.liveExecutors()).toEqual([]);
  });

  it('ranges the query log by time, by user, newest within the limit, oldest first', async () => {
    const t0 = Date.UTC(2030, 0, 1);
    const all = Array.from({ length: 10 }, (_, i) => entry(t0 + i * 1000, { user: i % 2 === 0 ? 'alice' : 'bob', error: i === 3 ? 'INVALID_ARGUMENT: bad' : null }));
    for (const e of [...all].reverse()) await reg.append(e); // out of order on purpose
    expect(await reg.queryRange({ since: t0, until: t0 + 9000 })).toEqual(all);
    expect(await reg.queryRange({ since: t0 + 2000, until: t0 + 4000 })).toEqual(all.slice(2, 5));
    expect(await reg.queryRange({ since: t0, limit: 3 })).toEqual(all.slice(7));
    expect(await reg.queryRange({ since: t0, user: 'bob', limit: 2 })).toEqual([all[7], all[9]]);
    expect(await reg.queryRange({ until: t0 - 1 })).toEqual([]);
    expect(await reg.queryById(all[3].id)).toEqual(all[3]);
    expect(await reg.queryById(ulid())).toBeNull();
  });
});

describe('redis specifics', () => {
  it('stores entries as JSON strings under the prefix when the server has no RedisJSON', async () => {
    const reg = await RedisRegistry.open({ url: redis.url, keyPrefix: 'pfx:', commandTimeoutMs: 1000, retentionMs: 60_000, maxEntries: 3 });
    registries.push(reg);
    const raw = new Redis(redis.url);
    try {
      const now = Date.now();
      const es = [0, 1, 2, 3].map((i) => entry(now + i));
      for (const e of es) await reg.append(e);
      expect(await raw.call('MODULE', 'LIST')).toEqual([]);
      expect(await raw.type(`pfx:log:${es[0].id}`)).toBe('string');
      expect(JSON.parse((await raw.get(`pfx:log:${es[3].id}`)) as string)).toEqual(es[3]);
      const ttl = await raw.ttl(`pfx:log:${es[0].id}`);
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      // the index keeps at most maxEntries (the oldest left)
      expect(await raw.zrange('pfx:log', '0', '-1')).toEqual(es.slice(1).map((e) => e.id));
      await reg.heartbeat(record('x'), 5000);
      expect(await raw.pttl('pfx:executor:x')).toBeGreaterThan(4000);
      expect(await raw.zrange('pfx:executors', '0', '-1')).toEqual(['x']);
    } finally {
      raw.disconnect();
    }
  });

  it('fails fast (UNAVAILABLE) while Redis is down and works again when it returns on the same port', async () => {
    const own = await startRedis();
    const reg = await RedisRegistry.open({ url: own.url, keyPrefix: 'f:', commandTimeoutMs: 1000, retentionMs: 60_000, maxEntries: 100 });
    registries.push(reg);
    try {
      await reg.heartbeat(record('y'), 5000);
      await own.stop();
      const t = Date.now();
      const failures = await Promise.all([
        reg.heartbeat(record('y'), 5000).catch((e: { code?: number }) => e.code),
        reg.append(entry(Date.now())).catch((e: { code?: number }) => e.code),
        reg.liveExecutors().catch((e: { code?: number }) => e.code),
      ]);
      expect(failures).toEqual([status.UNAVAILABLE, status.UNAVAILABLE, status.UNAVAILABLE]);
      expect(Date.now() - t).toBeLessThan(1500);
      const again = await startRedis(own.port);
      own.stop = again.stop;
      // ioredis reconnects in the background (backoff ≤ 2 s)
      let live: ExecutorRecord[] | null = null;
      for (let i = 0; i < 50 && live === null; i++) {
        live = await reg.liveExecutors().catch(() => null);
        if (live === null) await sleep(100);
      }
      expect(live).toEqual([]); // a fresh server: nothing survived
      await reg.heartbeat(record('y'), 5000);
      expect((await reg.liveExecutors()).map((r) => r.id)).toEqual(['y']);
    } finally {
      await own.stop();
    }
  });

  it('open() with requireConnection fails at once with UNAVAILABLE naming the server (password hidden)', async () => {
    const dead = await startRedis();
    const url = `redis://:hunter2@127.0.0.1:${dead.port}`;
    await dead.stop();
    const err = await RedisRegistry.open({ url, keyPrefix: 's:', commandTimeoutMs: 500, retentionMs: 1000, maxEntries: 10, requireConnection: true }).catch(
      (e: { code?: number; message: string }) => e,
    );
    expect((err as { code?: number }).code).toBe(status.UNAVAILABLE);
    expect((err as Error).message).toContain(`127.0.0.1:${dead.port}`);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
