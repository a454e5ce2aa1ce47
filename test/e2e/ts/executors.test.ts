// Executors as child processes (`skein executor`, from dist/: run `npm run build` first): exact
// results from 2 executors, an executor killed with SIGKILL mid-query, refused signatures, bad SQL,
// abort, and no child process left behind — also when the coordinator itself is killed.
import { execFileSync, spawn } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { RecordBatch } from 'apache-arrow';
import { ChildProcessExecutor, defaultEntry, startChildExecutors } from '../../../src/executors/child-process';
import { ExecutorPool } from '../../../src/executors/pool';
import { InProcessExecutor } from '../../../src/executors/in-process';
import { RemoteExecutor } from '../../../src/executors/remote';
import { toRecordBatch } from '../../../src/executors/arrow-decode';
import { ResultBatch } from '../../../src/duckdb/record-batches';
import { signFragment } from '../../../src/executors/signing';
import { Fragment } from '../../../src/planner/plan';
import { arrowRows, duckdbRows, fileList, makeParquet, ParquetFixture, scanFragment, sorted } from '../../unit/executors/parquet-fixture';
import { all } from './pool-helpers';

const SECRET = 'child-process-secret-0123';
const SELECT = 'id, g, name, amount, flag, day';
const WHERE = 'g IN (1, 2, 5) AND (amount IS NULL OR amount > 100)';
const SLOW_SQL = 'SELECT count(*) AS n FROM range(300000) a, range(300000) b WHERE (a.range * b.range) % 7 = 3';

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Per fragment, a grouped aggregate slow enough (a few hundred ms on one thread) to be killed mid-run. */
function heavyFragment(id: string, file: string): Fragment {
  return {
    id,
    stage: 'agg-1',
    sql:
      `SELECT t.g, count(*) AS n, sum(t.id * r.range) AS s, count(DISTINCT t.name) AS names ` +
      `FROM read_parquet(${fileList([file])}) t, range(40) r GROUP BY t.g ORDER BY t.g`,
    inputs: [{ table: 't', format: 'parquet', files: [file], bytes: 1000, rows: 0 }],
  };
}

