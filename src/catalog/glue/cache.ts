// A small TTL cache of async lookups (Glue listings and tables): a value is reused until it is
// ttlMs old, concurrent misses share one load, and a failed load is not kept (the next call retries).

export interface TtlCacheOptions {
  ttlMs: number;
  /** Entries kept at most (least recently used dropped first). */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: Promise<V>;
  /** When the load finished (loading: +Infinity, so it never counts as expired). */
  loadedAt: number;
}

export class TtlCache<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: TtlCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.maxEntries = Math.max(1, opts.maxEntries ?? 10_000);
    this.now = opts.now ?? Date.now;
  }

  /** The cached value for `key`, or a fresh one from `load` when absent or older than the TTL. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && (hit.loadedAt === Infinity || this.now() - hit.loadedAt < this.ttlMs)) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit.value;
    }
    const entry: Entry<V> = { value: Promise.resolve().then(load), loadedAt: Infinity };
    this.entries.set(key, entry);
    entry.value.then(
      () => {
        // a load that clear() or delete() dropped meanwhile is not stored back
        if (this.entries.get(key) === entry) entry.loadedAt = this.now();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return entry.value;
  }

  /** The value if cached and fresh (no load). */
  peek(key: string): Promise<V> | undefined {
    const hit = this.entries.get(key);
    return hit && (hit.loadedAt === Infinity || this.now() - hit.loadedAt < this.ttlMs) ? hit.value : undefined;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets everything, including loads still running. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
