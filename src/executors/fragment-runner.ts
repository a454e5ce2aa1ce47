// The core every executor shares: its own sandboxed DuckDB, signature checks, and one verified
// fragment run as a streaming query whose batches (≈1 MiB) end, and DuckDB stops, when the signal aborts.
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import { CancelledError, UnavailableError } from '../errors';
import { Database } from '../duckdb/database';
import { duckdbError } from '../duckdb/errors';
import { freshLease } from '../duckdb/lease';
import { BatchOptions, ResultBatch } from '../duckdb/record-batches';
import { sandboxPolicy } from '../duckdb/sandbox';
import { RunningQuery, startQuery } from '../duckdb/statement';
import { Fragment } from '../planner/plan';
import { CacheStats, PartitionCache } from '../store/partition-cache';
import { localizeFragment } from './fragment-cache';
import { writeSink } from './shuffle-sink';
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
  /** Where object-store files (s3://…) are read from; shared by executors of one process, closed by its owner. */
  cache?: PartitionCache | null;
}

export interface FragmentRun {
  fragment: Fragment;
  schema: A.Schema;
  /**
   * Arrow batches (some already IPC-encoded). Iterate to the end, or abort the signal: a stream
   * never iterated holds its DuckDB connection until one of those happens (or the runner closes).
   */
  batches: AsyncIterable<ResultBatch>;
  /** Partition-cache hits/misses/bytes fetched for this fragment's files (null: it read only local files). */
  cache: CacheStats | null;
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
    private readonly cache: PartitionCache | null,
  ) {}

  static async open(opts: EngineOptions): Promise<FragmentEngine> {
    const db = await Database.open({
      path: ':memory:',
      threads: opts.threads ?? 1,
      memoryLimit: opts.memoryLimit,
      // no SET at all: fragments are SELECTs the coordinator rendered
      sandbox: opts.allowedDirectories
        ? sandboxPolicy(opts.cache ? [...opts.allowedDirectories, opts.cache.directory] : opts.allowedDirectories, [])
        : null,
    });
    return new FragmentEngine(opts.id ?? `executor-${randomUUID().slice(0, 8)}`, db, opts.secret, opts.cache ?? null);
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
    const verified = verifyFragment(signed, this.secret);
    if (signal.aborted) throw cancelled();
    if (this.closing) throw new UnavailableError('executor shutting down');
    this.active++;
    let q: RunningQuery;
    let fragment = verified;
    let cacheStats: CacheStats | null = null;
    let unpin = (): void => undefined;
    try {
      const conn = await this.db.connect();
      try {
        // object-store files: into the partition cache, the SQL rewritten to read the local copies
        const local = await localizeFragment(verified, this.cache, conn, signal);
        fragment = local.fragment;
        cacheStats = local.stats;
        unpin = local.release;
      } catch (e) {
        conn.closeSync();
        throw signal.aborted ? cancelled() : e;
      }
      let sql = fragment.sql;
      if (fragment.sink) {
        // a repartition fragment: rows go to the shuffle files; the answer is their count
        try {
          sql = `SELECT ${await writeSink(conn, fragment, signal)}::BIGINT AS rows_written`;
        } catch (e) {
          conn.closeSync();
          unpin();
          throw signal.aborted ? cancelled() : duckdbError(e);
        }
      }
      try {
        q = await startQuery(freshLease(this.db, conn), sql, { signal, batch, materialize: fragment.materialize === true });
      } catch (e) {
        unpin();
        throw e;
      }
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
      unpin();
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
    // the fragment as signed (URIs, not cache paths): what affinity and the registry talk about
    return { fragment: verified, schema: q.schema, batches: batches(), cache: cacheStats };
  }

  /** Interrupts running fragments (they fail UNAVAILABLE, never end short) and closes DuckDB. */
  async close(): Promise<void> {
    this.closing = true;
    await this.db.close();
  }
}