describe('child-process executors', () => {
  let data: ParquetFixture;
  let executors: ChildProcessExecutor[] = [];
  let pool: ExecutorPool;

  beforeAll(async () => {
    defaultEntry(); // fails with "run npm run build" when dist/ is missing
    data = await makeParquet(8, 20_000);
    executors = await startChildExecutors(2, { secret: SECRET, threads: 1, allowedDirectories: [data.dir], timeoutMs: 60_000 });
    pool = new ExecutorPool(executors, { secret: SECRET, slots: 2 });
  });

  afterAll(async () => {
    const pids = executors.flatMap((e) => e.pids);
    await pool?.close();
    data?.remove();
    // no child left behind, restarted ones included
    expect(pids.filter(alive)).toEqual([]);
  });

  it('2 executors run 8 fragments: complete and exact', async () => {
    const fragments = data.files.map((f, i) => scanFragment(`f${i}`, [f], SELECT, WHERE));
    const outs = await all(pool.runAll(fragments, new AbortController().signal));
    expect(outs.map((o) => o.fragment.id).sort()).toEqual(fragments.map((f) => f.id).sort());
    expect(new Set(outs.map((o) => o.executor))).toEqual(new Set(['executor-1', 'executor-2']));
    const expected = await duckdbRows(`SELECT ${SELECT} FROM read_parquet(${fileList(data.files)}) WHERE ${WHERE}`);
    expect(expected.length).toBeGreaterThan(10_000);
    expect(sorted(outs.flatMap((o) => arrowRows(o.batches)))).toEqual(sorted(expected));
    const status = await Promise.all(executors.map((e) => e.remoteStatus()));
    expect(status.map((s) => s.running)).toEqual([0, 0]);
    expect(status.map((s) => s.address)).toEqual(executors.map((e) => e.status().address));
  });

  it('every column type arrives as the executor sent it (batches loaded straight from the messages, or passed on as they came; ENUMs through the reader)', async () => {
    const inProcess = await InProcessExecutor.open({ secret: SECRET, allowedDirectories: null });
    try {
      const types = `SELECT (i % 100)::TINYINT t, i::BIGINT b, (i * 1000003)::HUGEINT h, (i / 7)::DECIMAL(4,1) d4, (i * 1.5)::DECIMAL(18,3) d18,
          (i * 3.25)::DECIMAL(38,10) d38, i * 0.5 f, CASE WHEN i % 5 = 0 THEN NULL ELSE 'v' || i END s,
          repeat('long text ', i % 9) || i long, encode('b' || i) bl, DATE '2020-01-01' + i::INTEGER dt,
          TIMESTAMP '2020-01-01' + INTERVAL (i) MINUTE ts, i % 3 = 0 flag, [i, NULL, i + 1] l, {'x': i, 'y': 'y' || i} st,
          MAP {'k': i} m, uuid()::VARCHAR IS NOT NULL u
        FROM range(3000) r(i)`;
      const cases: Array<[string, string]> = [
        ['flat', `SELECT t, b, h, d4, d18, d38, f, s, long, bl, dt, ts, flag FROM (${types})`],
        ['nested', `SELECT l, st, m, u FROM (${types})`],
        ['enum', `SELECT (['a', 'b', 'c'][(i % 3) + 1])::ENUM('a', 'b', 'c') e, i FROM range(100) r(i)`],
        ['empty', `SELECT t, s FROM (${types}) WHERE b < 0`],
      ];
      for (const [id, sql] of cases) {
        const f: Fragment = { id, stage: 's', sql, inputs: [] };
        const json = (batches: readonly import('apache-arrow').RecordBatch[]): string[] =>
          batches.flatMap((b) => b.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))));
        const read = async (e: { run: ChildProcessExecutor['run'] }): Promise<{ schema: string; rows: string[] }> => {
          const r = await e.run(signFragment(f, SECRET), new AbortController().signal);
          const batches = [];
          for await (const b of r.batches) batches.push(b);
          return { schema: r.schema.fields.map((x) => `${x.name}: ${String(x.type)}`).join(', '), rows: json(batches) };
        };
        const [child, local] = await Promise.all([read(executors[0]), read(inProcess)]);
        expect(child.schema).toBe(local.schema);
        expect(child.rows).toEqual(local.rows);
        // as the coordinator passes rows through: the messages as they came (decoded here to compare)
        const wired = await executors[0].runWire(signFragment(f, SECRET), new AbortController().signal);
        const raw: ResultBatch[] = [];
        for await (const b of wired.batches) raw.push(b);
        expect(raw.every((b) => (id === 'enum' ? b instanceof RecordBatch : !(b instanceof RecordBatch)))).toBe(true);
        expect(json(raw.map((b) => toRecordBatch(wired.schema, b)))).toEqual(local.rows);
        // in-process: the fast path's encoded batches, read after the fragment's query has closed
        const inWire = await inProcess.runWire(signFragment(f, SECRET), new AbortController().signal);
        const held: ResultBatch[] = [];
        for await (const b of inWire.batches) held.push(b);
        expect(json(held.map((b) => toRecordBatch(inWire.schema, b)))).toEqual(local.rows);
        expect(child.rows.length).toBe(id === 'empty' ? 0 : id === 'enum' ? 100 : 3000);
      }
    } finally {
      await inProcess.close();
    }
  });

  it('an executor killed with SIGKILL mid-query: its fragments are retried, the answer is unchanged', async () => {
    const fragments = data.files.map((f, i) => heavyFragment(`h${i}`, f));
    const expected = await Promise.all(fragments.map((f) => duckdbRows(f.sql)));
    const retriedBefore = pool.stats.retried;
    const victim = executors[0];
    const victimPid = victim.pid as number;
    const run = all(pool.runAll(fragments, new AbortController().signal));
    await until('a fragment running on the victim', () => victim.status().running > 0);
    process.kill(victimPid, 'SIGKILL');
    const outs = await run;
    expect(pool.stats.retried).toBeGreaterThan(retriedBefore);
    expect(outs.map((o) => o.fragment.id).sort()).toEqual(fragments.map((f) => f.id).sort());
    for (const o of outs) {
      const i = fragments.findIndex((f) => f.id === o.fragment.id);
      expect(arrowRows(o.batches)).toEqual(expected[i]);
    }
    // the dead child is replaced by a new process
    await until('the victim restarted', () => victim.pid !== null && victim.pid !== victimPid);
    expect(alive(victimPid)).toBe(false);
    expect(victim.restartCount).toBe(1);
    await until('the restarted executor answering', async () => (await victim.remoteStatus().catch(() => null)) !== null);
  });

  it('refuses a fragment with a bad signature (PERMISSION_DENIED)', async () => {
    const f = scanFragment('sig', [data.files[0]], 'count(*)');
    const signed = signFragment(f, SECRET);
    const signal = new AbortController().signal;
    const remote = new RemoteExecutor({ id: 'direct', address: executors[1].status().address as string });
    try {
      expect(await codeOf(remote.run({ ...signed, fragment: { ...f, sql: 'SELECT 42' } }, signal))).toBe(status.PERMISSION_DENIED);
      expect(await codeOf(remote.run(signFragment(f, 'not-the-executor-secret'), signal))).toBe(status.PERMISSION_DENIED);
      expect(await codeOf(remote.run({ fragment: f, signature: '' }, signal))).toBe(status.PERMISSION_DENIED);
      // and through a pool holding the wrong secret: refused once, never retried
      const wrong = new ExecutorPool([remote], { secret: 'not-the-executor-secret' });
      expect(await codeOf(all(wrong.runAll([f])))).toBe(status.PERMISSION_DENIED);
      expect(wrong.stats).toMatchObject({ started: 1, retried: 0, failed: 1 });
    } finally {
      await remote.close();
    }
  });

  it('a bad-SQL fragment fails the query with INVALID_ARGUMENT and is not retried', async () => {
    const before = { ...pool.stats };
    const bad = { ...scanFragment('bad', [data.files[0]], 'id'), sql: 'SELECT id FROM read_parquet(1, 2, 3) WHERE' };
    expect(await codeOf(all(pool.runAll([bad])))).toBe(status.INVALID_ARGUMENT);
    expect(pool.stats.started - before.started).toBe(1);
    expect(pool.stats.retried).toBe(before.retried);
  });

  it('the sandbox keeps an executor to its data roots', async () => {
    const f = { ...scanFragment('etc', [], '*'), sql: "SELECT * FROM read_csv('/etc/hostname')" };
    expect(await codeOf(all(pool.runAll([f])))).toBe(status.PERMISSION_DENIED);
  });

  it('abort stops the executors\' DuckDB queries (none left running)', async () => {
    const slow = (id: string): Fragment => ({ id, stage: 's', sql: SLOW_SQL, inputs: [] });
    const ac = new AbortController();
    const run = all(pool.runAll([slow('s1'), slow('s2')], ac.signal));
    await until('both fragments running on the executors', async () => {
      const s = await Promise.all(executors.map((e) => e.remoteStatus()));
      return s.reduce((n, x) => n + x.running, 0) === 2;
    });
    const t0 = Date.now();
    ac.abort();
    expect(await codeOf(run)).toBe(status.CANCELLED);
    await until('no fragment running on any executor', async () => {
      const s = await Promise.all(executors.map((e) => e.remoteStatus()));
      return s.every((x) => x.running === 0);
    }, 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    // and they take new work at once
    const [out] = await all(pool.runAll([scanFragment('after', [data.files[0]], 'count(*) AS n')]));
    expect(arrowRows(out.batches)).toEqual([['20000']]);
  });
});

