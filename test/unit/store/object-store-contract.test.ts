// One contract, two backends: the local filesystem store and the S3 store against a real moto server.
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError, PermissionDeniedError } from '../../../src/errors';
import { LocalStore } from '../../../src/store/local-store';
import { ObjectStore } from '../../../src/store/object-store';
import { S3Store } from '../../../src/store/s3-store';
import { MOTO_CREDENTIALS, runPython, Service, startMoto } from '../../services/services';

interface Backend {
  name: string;
  setup(): Promise<{ store: ObjectStore; root: string; missingRoot: string }>;
  teardown(): Promise<void>;
}

let moto: Service;
let dir = '';

// one moto for the file: the S3 contract first, the denied-request test (which turns IAM checks on) last
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const backends: Backend[] = [
  {
    name: 'local',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'skein-store-'));
      return { store: new LocalStore(), root: `${dir}/lake`, missingRoot: `${dir}/no-such-dir/sub` };
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 's3 (moto)',
    async setup() {
      const admin = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, credentials: { ...MOTO_CREDENTIALS } });
      await admin.send(new CreateBucketCommand({ Bucket: 'lake' }));
      admin.destroy();
      const store = new S3Store({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, ...MOTO_CREDENTIALS });
      return { store, root: 's3://lake/data', missingRoot: 's3://no-such-bucket/data' };
    },
    async teardown() {},
  },
];

