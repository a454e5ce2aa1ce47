// In-process executors and the pool over them: exact rows against DuckDB, the sandbox, errors,
// abort, affinity, and a stalled executor whose fragment times out and is retried elsewhere.
import { status } from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { Executor, ExecutorStatus, FragmentResult, SignedFragment } from '../../../src/executors/executor';
import { InProcessExecutor } from '../../../src/executors/in-process';
import { ExecutorPool, FragmentOutput } from '../../../src/executors/pool';
import { signFragment } from '../../../src/executors/signing';
import { arrowRows, duckdbRows, fileList, makeParquet, ParquetFixture, scanFragment, sorted } from './parquet-fixture';

const SECRET = 'in-process-secret-0123';
const SELECT = 'id, g, name, amount, flag, day';
const WHERE = "g IN (1, 2, 5) AND (amount IS NULL OR amount > 100)";

async function collect(r: FragmentResult): Promise<A.RecordBatch[]> {
  const out: A.RecordBatch[] = [];
  for await (const b of r.batches) out.push(b);
  return out;
}

async function all(it: AsyncIterable<FragmentOutput>): Promise<FragmentOutput[]> {
  const out: FragmentOutput[] = [];
  for await (const o of it) out.push(o);
  return out;
}

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}

/** A real executor that hangs (until aborted) on the fragments it is told to stall. */
class StallingExecutor implements Executor {
  stalled = 0;
  constructor(
    private readonly inner: Executor,
    private readonly stall: (f: SignedFragment) => boolean,
  ) {}
  get id(): string {
    return this.inner.id;
  }
  async run(f: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    if (!this.stall(f)) return this.inner.run(f, signal);
    this.stalled++;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    throw new Error('unreachable: the pool aborts a stalled fragment');
  }
  status(): ExecutorStatus {
    return this.inner.status();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('in-process executors', () => {
  let data: ParquetFixture;
  let one: InProcessExecutor;

  beforeAll(async () => {
    data = await makeParquet(8, 20_000);
    one = await InProcessExecutor.open({ id: 'solo', secret: SECRET, allowedDirectories: [data.dir] });
  });

  afterAll(async () => {
    await one.close();
    data.remove();
  });

  it('runs a signed fragment over Parquet and returns exactly DuckDB\'s rows', async () => {
    const f = scanFragment('f0', data.files.slice(0, 3), SELECT, WHERE);
    const r = await one.run(signFragment(f, SECRET), new AbortController().signal);
    expect(r.schema.fields.map((x) => x.name)).toEqual(['id', 'g', 'name', 'amount', 'flag', 'day']);
    const rows = arrowRows(await collect(r));
    const expected = await duckdbRows(f.sql);
    expect(rows.length).toBeGreaterThan(1000);
    expect(sorted(rows)).toEqual(sorted(expected));
    expect(one.status()).toEqual({ id: 'solo', running: 0, address: null });
  });

  it('refuses unsigned or altered fragments with PERMISSION_DENIED', async () => {
    const f = scanFragment('f1', data.files.slice(0, 1), 'count(*)');
    const signed = signFragment(f, SECRET);
    const signal = new AbortController().signal;
    expect(await codeOf(one.run({ fragment: f, signature: '' }, signal))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(one.run({ ...signed, fragment: { ...f, sql: 'SELECT 1' } }, signal))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(one.run(signFragment(f, 'some-other-secret-xyz'), signal))).toBe(status.PERMISSION_DENIED);
  });

  it('reads only its allowed directories (sandbox)', async () => {
    const f = { ...scanFragment('f2', ['/etc/hostname'], '*'), sql: "SELECT * FROM read_csv('/etc/hostname')" };
    expect(await codeOf(one.run(signFragment(f, SECRET), new AbortController().signal))).toBe(status.PERMISSION_DENIED);
  });

  it('answers bad SQL with INVALID_ARGUMENT', async () => {
    const f = { ...scanFragment('f3', data.files.slice(0, 1), 'id'), sql: 'SELEC id FRM nowhere' };
    expect(await codeOf(one.run(signFragment(f, SECRET), new AbortController().signal))).toBe(status.INVALID_ARGUMENT);
    expect(one.status().running).toBe(0);
  });

  it('stops DuckDB when the signal aborts', async () => {
    const slow = {
      ...scanFragment('slow', [], 'x'),
      sql: 'SELECT count(*) FROM range(200000) a, range(200000) b WHERE (a.range * b.range) % 7 = 3',
      inputs: [],
    };
    const ac = new AbortController();
    const started = Date.now();
    const r = one.run(signFragment(slow, SECRET), ac.signal).then(collect);
    await new Promise((res) => setTimeout(res, 300));
    expect(one.status().running).toBe(1);
    ac.abort();
    expect(await codeOf(r)).toBe(status.CANCELLED);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(one.status().running).toBe(0);
  });
});

describe('ExecutorPool over in-process executors', () => {
  let data: ParquetFixture;
  const open = (id: string): Promise<InProcessExecutor> =>
    InProcessExecutor.open({ id, secret: SECRET, allowedDirectories: [data.dir] });

  beforeAll(async () => {
    data = await makeParquet(8, 20_000);
  });

  afterAll(() => data.remove());

  it('runs 8 fragments on 2 executors: complete and exact', async () => {
    const pool = new ExecutorPool([await open('a'), await open('b')], { secret: SECRET, slots: 2 });
    try {
      const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
      const outs = await all(pool.runAll(fragments, new AbortController().signal));
      expect(outs.map((o) => o.fragment.id).sort()).toEqual(fragments.map((f) => f.id).sort());
      expect(new Set(outs.map((o) => o.executor))).toEqual(new Set(['a', 'b']));
      const rows = outs.flatMap((o) => arrowRows(o.batches));
      const expected = await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`);
      expect(sorted(rows)).toEqual(sorted(expected));
      expect(pool.stats).toEqual({ started: 8, completed: 8, retried: 0, failed: 0 });
    } finally {
      await pool.close();
    }
  });

  it('sends a fragment back to the executor that read its files before', async () => {
    const pool = new ExecutorPool([await open('a'), await open('b')], { secret: SECRET });
    try {
      const f0 = scanFragment('f0', [data.files[0]], 'count(*)');
      const f1 = scanFragment('f1', [data.files[1]], 'count(*)');
      const first = await all(pool.runAll([f0, f1]));
      const home = new Map(first.map((o) => [o.fragment.id, o.executor]));
      expect(new Set(home.values()).size).toBe(2);
      for (let i = 0; i < 3; i++) {
        for (const f of [f1, f0]) {
          const [out] = await all(pool.runAll([{ ...f, id: `${f.id}-again-${i}` }]));
          expect(out.executor).toBe(home.get(f.id));
        }
      }
    } finally {
      await pool.close();
    }
  });

  it('fails the query at once on bad SQL (INVALID_ARGUMENT, not retried)', async () => {
    const pool = new ExecutorPool([await open('a'), await open('b')], { secret: SECRET });
    try {
      const good = data.files.slice(0, 3).map((f, i) => scanFragment(`ok${i}`, [f], 'count(*)'));
      const bad = { ...scanFragment('bad', [data.files[3]], 'id'), sql: 'SELECT id FROM read_parquet(42, 43, 44)x WHERE' };
      bad.inputs = [{ ...bad.inputs[0], bytes: 1e9 }]; // largest: dispatched first
      expect(await codeOf(all(pool.runAll([...good, bad])))).toBe(status.INVALID_ARGUMENT);
      expect(pool.stats.retried).toBe(0);
      expect(pool.stats.failed).toBe(1);
      await new Promise((r) => setTimeout(r, 100));
      expect(pool.status().map((s) => s.running)).toEqual([0, 0]);
    } finally {
      await pool.close();
    }
  });

  it('a fragment refused for its signature fails the query (PERMISSION_DENIED, not retried)', async () => {
    const pool = new ExecutorPool([await open('a'), await open('b')], { secret: 'the-wrong-secret-0000' });
    try {
      expect(await codeOf(all(pool.runAll([scanFragment('f', [data.files[0]], 'count(*)')])))).toBe(status.PERMISSION_DENIED);
      expect(pool.stats).toMatchObject({ started: 1, retried: 0, failed: 1 });
    } finally {
      await pool.close();
    }
  });

  it('retries a fragment that times out on a stalled executor elsewhere; the answer is exact', async () => {
    const stalled = new StallingExecutor(await open('stuck'), (f) => f.fragment.id === 'f3');
    const pool = new ExecutorPool([stalled, await open('ok')], { secret: SECRET, slots: 4, fragmentTimeoutMs: 3000 });
    try {
      const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
      // put f3 on the stalling executor first: it is the largest, so dispatched first to the least-used
      fragments[3].inputs = [{ ...fragments[3].inputs[0], bytes: 1e9 }];
      const outs = await all(pool.runAll(fragments));
      expect(stalled.stalled).toBe(1);
      const f3 = outs.find((o) => o.fragment.id === 'f3');
      expect(f3).toMatchObject({ executor: 'ok', attempts: 2 });
      expect(pool.stats.retried).toBe(1);
      const expected = await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`);
      expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(sorted(expected));
    } finally {
      await pool.close();
    }
  });

  it('stops every running fragment when the query is aborted', async () => {
    const a = await open('a');
    const b = await open('b');
    const pool = new ExecutorPool([a, b], { secret: SECRET });
    try {
      const slow = (id: string) => ({
        id,
        stage: 's',
        sql: 'SELECT count(*) FROM range(200000) a, range(200000) b WHERE (a.range * b.range) % 7 = 3',
        inputs: [],
      });
      const ac = new AbortController();
      const p = all(pool.runAll([slow('s1'), slow('s2'), slow('s3')], ac.signal));
      await new Promise((r) => setTimeout(r, 300));
      expect(a.status().running + b.status().running).toBe(3);
      ac.abort();
      expect(await codeOf(p)).toBe(status.CANCELLED);
      for (let i = 0; i < 50 && a.status().running + b.status().running > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect([a.status().running, b.status().running]).toEqual([0, 0]);
    } finally {
      await pool.close();
    }
  });
});
