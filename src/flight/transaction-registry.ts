// Open Flight SQL transactions. Each pins one DuckDB connection in an open DuckDB transaction; the
// statements that carry its id take turns on that connection. A statement that waits asks the one
// holding the connection to step aside (a streaming result is read into memory), so a client that
// runs a second statement before draining the first never deadlocks. Idle transactions roll back.
import { randomUUID } from 'node:crypto';
import { DuckDBConnection } from '@duckdb/node-api';
import { Database } from '../duckdb/database';
import { duckdbError } from '../duckdb/errors';
import { Lease } from '../duckdb/lease';
import { CancelledError, NotFoundError } from '../errors';
import { log } from '../log';
import { Principal } from './auth';
import { applySession } from './sessions';

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

interface Transaction {
  readonly id: string;
  readonly owner: string;
  readonly session: string;
  readonly conn: DuckDBConnection;
  readonly timeZone: string;
  locked: boolean;
  readonly waiters: Waiter[];
  /** What the current holder does when someone waits (spill its result), if anything. */
  contend: (() => void) | null;
  lastUsed: number;
}

const UNKNOWN =
  'unknown transaction: it was committed or rolled back, rolled back after being idle, or its session was closed';

export class TransactionRegistry {
  private readonly map = new Map<string, Transaction>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly idleMs: number,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(idleMs, 30_000));
    this.sweeper.unref();
  }

  /** Opens a DuckDB transaction on a fresh connection set up for the session; returns its id. */
  async begin(p: Principal, setup: string[], timeZone: string): Promise<Buffer> {
    const conn = await this.db.connect();
    try {
      await applySession(conn, setup);
      await conn.run('BEGIN TRANSACTION');
    } catch (e) {
      this.db.release(conn);
      throw duckdbError(e);
    }
    const id = `t-${randomUUID()}`;
    this.map.set(id, {
      id,
      owner: p.user,
      session: p.session,
      conn,
      timeZone,
      locked: false,
      waiters: [],
      contend: null,
      lastUsed: Date.now(),
    });
    log.debug({ id, user: p.user }, 'transaction begun');
    return Buffer.from(id, 'utf8');
  }

  private find(id: Uint8Array, p: Principal): Transaction {
    const t = this.map.get(Buffer.from(id).toString('utf8'));
    if (!t || t.owner !== p.user) throw new NotFoundError(UNKNOWN);
    return t;
  }

  /** Waits for the transaction's connection (asking its holder to step aside) and lends it. */
  async lease(id: Uint8Array, p: Principal, signal?: AbortSignal): Promise<Lease> {
    const t = this.find(id, p);
    await this.lock(t, signal);
    if (!this.map.has(t.id)) {
      this.unlock(t);
      throw new NotFoundError(UNKNOWN);
    }
    t.lastUsed = Date.now();
    let released = false;
    return {
      conn: t.conn,
      db: this.db,
      timeZone: t.timeZone,
      inTransaction: true,
      release: () => {
        if (released) return;
        released = true;
        t.lastUsed = Date.now();
        this.unlock(t);
      },
      onContention: (fn) => {
        if (!released) t.contend = fn;
      },
    };
  }

  /** Commits or rolls back, after any statement still using the connection has stepped aside. */
  async end(id: Uint8Array, p: Principal, commit: boolean, signal?: AbortSignal): Promise<void> {
    const t = this.find(id, p);
    await this.lock(t, signal);
    if (!this.map.has(t.id)) {
      this.unlock(t);
      throw new NotFoundError(UNKNOWN);
    }
    this.map.delete(t.id);
    try {
      await t.conn.run(commit ? 'COMMIT' : 'ROLLBACK');
      log.debug({ id: t.id, commit }, 'transaction ended');
    } catch (e) {
      throw duckdbError(e);
    } finally {
      this.dispose(t);
    }
  }

  /** Rolls back every transaction of a session (CloseSession). */
  async closeSession(session: string): Promise<number> {
    const mine = [...this.map.values()].filter((t) => t.session === session);
    for (const t of mine) await this.abandon(t);
    return mine.length;
  }

  get size(): number {
    return this.map.size;
  }

  private async lock(t: Transaction, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new CancelledError('cancelled by the client (or its deadline passed)');
    if (!t.locked) {
      t.locked = true;
      t.contend = null;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = t.waiters.indexOf(w);
        if (i >= 0) t.waiters.splice(i, 1);
        reject(new CancelledError('cancelled while waiting for the transaction\'s previous statement'));
      };
      const w: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      t.waiters.push(w);
      signal?.addEventListener('abort', onAbort, { once: true });
      const contend = t.contend;
      t.contend = null;
      contend?.();
    });
  }

  private unlock(t: Transaction): void {
    t.contend = null;
    const next = t.waiters.shift();
    if (next) next.resolve();
    else t.locked = false;
  }

  /** Rolls back a transaction nobody will end: waits for (or interrupts) its current statement. */
  private async abandon(t: Transaction): Promise<void> {
    if (!this.map.delete(t.id)) return;
    for (const w of t.waiters.splice(0)) w.reject(new NotFoundError(UNKNOWN));
    if (t.locked) {
      t.contend?.();
      t.conn.interrupt();
      // the holder's release unlocks; give it a moment, then roll back regardless
      for (let i = 0; i < 100 && t.locked; i++) await new Promise((r) => setTimeout(r, 20));
    }
    await t.conn.run('ROLLBACK').catch(() => undefined);
    this.dispose(t);
    log.info({ id: t.id, user: t.owner }, 'transaction rolled back (abandoned)');
  }

  private dispose(t: Transaction): void {
    for (const w of t.waiters.splice(0)) w.reject(new NotFoundError(UNKNOWN));
    this.db.release(t.conn);
  }

  private async sweep(): Promise<void> {
    const cutoff = Date.now() - this.idleMs;
    for (const t of [...this.map.values()]) {
      if (!t.locked && t.lastUsed < cutoff) await this.abandon(t);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    for (const t of [...this.map.values()]) await this.abandon(t);
  }
}
