// The coordinator's executors and their scheduler. Fragments of every running query share the
// executors' slots; each fragment goes to a free executor that ran its files before, else to the
// least loaded one, largest fragments first. A fragment whose executor dies, is unreachable or times
// out is retried on another one.
//
// Retrying is always safe because nothing of a fragment reaches the consumer before it is complete:
// each fragment's batches are buffered and handed over whole, in completion order. The price is
// memory: a query holds at most (executors × slots) fragment results at once, running or waiting
// to be consumed (no new fragment starts while that many are held), so fragments should be sized
// by bytes to keep their results small. A non-retryable failure (bad SQL, refused signature) fails
// the whole query at once; there is never a partial answer.
import { rmSync } from 'node:fs';
import * as A from 'apache-arrow';
import * as grpc from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError, FailedPreconditionError, InternalError, SkeinError, UnavailableError } from '../errors';
import { log } from '../log';
import { Fragment, fragmentBytes } from '../planner/plan';
import { ResultBatch } from '../duckdb/record-batches';
import { AffinityMap } from './affinity';
import { Executor, ExecutorStatus, SignedFragment } from './executor';
import { signFragment } from './signing';
import { CacheStats } from '../store/partition-cache';

export interface PoolOptions {
  /** Shared HMAC secret the pool signs fragments with. */
  secret: string;
  /** Fragments one executor runs at once (default 2). */
  slots?: number;
  /** A fragment still running after this long is stopped and retried elsewhere (0 = never). */
  fragmentTimeoutMs?: number;
  /** Tries per fragment before its last retryable error fails the query (default 3). */
  maxAttempts?: number;
  /** Executors join and leave at run time (addMember/removeMember): the pool may start empty. */
  dynamic?: boolean;
}

export interface FragmentOutput {
  fragment: Fragment;
  schema: A.Schema;
  batches: A.RecordBatch[];
  /** The executor that produced it, and how many tries it took. */
  executor: string;
  attempts: number;
  /** The executor's partition-cache report for this fragment (hits, misses, bytes fetched). */
  cache?: CacheStats | null;
}

/** A fragment's output whose batches may be the IPC messages they came as (`runAllWire`). */
export interface WireOutput extends Omit<FragmentOutput, 'batches'> {
  batches: ResultBatch[];
}

export interface PoolStats {
  started: number;
  completed: number;
  retried: number;
  failed: number;
}

interface Member {
  executor: Executor;
  running: number;
  assigned: number;
  failures: number;
  cooldownUntil: number;
}

interface Task {
  run: QueryRun;
  fragment: Fragment;
  signed: SignedFragment;
  tried: Set<string>;
  attempts: number;
}

/** Failures that say nothing about the fragment itself: another executor may well succeed. */
const RETRYABLE = new Set<number>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.ABORTED, grpc.status.CANCELLED]);

