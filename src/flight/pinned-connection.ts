// One DuckDB connection that several statements share by taking turns: a transaction's, or a
// session's (which keeps its temporary tables). A statement that has to wait asks the one holding
// the connection to step aside — a streaming result is then read into memory — so a client that
// starts a second statement before draining the first never deadlocks.
import { DuckDBConnection } from '@duckdb/node-api';
import { Database } from '../duckdb/database';
import { Lease } from '../duckdb/lease';
import { CancelledError, SkeinError } from '../errors';

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class PinnedConnection {
  private locked = false;
  private readonly waiters: Waiter[] = [];
  /** What the current holder does when someone waits (spill its result), if anything. */
  private contend: (() => void) | null = null;
  lastUsed = Date.now();
  closed = false;

  constructor(
    readonly conn: DuckDBConnection,
    private readonly db: Database,
    public timeZone: string,
  ) {}

  get busy(): boolean {
    return this.locked;
  }

  /** Waits for the connection (asking its holder to step aside). */
  async lock(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new CancelledError('cancelled by the client (or its deadline passed)');
    if (!this.locked) {
      this.locked = true;
      this.contend = null;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new CancelledError("cancelled while waiting for the connection's previous statement"));
      };
      const w: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      this.waiters.push(w);
      signal?.addEventListener('abort', onAbort, { once: true });
      const contend = this.contend;
      this.contend = null;
      contend?.();
    });
  }

  unlock(): void {
    this.contend = null;
    this.lastUsed = Date.now();
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.locked = false;
  }

  /** A lease on the (already locked) connection; releasing it unlocks. */
  lease(inTransaction: boolean, extra: Partial<Lease> = {}): Lease {
    let released = false;
    return {
      conn: this.conn,
      db: this.db,
      timeZone: this.timeZone,
      inTransaction,
      release: () => {
        if (released) return;
        released = true;
        this.unlock();
      },
      onContention: (fn) => {
        if (!released) this.contend = fn;
      },
      ...extra,
    };
  }

  /** Stops whatever runs on it, waits briefly for its holder to let go. */
  async quiesce(): Promise<void> {
    if (!this.locked) return;
    this.contend?.();
    this.conn.interrupt();
    for (let i = 0; i < 100 && this.locked; i++) await new Promise((r) => setTimeout(r, 20));
  }

  /** Closes the connection; anyone still waiting gets `error`. */
  close(error: SkeinError): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(error);
    this.db.release(this.conn);
  }
}
