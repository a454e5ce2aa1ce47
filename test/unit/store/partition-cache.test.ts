// The partition cache against a real S3-compatible server (moto): LRU bound with pinning, ETag
// change → refetch, one download for concurrent requests, restart rescans, missing object → NOT_FOUND.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFoundError } from '../../../src/errors';
import { emptyCacheStats, PartitionCache } from '../../../src/store/partition-cache';
import { storeSchema } from '../../../src/store/store-config';
import { openStores, Stores } from '../../../src/store/stores';
import { MOTO_CREDENTIALS, Service, startMoto } from '../../services/services';

let moto: Service;
let stores: Stores;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  const admin = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, credentials: { ...MOTO_CREDENTIALS } });
  await admin.send(new CreateBucketCommand({ Bucket: 'lake' }));
  admin.destroy();
  stores = openStores(storeSchema.parse({ s3: { endpoint: moto.url, forcePathStyle: true, accessKeyId: MOTO_CREDENTIALS.accessKeyId, secretAccessKey: MOTO_CREDENTIALS.secretAccessKey } }));
  dir = mkdtempSync(join(tmpdir(), 'skein-pcache-'));
});

afterAll(async () => {
  await stores?.close();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const KB = 1024;
const body = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

test('miss then hit; hive directories kept in the cached path; chunked download', async () => {
  const cache = await PartitionCache.open({ directory: join(dir, 'a'), maxBytes: 1 << 20, stores, chunkBytes: 100 });
  await stores.forUri('s3://lake/t/year=2024/f.parquet').put('s3://lake/t/year=2024/f.parquet', body(1000, 3));
  const stats = emptyCacheStats();
  const a = await cache.acquire('s3://lake/t/year=2024/f.parquet', stats);
  expect(stats).toEqual({ hits: 0, misses: 1, bytesFetched: 1000 });
  expect(a.path).toMatch(/\/year=2024\/f\.parquet$/);
  expect(readFileSync(a.path)).toEqual(body(1000, 3));
  a.release();
  const b = await cache.acquire('s3://lake/t/year=2024/f.parquet', stats);
  expect(stats).toEqual({ hits: 1, misses: 1, bytesFetched: 1000 });
  expect(b.path).toBe(a.path);
  b.release();
});

test('a changed object (new ETag) is fetched again, never served stale', async () => {
  const cache = await PartitionCache.open({ directory: join(dir, 'b'), maxBytes: 1 << 20, stores });
  const uri = 's3://lake/t/changing.parquet';
  await stores.forUri(uri).put(uri, body(10, 1));
  const stats = emptyCacheStats();
  const old = await cache.acquire(uri, stats);
  old.release();
  await stores.forUri(uri).put(uri, body(20, 2));
  const fresh = await cache.acquire(uri, stats);
  expect(stats.misses).toBe(2);
  expect(readFileSync(fresh.path)).toEqual(body(20, 2));
  expect(existsSync(old.path)).toBe(false); // the old version is dropped
  expect(cache.held().filter((h) => h.uri === uri)).toHaveLength(1);
  fresh.release();
});

test('LRU bound: least recently used unpinned files go; pinned ones stay', async () => {
  const cache = await PartitionCache.open({ directory: join(dir, 'c'), maxBytes: 1 << 20, stores });
  const uris = [0, 1, 2, 3].map((i) => `s3://lake/lru/f${i}.parquet`);
  for (const u of uris) await stores.forUri(u).put(u, body(400 * KB, 9));
  const f0 = await cache.acquire(uris[0]); // pinned throughout
  (await cache.acquire(uris[1])).release();
  (await cache.acquire(uris[2])).release(); // 1.2 MB > 1 MiB: f1 (LRU, unpinned) goes
  expect(cache.held().map((h) => h.uri).sort()).toEqual([uris[0], uris[2]]);
  expect(cache.size).toBeLessThanOrEqual(1 << 20);
  const f2 = await cache.acquire(uris[2]); // touch f2
  f2.release();
  (await cache.acquire(uris[3])).release(); // f0 pinned, f2 recently used: only room by evicting f2
  expect(cache.held().map((h) => h.uri).sort()).toEqual([uris[0], uris[3]]);
  expect(existsSync(f0.path)).toBe(true);
  f0.release();
});

test('concurrent requests for one object download it once', async () => {
  const cache = await PartitionCache.open({ directory: join(dir, 'd'), maxBytes: 1 << 20, stores });
  const uri = 's3://lake/t/shared.parquet';
  await stores.forUri(uri).put(uri, body(50 * KB, 5));
  const stats = emptyCacheStats();
  const got = await Promise.all(Array.from({ length: 8 }, () => cache.acquire(uri, stats)));
  expect(stats.misses).toBe(1);
  expect(stats.hits).toBe(7);
  expect(stats.bytesFetched).toBe(50 * KB);
  expect(new Set(got.map((g) => g.path)).size).toBe(1);
  got.forEach((g) => g.release());
});

test('a restart with the same directory keeps complete entries and drops half-written ones', async () => {
  const where = join(dir, 'e');
  const uri = 's3://lake/t/kept.parquet';
  await stores.forUri(uri).put(uri, body(123, 4));
  const first = await PartitionCache.open({ directory: where, maxBytes: 1 << 20, stores });
  (await first.acquire(uri)).release();
  await first.close();
  writeFileSync(join(where, '.tmp-leftover'), 'junk');
  const second = await PartitionCache.open({ directory: where, maxBytes: 1 << 20, stores });
  const stats = emptyCacheStats();
  (await second.acquire(uri, stats)).release();
  expect(stats).toEqual({ hits: 1, misses: 0, bytesFetched: 0 });
  expect(readdirSync(where).some((n) => n.startsWith('.tmp-'))).toBe(false);
});

test('a missing object is NOT_FOUND naming it', async () => {
  const cache = await PartitionCache.open({ directory: join(dir, 'f'), maxBytes: 1 << 20, stores });
  const err = await cache.acquire('s3://lake/t/never.parquet').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(NotFoundError);
  expect((err as Error).message).toContain('s3://lake/t/never.parquet');
});
