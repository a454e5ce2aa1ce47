// store.readBytesPerSecond: get() bytes of one Stores object are paced to the configured rate, shared
// by concurrent reads; off by default. Timing bounds are loose on purpose: this checks that the
// throttle works, it is not a benchmark (bench/ fanout measures with it).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { ReadThrottle } from '../../../src/store/read-throttle';
import { storeConfigFromEnv } from '../../../src/store/executor-cache';
import { storeSchema } from '../../../src/store/store-config';
import { openStores, Stores } from '../../../src/store/stores';

const MB = 1_000_000;
let dir: string;
let file: string;
const opened: Stores[] = [];

function stores(readBytesPerSecond?: number): Stores {
  const s = openStores(storeSchema.parse(readBytesPerSecond ? { readBytesPerSecond } : {}));
  opened.push(s);
  return s;
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-throttle-'));
  file = join(dir, 'ten-mb.bin');
  writeFileSync(file, Buffer.alloc(10 * MB, 7));
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

test('10 MB at 50 MB/s takes about 0.2 s, and the bytes are intact', async () => {
  const s = stores(50 * MB);
  let got: Buffer = Buffer.alloc(0);
  const t = await seconds(async () => (got = await s.forUri(file).get(file)));
  expect(got.length).toBe(10 * MB);
  expect(got.every((b) => b === 7)).toBe(true);
  expect(t).toBeGreaterThanOrEqual(0.19);
  expect(t).toBeLessThan(1.0);
});

test('concurrent reads share one rate: 4 × 2.5 MB ranges at 50 MB/s also take about 0.2 s', async () => {
  const s = stores(50 * MB);
  const store = s.forUri(file);
  const quarter = 2.5 * MB;
  let parts: Buffer[] = [];
  const t = await seconds(async () => {
    parts = await Promise.all([0, 1, 2, 3].map((i) => store.get(file, { start: i * quarter, end: (i + 1) * quarter })));
  });
  expect(parts.map((p) => p.length)).toEqual([quarter, quarter, quarter, quarter]);
  expect(t).toBeGreaterThanOrEqual(0.19);
  expect(t).toBeLessThan(1.0);
});

test('two Stores objects (two executors) each get the full rate', async () => {
  const [a, b] = [stores(20 * MB), stores(20 * MB)];
  const t = await seconds(() => Promise.all([a.forUri(file).get(file), b.forUri(file).get(file)]));
  expect(t).toBeGreaterThanOrEqual(0.49);
  expect(t).toBeLessThan(0.9); // one shared rate would need ≥ 1 s
});

test('off by default: no pacing', async () => {
  const s = stores();
  expect(s.config.readBytesPerSecond).toBeUndefined();
  const t = await seconds(() => s.forUri(file).get(file));
  expect(t).toBeLessThan(0.19);
});

test('an idle spell buys no burst', async () => {
  const throttle = new ReadThrottle(50 * MB);
  await throttle.pace(1 * MB, performance.now());
  await new Promise((r) => setTimeout(r, 100));
  // 5 MB after 100 ms idle still takes its 0.1 s
  const t = await seconds(() => throttle.pace(5 * MB, performance.now()));
  expect(t).toBeGreaterThanOrEqual(0.09);
});

test('configured by file or SKEIN_STORE_READ_BYTES_PER_SECOND, reaches executors, refuses nonsense', () => {
  expect(loadConfig({ env: { SKEIN_STORE_READ_BYTES_PER_SECOND: '100000000' } }).store.readBytesPerSecond).toBe(100 * MB);
  expect(loadConfig({ env: {}, overrides: { store: { readBytesPerSecond: 5 * MB } } }).store.readBytesPerSecond).toBe(5 * MB);
  // child executors get the coordinator's store config as JSON
  expect(storeConfigFromEnv({ SKEIN_STORE_CONFIG: JSON.stringify({ readBytesPerSecond: 7 * MB }) }).readBytesPerSecond).toBe(7 * MB);
  expect(() => loadConfig({ env: {}, overrides: { store: { readBytesPerSecond: 0 } } })).toThrow(/readBytesPerSecond/);
  expect(() => loadConfig({ env: { SKEIN_STORE_READ_BYTES_PER_SECOND: 'fast' } })).toThrow(/SKEIN_STORE_READ_BYTES_PER_SECOND/);
});