describe('skein serve --executors N --executor-mode child-process', () => {
  function childrenOf(pid: number): number[] {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .map((s) => Number(s.trim()))
        .filter((n) => n > 0);
    } catch {
      return []; // ps exits 1 when there are none
    }
  }

  async function startServe(): Promise<{ pid: number; kids: number[]; exited: Promise<void> }> {
    const proc = spawn(
      process.execPath,
      [defaultEntry(), 'serve', '--port', '0', '--executors', '2', '--executor-mode', 'child-process'],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SKEIN_EXECUTOR_SECRET: SECRET } },
    );
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    await until('the server listening', () => /listening on grpc:\/\//.test(out), 20_000);
    const kids = childrenOf(proc.pid as number);
    return { pid: proc.pid as number, kids, exited };
  }

  it('starts its executors and stops them on SIGTERM', async () => {
    const s = await startServe();
    expect(s.kids).toHaveLength(2);
    expect(s.kids.every(alive)).toBe(true);
    // the secret reaches children by environment, never on their command line
    for (const kid of s.kids) {
      const args = execFileSync('ps', ['-o', 'args=', '-p', String(kid)], { encoding: 'utf8' });
      expect(args).toContain('executor');
      expect(args).not.toContain(SECRET);
    }
    process.kill(s.pid, 'SIGTERM');
    await s.exited;
    await until('executors gone', () => !s.kids.some(alive), 5000);
  });

  it('leaves no executor behind even when the coordinator is SIGKILLed', async () => {
    const s = await startServe();
    expect(s.kids).toHaveLength(2);
    process.kill(s.pid, 'SIGKILL');
    await s.exited;
    await until('orphaned executors exit by themselves', () => !s.kids.some(alive), 8000);
  });
});
