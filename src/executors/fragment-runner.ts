// The core every executor shares: its own sandboxed DuckDB, signature checks, and one verified
// fragment run as a streaming query whose batches (≈1 MiB) end, and DuckDB stops, when the signal aborts.
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import { CancelledError, UnavailableError } from '../errors';
import { Database } from '../duckdb/database';
import { freshLease } from '../duckdb/lease';
import { BatchOptions, ResultBatch } from '../duckdb/record-batches';
import { sandboxPolicy } from '../duckdb/sandbox';
import { RunningQuery, startQuery } from '../duckdb/statement';
import { Fragment } from '../planner/plan';
import { verifyFragment } from './signing';

export const FRAGMENT_BATCH: BatchOptions = { batchBytes: 1 << 20, maxBatchBytes: (4 << 20) - (64 << 10) };

export interface EngineOptions {
  id?: string;
  /** Shared HMAC secret; fragments signed with anything else are refused. */
  secret: string;
  /** DuckDB threads of this executor (default 1). */
  threads?: number;
  memoryLimit?: string;
  /** Directories DuckDB may read (the data roots); null runs DuckDB without a sandbox. */
  allowedDirectories: string[] | null;
}

export interface FragmentRun {
  fragment: Fragment;
  schema: A.Schema;
  /**
   * Arrow batches (some already IPC-encoded). Iterate to the end, or abort the signal: a stream
   * never iterated holds its DuckDB connection until one of those happens (or the runner closes).
   */
  batches: AsyncIterable<ResultBatch>;
}

function cancelled(): CancelledError {
  return new CancelledError('fragment cancelled by the coordinator (or its timeout passed)');
}

export class FragmentEngine {
  private active = 0;
  private closing = false;

  private constructor(
    readonly id: string,
    private readonly db: Database,
    private readonly secret: string,
  ) {}

  static async open(opts: EngineOptions): Promise<FragmentEngine> {
    const db = await Database.open({
      path: ':memory:',
      threads: opts.threads ?? 1,
      memoryLimit: opts.memoryLimit,
      // no SET at all: fragments are SELECTs the coordinator rendered
      sandbox: opts.allowedDirectories ? sandboxPolicy(opts.allowedDirectories, []) : null,
    });
    return new FragmentEngine(opts.id ?? `executor-${randomUUID().slice(0, 8)}`, db, opts.secret);
  }

  /** Fragments running now (counted until DuckDB's query is closed). */
  get running(): number {
    return this.active;
  }

  get duckdbVersion(): string {
    return this.db.version;
  }

  /** Verifies `signed` (PERMISSION_DENIED if it is not the coordinator's) and starts it. */
  async run(signed: unknown, signal: AbortSignal, batch: BatchOptions = FRAGMENT_BATCH): Promise<FragmentRun> {
    const fragment = verifyFragment(signed, this.secret);
    if (signal.aborted) throw cancelled();
    if (this.closing) throw new UnavailableError('executor shutting down');
    this.active++;
    let q: RunningQuery;
    try {
      const conn = await this.db.connect();
      q = await startQuery(freshLease(this.db, conn), fragment.sql, { signal, batch });
    } catch (e) {
      this.active--;
      throw e;
    }
    let started = false;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      signal.removeEventListener('abort', onAbort);
      q.close();
      this.active--;
    };
    const onAbort = (): void => {
      q.interrupt();
      // nobody is reading: nothing else would close it
      if (!started) finish();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) {
      finish();
      throw cancelled();
    }
    const query = q;
    const closing = (): boolean => this.closing;
    async function* batches(): AsyncGenerator<ResultBatch> {
      if (finished) throw cancelled();
      started = true;
      try {
        for await (const b of query.batches()) {
          if (signal.aborted) throw cancelled();
          yield b;
        }
        // DuckDB ends an interrupted stream as if it were complete: never pass that off as the result
        if (signal.aborted) throw cancelled();
        if (closing()) throw new UnavailableError('executor shutting down: fragment stopped before its end');
      } finally {
        finish();
      }
    }
    return { fragment, schema: q.schema, batches: batches() };
  }

  /** Interrupts running fragments (they fail UNAVAILABLE, never end short) and closes DuckDB. */
  async close(): Promise<void> {
    this.closing = true;
    await this.db.close();
  }
}