function asSkein(e: unknown): SkeinError {
  if (e instanceof SkeinError) return e;
  return new InternalError(`executor failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

/** One runAll call: its queue, its finished results, and how it ends. */
class QueryRun {
  readonly ac = new AbortController();
  pending: Task[] = [];
  running = 0;
  readonly ready: WireOutput[] = [];
  remaining: number;
  error: SkeinError | null = null;
  private wake: (() => void) | null = null;

  constructor(
    count: number,
    /** batches may stay in their wire form */
    readonly wire: boolean,
  ) {
    this.remaining = count;
  }

  deliver(out: WireOutput): void {
    this.remaining--;
    this.ready.push(out);
    this.notify();
  }

  fail(err: SkeinError): void {
    this.error ??= err;
    this.stop();
    this.notify();
  }

  stop(): void {
    this.pending = [];
    this.ac.abort();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(): Promise<WireOutput | null> {
    for (;;) {
      if (this.error) throw this.error;
      const out = this.ready.shift();
      if (out) return out;
      if (this.remaining === 0) return null;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

export class ExecutorPool {
  private readonly members: Member[];
  private readonly runs = new Set<QueryRun>();
  private readonly affinity = new AffinityMap();
  private readonly slots: number;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly stats: PoolStats = { started: 0, completed: 0, retried: 0, failed: 0 };
  /**
   * Set when every executor reads and writes the coordinator's disk (in-process and child-process
   * executors): where queries may put shuffle files, and the planner's broadcast limit.
   */
  shuffle: { directory: string; broadcastLimitBytes: number; removeOnClose?: boolean } | null = null;
  /** One big executor (EC2 monostore): whole statements run on it as one fragment. */
  monostore = false;
  /** Statements reading at most this many column bytes run whole as one fragment (config executors.smallStatementBytes). */
  smallStatementBytes = 24 << 20;
  /** Run after the executors are closed (resources they shared, such as an in-process partition cache). */
  readonly onClose: (() => Promise<void>)[] = [];

  constructor(
    executors: readonly Executor[],
    private readonly opts: PoolOptions,
  ) {
    if (executors.length === 0 && !opts.dynamic) throw new FailedPreconditionError('an executor pool needs at least one executor');
    this.members = executors.map((executor) => ({ executor, running: 0, assigned: 0, failures: 0, cooldownUntil: 0 }));
    this.slots = opts.slots ?? 2;
    this.timeoutMs = opts.fragmentTimeoutMs ?? 300_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
  }

  get size(): number {
    return this.members.length;
  }

  get executors(): readonly Executor[] {
    return this.members.map((m) => m.executor);
  }

  status(): ExecutorStatus[] {
    return this.members.map((m) => m.executor.status());
  }

  /** Adds an executor found at run time (e.g. in the registry); false if one with its id is here. */
  addMember(executor: Executor): boolean {
    if (this.closed || this.members.some((m) => m.executor.id === executor.id)) return false;
    this.members.push({ executor, running: 0, assigned: 0, failures: 0, cooldownUntil: 0 });
    this.dispatch();
    return true;
  }

  /**
   * Takes an executor out: no new fragments go to it; those running there finish (or fail and are
   * retried elsewhere). The caller closes the returned executor once it is idle.
   */
  removeMember(id: string): Executor | null {
    const i = this.members.findIndex((m) => m.executor.id === id);
    if (i < 0) return null;
    const [m] = this.members.splice(i, 1);
    this.affinity.advertise(id, null);
    this.dispatch();
    return m.executor;
  }

  /** What an executor says it holds in its caches (from the registry), counted as affinity. */
  advertise(id: string, holds: ((file: string) => boolean) | null): void {
    this.affinity.advertise(id, holds);
  }

  /**
   * Runs every fragment and yields each one's complete result as it finishes. Breaking out of the
   * loop, or aborting `signal`, stops the fragments still running.
   */
  runAll(fragments: readonly Fragment[], signal?: AbortSignal): AsyncGenerator<FragmentOutput> {
    // executors asked for decoded batches answer with A.RecordBatch only
    return this.runEach(fragments, signal, false) as AsyncGenerator<FragmentOutput>;
  }

  /**
   * The same, for rows passed on to the client unchanged: executors across the network hand their
   * record batches over as the IPC messages they came as (`Executor.runWire`), others decoded.
   */
  runAllWire(fragments: readonly Fragment[], signal?: AbortSignal): AsyncGenerator<WireOutput> {
    return this.runEach(fragments, signal, true);
  }

  private async *runEach(fragments: readonly Fragment[], signal: AbortSignal | undefined, wire: boolean): AsyncGenerator<WireOutput> {
    if (this.closed) throw new UnavailableError('the executor pool is closed');
    if (fragments.length === 0) return;
    if (signal?.aborted) throw new CancelledError('query cancelled');
    const run = new QueryRun(fragments.length, wire);
    run.pending = fragments
      .map((fragment) => ({ run, fragment, signed: signFragment(fragment, this.opts.secret), tried: new Set<string>(), attempts: 0 }))
      .sort((a, b) => fragmentBytes(b.fragment) - fragmentBytes(a.fragment));
    const onAbort = (): void => run.fail(new CancelledError('query cancelled'));
    signal?.addEventListener('abort', onAbort, { once: true });
    this.runs.add(run);
    try {
      this.dispatch();
      for (;;) {
        const out = await run.next();
        if (!out) return;
        this.dispatch(); // a buffered result left: room for another fragment
        yield out;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      run.stop();
      this.runs.delete(run);
      this.dispatch();
    }
  }

  /** Starts every pending fragment that has an executor to go to. */
  private dispatch(): void {
    if (this.closed) return;
    if (this.members.length === 0) {
      // every executor left (dynamic pool): waiting could take forever, so fail what cannot start
      for (const run of this.runs) {
        if (run.pending.length > 0) run.fail(new UnavailableError('no executors are available (none registered, or all left)'));
      }
      return;
    }
    const now = Date.now();
    const limit = this.members.length * this.slots;
    let wakeAt = Infinity;
    for (const run of this.runs) {
      for (let i = 0; i < run.pending.length && run.running + run.ready.length < limit; ) {
        const task = run.pending[i];
        const pick = this.pick(task, now);
        if (pick.member) {
          run.pending.splice(i, 1);
          void this.attempt(task, pick.member);
        } else {
          wakeAt = Math.min(wakeAt, pick.wakeAt);
          i++;
        }
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (Number.isFinite(wakeAt)) {
      this.timer = setTimeout(() => this.dispatch(), Math.max(10, wakeAt - now));
      this.timer.unref();
    }
  }

  /**
   * An executor for `task` now, or when to look again. A retry waits for an executor it has not
   * tried yet while one is healthy; only when all have been tried does it go back to one.
   */
  private pick(task: Task, now: number): { member: Member | null; wakeAt: number } {
    const healthy = this.members.filter((m) => m.cooldownUntil <= now);
    if (healthy.length === 0) {
      return { member: null, wakeAt: Math.min(...this.members.map((m) => m.cooldownUntil)) };
    }
    const untried = healthy.filter((m) => !task.tried.has(m.executor.id));
    const free = (untried.length > 0 ? untried : healthy).filter((m) => m.running < this.slots);
    if (free.length === 0) return { member: null, wakeAt: Infinity }; // a finishing fragment dispatches again
    let best = free[0];
    let bestScore = this.affinity.score(task.fragment, best.executor.id);
    for (const m of free.slice(1)) {
      const score = this.affinity.score(task.fragment, m.executor.id);
      const better =
        score > bestScore ||
        (score === bestScore && (m.running < best.running || (m.running === best.running && m.assigned < best.assigned)));
      if (better) {
        best = m;
        bestScore = score;
      }
    }
    return { member: best, wakeAt: Infinity };
  }

  private async attempt(task: Task, member: Member): Promise<void> {
    const { run, fragment } = task;
    const id = member.executor.id;
    member.running++;
    member.assigned++;
    run.running++;
    task.attempts++;
    task.tried.add(id);
    this.stats.started++;
    const ac = new AbortController();
    const stop = (): void => ac.abort();
    run.ac.signal.addEventListener('abort', stop, { once: true });
    let timedOut = false;
    const timer =
      this.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            ac.abort();
          }, this.timeoutMs)
        : null;
    try {
      if (ac.signal.aborted) return;
      const executor = member.executor;
      const result = run.wire && executor.runWire ? await executor.runWire(task.signed, ac.signal) : await executor.run(task.signed, ac.signal);
      const batches: ResultBatch[] = [];
      for await (const b of result.batches) batches.push(b);
      if (ac.signal.aborted) throw new CancelledError('fragment stopped');
      member.failures = 0;
      member.cooldownUntil = 0;
      this.affinity.record(fragment, id);
      this.stats.completed++;
      run.deliver({ fragment, schema: result.schema, batches, executor: id, attempts: task.attempts, cache: result.cache });
    } catch (e) {
      if (run.ac.signal.aborted) return; // the query is over: nobody wants this fragment now
      const err = timedOut
        ? new DeadlineExceededError(`fragment ${fragment.id} ran longer than ${this.timeoutMs / 1000} s on executor ${id}`)
        : asSkein(e);
      if (RETRYABLE.has(err.code)) {
        member.failures++;
        member.cooldownUntil = Date.now() + Math.min(30_000, 250 * 2 ** Math.min(member.failures - 1, 7));
        if (task.attempts < this.maxAttempts) {
          this.stats.retried++;
          log.warn({ fragment: fragment.id, executor: id, attempt: task.attempts, err: err.message }, 'fragment failed; retrying elsewhere');
          run.pending.unshift(task);
          return;
        }
      }
      this.stats.failed++;
      run.fail(err);
    } finally {
      if (timer) clearTimeout(timer);
      run.ac.signal.removeEventListener('abort', stop);
      member.running--;
      run.running--;
      this.dispatch();
    }
  }

  /** Stops every query's fragments and closes the executors. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const run of this.runs) run.fail(new UnavailableError('the executor pool is closing'));
    await Promise.all(this.members.map((m) => m.executor.close()));
    if (this.shuffle?.removeOnClose) rmSync(this.shuffle.directory, { recursive: true, force: true });
    for (const f of this.onClose) await f();
  }
}
