// Open Flight SQL transactions. Each pins one DuckDB connection in an open DuckDB transaction; the
// statements that carry its id take turns on that connection. A statement that waits asks the one
// holding the connection to step aside (a streaming result is read into memory), so a client that
// runs a second statement before draining the first never deadlocks. Idle transactions roll back.
import { randomUUID } from 'node:crypto';
import { DuckDBConnection } from '@duckdb/node-api';
import { Database } from '../duckdb/database';
import { duckdbError } from '../duckdb/errors';
import { Lease } from '../duckdb/lease';
import { CancelledError, FailedPreconditionError, NotFoundError } from '../errors';
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
  timeZone: string;
  locked: boolean;
  readonly waiters: Waiter[];
  /** What the current holder does when someone waits (spill its result), if anything. */
  contend: (() => void) | null;
  lastUsed: number;
}

/** How many transactions ended by their client are remembered (see `current`). */
const ENDED_REMEMBERED = 10_000;

const UNKNOWN =
  'unknown transaction: it was committed or rolled back, rolled back after being idle, or its session was closed';

export class TransactionRegistry {
  private readonly map = new Map<string, Transaction>();
  /** Transactions their client ended (EndTransaction), oldest first: id → session. */
  private readonly ended = new Map<string, string>();
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
    this.remember(t);
    try {
      if (commit) await this.refuseAborted(t);
      await t.conn.run(commit ? 'COMMIT' : 'ROLLBACK');
      log.debug({ id: t.id, commit }, 'transaction ended');
    } catch (e) {
      throw duckdbError(e);
    } finally {
      this.dispose(t);
    }
  }

  /**
   * DuckDB answers COMMIT of a transaction an error has aborted by rolling back and reporting
   * success; a client must not believe that committed, so roll back and say so.
   */
  private async refuseAborted(t: Transaction): Promise<void> {
    const problem = await t.conn.run('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    if (problem === null) return;
    await t.conn.run('ROLLBACK').catch(() => undefined);
    throw new FailedPreconditionError(
      'cannot commit: an earlier statement failed and aborted this transaction; it has been rolled back',
      { cause: problem },
    );
  }

  private remember(t: Transaction): void {
    this.ended.set(t.id, t.session);
    if (this.ended.size > ENDED_REMEMBERED) this.ended.delete(this.ended.keys().next().value as string);
  }

  /**
   * The transaction a statement prepared in transaction `id` runs in now. The ADBC drivers keep a
   * prepared statement across commit and rollback, and begin the connection's next transaction at
   * once: so a statement whose transaction its client ended follows the session into the one
   * transaction it has open now, or auto-commits if it has none. Otherwise `id` itself (an open
   * transaction, or one that ends in NOT_FOUND when leased).
   */
  current(id: Uint8Array, p: Principal): Uint8Array | null {
    const key = Buffer.from(id).toString('utf8');
    if (this.map.has(key) || this.ended.get(key) !== p.session) return id;
    const open = [...this.map.values()].filter((t) => t.session === p.session && t.owner === p.user);
    if (open.length === 0) return null;
    return open.length === 1 ? Buffer.from(open[0].id, 'utf8') : id;
  }

  /**
   * Puts a session's open transactions into its changed state (SetSessionOptions): a client that
   * switches schema or time zone mid-transaction expects its next statement there. `setup` is asked
   * for only when the session has a transaction open.
   */
  async reconfigure(p: Principal, setup: () => Promise<string[]>, timeZone: string): Promise<void> {
    const mine = [...this.map.values()].filter((t) => t.session === p.session && t.owner === p.user);
    if (mine.length === 0) return;
    const statements = await setup();
    for (const t of mine) {
      let lease: Lease;
      try {
        lease = await this.lease(Buffer.from(t.id, 'utf8'), p);
      } catch {
        continue; // ended meanwhile
      }
      try {
        t.timeZone = timeZone;
        await applySession(lease.conn, statements);
      } catch (e) {
        // only an aborted transaction refuses a SET or USE: it can only be rolled back, and the
        // session's next transaction starts from the new options anyway
        log.debug({ id: t.id, err: duckdbError(e).message }, 'session options not applied to an aborted transaction');
      } finally {
        lease.release();
      }
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
