// An executor runs signed fragments with its own DuckDB and streams Arrow batches back. The same
// program runs in-process, as a local child process (`skein executor`), and later on Fargate, EC2
// and (wrapped) Lambda; the coordinator sees only this interface.
import * as A from 'apache-arrow';
import { ResultBatch } from '../duckdb/record-batches';
import { Fragment } from '../planner/plan';
import { CacheStats } from '../store/partition-cache';

/** A fragment with the coordinator's HMAC over its canonical JSON; executors refuse anything else. */
export interface SignedFragment {
  fragment: Fragment;
  /** base64url HMAC-SHA256 of `canonicalFragment(fragment)` with the shared executor secret. */
  signature: string;
}

export interface FragmentResult {
  schema: A.Schema;
  batches: AsyncIterable<A.RecordBatch>;
  /** Partition-cache hits/misses/bytes fetched for the fragment's files, when the executor reports them. */
  cache?: CacheStats | null;
}

/** A fragment's result whose record batches may still be the IPC messages they came as (`Executor.runWire`). */
export interface WireResult extends Omit<FragmentResult, 'batches'> {
  batches: AsyncIterable<ResultBatch>;
}

export interface ExecutorStatus {
  id: string;
  /** Fragments running now. */
  running: number;
  /** Where it listens, for remote executors (grpc://host:port); null in-process. */
  address: string | null;
}

export interface Executor {
  readonly id: string;
  /** Runs a fragment; the stream ends early (and DuckDB stops) when `signal` aborts. */
  run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult>;
  /**
   * The same, for rows the coordinator passes on to its client unchanged: an executor across the
   * network may hand its record batches over as they came, neither loaded nor re-encoded.
   */
  runWire?(fragment: SignedFragment, signal: AbortSignal): Promise<WireResult>;
  status(): ExecutorStatus;
  close(): Promise<void>;
}
