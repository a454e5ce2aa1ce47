// The background query log writer against a real redis-server: writes never throw or wait while
// Redis is down, entries wait in a bounded buffer (the oldest dropped beyond it), and everything
// still buffered is written once Redis is back on the same port.
import { ulid } from 'ulid';
import { QueryLogWriter } from '../../../src/registry/query-log-writer';
import { RedisRegistry } from '../../../src/registry/redis-registry';
import { QueryLogEntry } from '../../../src/registry/registry';
import { Service, startRedis } from '../../services/services';

function entry(i: number): QueryLogEntry {
  const at = Date.now() + i;
  return {
    id: ulid(at), queryId: `q${i}`, kind: 'query', query: `SELECT ${i}`, user: 'u', startedAt: new Date(at).toISOString(),
    durationMs: 1, rows: 1, bytesScanned: null, executors: [], cacheUri: null, error: null,
  };
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let redis: Service;
let reg: RedisRegistry;

beforeAll(async () => {
  redis = await startRedis();
  reg = await RedisRegistry.open({ url: redis.url, keyPrefix: 'w:', commandTimeoutMs: 1000, retentionMs: 3600_000, maxEntries: 1000 });
});

afterAll(async () => {
  await reg?.close();
  await redis?.stop();
});

it('writes in the background, buffers (bounded) while Redis is down, and catches up when it returns', async () => {
  const writer = new QueryLogWriter(reg, { maxBuffered: 5, maxBackoffMs: 200 });
  const first = [0, 1, 2].map(entry);
  for (const e of first) writer.write(e);
  await until('first entries written', () => writer.written === 3);
  expect((await reg.queryRange({})).map((e) => e.queryId)).toEqual(['q0', 'q1', 'q2']);

  await redis.stop();
  const t = Date.now();
  const later = [3, 4, 5, 6, 7, 8, 9].map(entry);
  for (const e of later) writer.write(e); // never throws, never waits
  expect(Date.now() - t).toBeLessThan(100);
  await until('the write failed and the entries wait', () => writer.pending === 5 && writer.dropped === 2);

  const again = await startRedis(redis.port);
  redis.stop = again.stop;
  await until('buffered entries written', () => writer.pending === 0, 15_000);
  // a fresh server: only what was buffered, the two oldest of the outage dropped
  expect((await reg.queryRange({})).map((e) => e.queryId)).toEqual(['q5', 'q6', 'q7', 'q8', 'q9']);
  await writer.close();
});
