// Writes query log entries in the background so a statement never waits for (or fails because of)
// the registry. Entries queue in a bounded buffer; while the registry is down they wait there and are
// retried with backoff, and beyond the bound the oldest are dropped (counted, logged once per outage).
import { log } from '../log';
import { QueryLog, QueryLogEntry } from './registry';

export interface QueryLogWriterOptions {
  /** Entries held while the registry is unreachable (default 1000). */
  maxBuffered?: number;
  /** Longest wait between retries (ms, default 5 s). */
  maxBackoffMs?: number;
}

export class QueryLogWriter {
  private readonly queue: QueryLogEntry[] = [];
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  /** Entries written, and dropped because the buffer was full. */
  written = 0;
  dropped = 0;

  constructor(
    private readonly target: QueryLog,
    private readonly opts: QueryLogWriterOptions = {},
  ) {}

  /** Entries not yet written: queued, or being written now. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  private inFlight = 0;

  /** Queues an entry; returns at once. */
  write(entry: QueryLogEntry): void {
    if (this.closed) return;
    this.queue.push(entry);
    this.trim();
    if (!this.retryTimer) void this.flush();
  }

  /** Drops the oldest entries beyond the bound. */
  private trim(): void {
    const max = this.opts.maxBuffered ?? 1000;
    if (this.queue.length <= max) return;
    const n = this.queue.length - max;
    this.queue.splice(0, n);
    if (this.dropped === 0) log.warn({ dropped: n }, 'query log: buffer full; oldest entries dropped (warned once)');
    this.dropped += n;
  }

  /** Writes what is queued; resolves when the queue is empty or a write failed (then retries later). */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // taken out while in flight, so write() may trim the queue meanwhile without losing track
      const batch = this.queue.splice(0, 32);
      this.inFlight = batch.length;
      const results = await Promise.allSettled(batch.map((e) => this.target.append(e))).finally(() => (this.inFlight = 0));
      // appends are idempotent (keyed by ULID): the written ones go, the rest are tried again later
      const failed = batch.filter((_, i) => results[i].status === 'rejected');
      this.written += batch.length - failed.length;
      if (failed.length > 0) {
        this.queue.unshift(...failed);
        this.trim();
      }
      if (failed.length > 0) {
        if (this.failures === 0) {
          const err = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Error;
          log.warn({ err: err.message, pending: this.queue.length }, 'query log: registry unavailable; entries wait in memory');
        }
        this.failures++;
        this.scheduleRetry();
        return;
      }
      if (this.failures > 0) log.info({ pending: this.queue.length }, 'query log: registry reachable again');
      this.failures = 0;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    const delay = Math.min(this.opts.maxBackoffMs ?? 5000, 250 * 2 ** Math.min(this.failures - 1, 8));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.flush();
    }, delay);
    this.retryTimer.unref();
  }

  /** Stops retrying after one last attempt to write what is queued (bounded by `timeoutMs`). */
  async close(timeoutMs = 2000): Promise<void> {
    this.closed = true; // no more entries, no more retry timers
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const last = (async () => {
      await this.flushing;
      if (this.queue.length > 0) await this.flush();
    })();
    await Promise.race([last, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    if (this.queue.length > 0) log.warn({ lost: this.queue.length }, 'query log: entries not written at shutdown');
  }
}