describe.each(backends)('object store contract: $name', (backend) => {
  let store: ObjectStore;
  let root = '';
  let missingRoot = '';

  beforeAll(async () => {
    ({ store, root, missingRoot } = await backend.setup());
  });
  afterAll(async () => {
    await store?.close();
    await backend.teardown();
  });

  test('put, head, get, ranged get', async () => {
    const uri = `${root}/t/a.txt`;
    const put = await store.put(uri, 'hello, object store');
    expect(put.size).toBe(19);
    const head = await store.head(uri);
    expect(head).not.toBeNull();
    expect(head!.size).toBe(19);
    expect(head!.etag).toBe(put.etag);
    expect((await store.get(uri)).toString()).toBe('hello, object store');
    expect((await store.get(uri, { start: 7, end: 13 })).toString()).toBe('object');
    expect((await store.get(uri, { start: 14 })).toString()).toBe('store');
    expect((await store.get(uri, { start: 19 })).length).toBe(0);
  });

  test('list is recursive, sorted, prefix-exact', async () => {
    await store.put(`${root}/l/p=1/x.parquet`, 'x');
    await store.put(`${root}/l/p=2/y.parquet`, 'yy');
    await store.put(`${root}/l/p=10/z.parquet`, 'zzz');
    await store.put(`${root}/lx/other.parquet`, 'o');
    const all = await store.list(`${root}/l/`);
    expect(all.map((o) => o.uri.slice(o.uri.indexOf('/l/')))).toEqual(['/l/p=1/x.parquet', '/l/p=10/z.parquet', '/l/p=2/y.parquet']);
    expect(all.map((o) => o.size)).toEqual([1, 3, 2]);
    const partial = await store.list(`${root}/l/p=1`);
    expect(partial.map((o) => o.uri.slice(o.uri.indexOf('/l/')))).toEqual(['/l/p=1/x.parquet', '/l/p=10/z.parquet']);
    expect(await store.list(`${root}/nothing-here/`)).toEqual([]);
    // the listed URI reads back
    expect((await store.get(all[2].uri)).toString()).toBe('yy');
  });

  test('list pages past 1000 objects', async () => {
    const n = backend.name === 'local' ? 50 : 1005;
    await Promise.all(Array.from({ length: n }, (_, i) => store.put(`${root}/many/${String(i).padStart(5, '0')}`, 'x')));
    const got = await store.list(`${root}/many/`);
    expect(got.length).toBe(n);
  }, 60000);

  test('a changed object gets a new etag', async () => {
    const uri = `${root}/t/changing.txt`;
    const a = await store.put(uri, 'one');
    const b = await store.put(uri, 'two!');
    expect(b.etag).not.toBe(a.etag);
    expect((await store.head(uri))!.etag).toBe(b.etag);
  });

  test('conditional put: ifNoneMatch and ifMatch', async () => {
    const uri = `${root}/t/cond.txt`;
    const first = await store.put(uri, 'v1', { ifNoneMatch: true });
    await expect(store.put(uri, 'v1 again', { ifNoneMatch: true })).rejects.toBeInstanceOf(FailedPreconditionError);
    const second = await store.put(uri, 'v2', { ifMatch: first.etag });
    await expect(store.put(uri, 'v3', { ifMatch: first.etag })).rejects.toBeInstanceOf(FailedPreconditionError);
    expect((await store.get(uri)).toString()).toBe('v2');
    expect((await store.head(uri))!.etag).toBe(second.etag);
  });

  test('multipart put streams parts, all or nothing', async () => {
    const uri = `${root}/t/big.bin`;
    const chunk = Buffer.alloc(3 << 20, 7);
    async function* parts(): AsyncIterable<Buffer> {
      for (let i = 0; i < 4; i++) yield Buffer.from(chunk.map((b) => b + i));
    }
    const info = await store.putStream(uri, parts());
    expect(info.size).toBe(12 << 20);
    const head = await store.head(uri);
    expect(head!.size).toBe(12 << 20);
    const mid = await store.get(uri, { start: (9 << 20) - 1, end: (9 << 20) + 1 });
    expect([...mid]).toEqual([9, 10]);

    const failing = `${root}/t/failed.bin`;
    async function* broken(): AsyncIterable<Buffer> {
      yield Buffer.alloc(9 << 20, 1);
      throw new Error('source failed');
    }
    await expect(store.putStream(failing, broken())).rejects.toThrow('source failed');
    expect(await store.head(failing)).toBeNull();
  });

  test('delete, and a missing key is NOT_FOUND naming it', async () => {
    const uri = `${root}/t/gone.txt`;
    await store.put(uri, 'bye');
    await store.delete(uri);
    expect(await store.head(uri)).toBeNull();
    await store.delete(uri); // idempotent
    const err = await store.get(uri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('gone.txt');
  });

  test('a missing bucket / root is NOT_FOUND, not an empty answer, for reads', async () => {
    const uri = `${missingRoot}/x.parquet`;
    const err = await store.get(uri).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    if (backend.name !== 'local') {
      expect((err as Error).message).toContain('bucket no-such-bucket');
      await expect(store.head(uri)).rejects.toThrow(/bucket no-such-bucket not found/);
      await expect(store.list(`${missingRoot}/`)).rejects.toThrow(/bucket no-such-bucket not found/);
    } else {
      expect(await store.head(uri)).toBeNull();
    }
  });
});

// Last: turns moto's IAM checks on, so a request the user's policy denies is really refused.
describe('s3 store: denied requests', () => {
  test('AccessDenied → PERMISSION_DENIED naming the object; unknown key → PERMISSION_DENIED', async () => {
    const admin = new S3Client({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, credentials: { ...MOTO_CREDENTIALS } });
    await admin.send(new CreateBucketCommand({ Bucket: 'open' }));
    await admin.send(new CreateBucketCommand({ Bucket: 'secret' }));
    admin.destroy();
    const key = JSON.parse(runPython(join(__dirname, 'moto-iam-user.py'), [moto.url, 'secret'])) as {
      accessKeyId: string;
      secretAccessKey: string;
    };
    const r = await fetch(`${moto.url}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    expect(r.status).toBe(200);
    const store = new S3Store({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, ...key });
    const stranger = new S3Store({ endpoint: moto.url, region: 'us-east-1', forcePathStyle: true, ...MOTO_CREDENTIALS });
    try {
      await store.put('s3://open/a.txt', 'fine');
      expect((await store.get('s3://open/a.txt')).toString()).toBe('fine');
      const denied = await store.put('s3://secret/a.txt', 'no').catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(PermissionDeniedError);
      expect((denied as Error).message).toContain('s3://secret/a.txt');
      await expect(store.list('s3://secret/')).rejects.toBeInstanceOf(PermissionDeniedError);
      await expect(stranger.get('s3://open/a.txt')).rejects.toBeInstanceOf(PermissionDeniedError);
    } finally {
      await store.close();
      await stranger.close();
    }
  });
});
