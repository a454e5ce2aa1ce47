// The coordination registry: which executors are alive (records kept alive by heartbeats, gone after
// a TTL), what they advertise (address, load, files they read recently), and the query log. An
// in-memory registry is the embedded default; Redis (redis-registry.ts) shares it between processes.
import { createHash } from 'node:crypto';

/** What an executor advertises about itself. */
export interface ExecutorRecord {
  id: string;
  /** Where coordinators reach it: grpc://host:port. */
  address: string;
  /** Fragments running there now, and how many it takes at once. */
  running: number;
  slots: number;
  /** Digests (fileDigest) of the files it read recently, newest last: its warm cache. */
  files: string[];
  version: string;
  /** Epoch ms: when the process started, and when this record was last sent. */
  startedAt: number;
  heartbeatAt: number;
}

export interface ExecutorRegistry {
  /** Registers or refreshes an executor; the record lives `ttlMs` unless refreshed again. */
  heartbeat(record: ExecutorRecord, ttlMs: number): Promise<void>;
  deregister(id: string): Promise<void>;
  /** Executors whose records have not expired. */
  liveExecutors(): Promise<ExecutorRecord[]>;
}

/** One statement the coordinator ran. */
export interface QueryLogEntry {
  /** ULID: sortable by start time, unique. */
  id: string;
  /** The statement's handle (result ticket id), to match server logs. */
  queryId: string;
  kind: 'query' | 'update';
  query: string;
  user: string;
  /** ISO time the statement started; the log is ordered and ranged by it. */
  startedAt: string;
  durationMs: number;
  /** Rows returned (query) or changed (update); null when it failed or was abandoned. */
  rows: number | null;
  /** File bytes the distributed plan read after pruning; null for statements run on the coordinator. */
  bytesScanned: number | null;
  /** Executor ids that ran its fragments (empty: run on the coordinator). */
  executors: string[];
  /** Where a cached result was served from or stored (null: no result cache). */
  cacheUri: string | null;
  /** "CODE: message" when it failed; null on success. */
  error: string | null;
}

export interface QueryLogRange {
  /** Epoch ms bounds, inclusive; absent = open. */
  since?: number;
  until?: number;
  user?: string;
  /** At most this many, the newest ones (default 100). */
  limit?: number;
}

export interface QueryLog {
  append(entry: QueryLogEntry): Promise<void>;
  /** Entries in [since, until], oldest first. */
  queryRange(range: QueryLogRange): Promise<QueryLogEntry[]>;
  queryById(id: string): Promise<QueryLogEntry | null>;
}

export interface Registry extends ExecutorRegistry, QueryLog {
  /** "memory" or "redis". */
  readonly kind: string;
  close(): Promise<void>;
}

/** A short, stable name for a file path in advertised file lists (keeps records small). */
export function fileDigest(path: string): string {
  return createHash('sha1').update(path).digest('base64url').slice(0, 12);
}

export const DEFAULT_LOG_LIMIT = 100;

/** The Redis URL's environment variable (also read by `skein executor` and `skein log`). */
export const REDIS_URL_ENV = 'SKEIN_REDIS_URL';

export function entryTime(e: QueryLogEntry): number {
  return Date.parse(e.startedAt);
}
