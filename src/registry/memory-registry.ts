// The embedded registry: executor records and the query log in this process's memory (used when no
// Redis URL is configured). Same semantics as Redis: records expire unless refreshed, the log is
// ordered by start time and bounded by retention.
import { DEFAULT_LOG_LIMIT, entryTime, ExecutorRecord, QueryLogEntry, QueryLogRange, Registry } from './registry';

export interface MemoryRegistryOptions {
  /** Entries older than this are dropped (ms). */
  retentionMs: number;
  /** At most this many entries are kept (the oldest go first). */
  maxEntries: number;
}

export class MemoryRegistry implements Registry {
  readonly kind = 'memory';
  private readonly executors = new Map<string, { record: ExecutorRecord; expiresAt: number }>();
  /** Sorted by start time (appends are nearly always in order). */
  private readonly entries: QueryLogEntry[] = [];

  constructor(private readonly opts: MemoryRegistryOptions) {}

  async heartbeat(record: ExecutorRecord, ttlMs: number): Promise<void> {
    this.executors.set(record.id, { record: structuredClone(record), expiresAt: Date.now() + ttlMs });
  }

  async deregister(id: string): Promise<void> {
    this.executors.delete(id);
  }

  async liveExecutors(): Promise<ExecutorRecord[]> {
    const now = Date.now();
    const out: ExecutorRecord[] = [];
    for (const [id, e] of this.executors) {
      if (e.expiresAt <= now) this.executors.delete(id);
      else out.push(structuredClone(e.record));
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async append(entry: QueryLogEntry): Promise<void> {
    const t = entryTime(entry);
    let i = this.entries.length;
    while (i > 0 && entryTime(this.entries[i - 1]) > t) i--;
    this.entries.splice(i, 0, structuredClone(entry));
    const cutoff = Date.now() - this.opts.retentionMs;
    let drop = Math.max(0, this.entries.length - this.opts.maxEntries);
    while (drop < this.entries.length && entryTime(this.entries[drop]) < cutoff) drop++;
    if (drop > 0) this.entries.splice(0, drop);
  }

  async queryRange(range: QueryLogRange): Promise<QueryLogEntry[]> {
    const since = range.since ?? -Infinity;
    const until = range.until ?? Infinity;
    const limit = range.limit ?? DEFAULT_LOG_LIMIT;
    const out: QueryLogEntry[] = [];
    // newest first until the limit, then back to oldest-first order
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i];
      const t = entryTime(e);
      if (t > until) continue;
      if (t < since) break;
      if (range.user !== undefined && e.user !== range.user) continue;
      out.push(structuredClone(e));
    }
    return out.reverse();
  }

  async queryById(id: string): Promise<QueryLogEntry | null> {
    const e = this.entries.find((x) => x.id === id);
    return e ? structuredClone(e) : null;
  }

  async close(): Promise<void> {
    this.executors.clear();
  }
}
