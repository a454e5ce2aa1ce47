// Open Flight SQL transactions and the sessions' own DuckDB connections. A transaction pins one
// connection in an open DuckDB transaction; the statements that carry its id take turns on it. A
// session gets a connection of its own once it needs one — it created a temporary table, or ran a
// transaction (whose connection it keeps afterwards) — so its temporary tables live as long as the
// session: its later transactions begin there and its other statements run there. Idle
// transactions roll back; a closed or long-idle session's connection is closed.
import { randomUUID } from 'node:crypto';
import { Database } from '../duckdb/database';
import { duckdbError } from '../duckdb/errors';
import { Lease } from '../duckdb/lease';
import { FailedPreconditionError, NotFoundError } from '../errors';
import { log } from '../log';
import { Principal } from './auth';
import { PinnedConnection } from './pinned-connection';
import { applySession } from './sessions';

interface Transaction {
  readonly id: string;
  readonly owner: string;
  readonly session: string;
  readonly pin: PinnedConnection;
  lastUsed: number;
  /** Why the server rolled it back under its client (a failed bulk ingest), if it did. */
  aborted: string | null;
}

interface SessionConnection {
  readonly owner: string;
  readonly pin: PinnedConnection;
}

/** What a statement outside any transaction needs from its session's connection. */
export interface SessionLeaseOptions {
  /** It creates connection-scoped objects (temporary tables): make the session a connection if needed. */
  create: boolean;
  setup: () => string[];
  timeZone: string;
  signal?: AbortSignal;
}

/** How many transactions ended by their client are remembered (see `current`). */
const ENDED_REMEMBERED = 10_000;

const UNKNOWN =
  'unknown transaction: it was committed or rolled back, rolled back after being idle, or its session was closed';
const SESSION_CLOSED = 'the session was closed';

export class TransactionRegistry {
  private readonly map = new Map<string, Transaction>();
  /** Transactions their client ended (EndTransaction), oldest first: id → session. */
  private readonly ended = new Map<string, string>();
  private readonly sessions = new Map<string, SessionConnection>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    private readonly idleMs: number,
    private readonly sessionIdleMs: number = 24 * 3600 * 1000,
  ) {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(idleMs, 30_000));
    this.sweeper.unref();
  }

  private sessionPin(p: Principal): PinnedConnection | null {
    const s = this.sessions.get(p.session);
    return s && s.owner === p.user && !s.pin.closed ? s.pin : null;
  }

  private transactionOn(pin: PinnedConnection): Transaction | undefined {
    for (const t of this.map.values()) if (t.pin === pin) return t;
    return undefined;
  }

  private openTransactions(p: Principal): Transaction[] {
    return [...this.map.values()].filter((t) => t.session === p.session && t.owner === p.user);
  }

  private async freshPin(setup: string[], timeZone: string): Promise<PinnedConnection> {
    const conn = await this.db.connect();
    try {
      await applySession(conn, setup);
    } catch (e) {
      this.db.release(conn);
      throw duckdbError(e);
    }
    return new PinnedConnection(conn, this.db, timeZone);
  }

  /**
   * Opens a DuckDB transaction — on the session's connection when it has one that is free, else
   * on a fresh connection set up for the session — and returns its id.
   */
  async begin(p: Principal, setup: string[], timeZone: string): Promise<Buffer> {
    let pin = this.sessionPin(p);
    if (pin && this.transactionOn(pin)) pin = null;
    const own = pin === null;
    const use = pin ?? (await this.freshPin(setup, timeZone));
    await use.lock();
    try {
      await use.conn.run('BEGIN TRANSACTION');
    } catch (e) {
      if (own) use.close(new NotFoundError(UNKNOWN));
      else use.unlock();
      throw duckdbError(e);
    }
    use.unlock();
    const id = `t-${randomUUID()}`;
    this.map.set(id, { id, owner: p.user, session: p.session, pin: use, lastUsed: Date.now(), aborted: null });
    log.debug({ id, user: p.user, sessionConnection: !own }, 'transaction begun');
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
    await t.pin.lock(signal);
    if (!this.map.has(t.id)) {
      t.pin.unlock();
      throw new NotFoundError(UNKNOWN);
    }
    if (t.aborted) {
      t.pin.unlock();
      throw new FailedPreconditionError(t.aborted);
    }
    t.lastUsed = Date.now();
    return t.pin.lease(true, {
      abortTransaction: async () => {
        // DuckDB has no savepoints: undoing a failed part means undoing the whole transaction
        await t.pin.conn.run('ROLLBACK').catch(() => undefined);
        t.aborted = 'this transaction was rolled back because a statement in it failed part-way; end it with a rollback';
      },
    });
  }

  /**
   * The connection a statement outside any transaction runs on when its session has (or, for
   * temporary objects, needs) one; null means "a fresh connection". A statement that creates
   * temporary objects while its session has one transaction open joins that transaction, whose
   * connection becomes the session's (the Python DBAPI keeps a transaction open at all times and
   * sends bulk ingest without its id).
   */
  async sessionLease(p: Principal, opts: SessionLeaseOptions): Promise<Lease | null> {
    let pin = this.sessionPin(p);
    if (opts.create) {
      const open = this.openTransactions(p);
      if (open.length === 1 && (pin === null || open[0].pin === pin)) {
        if (pin === null) this.sessions.set(p.session, { owner: p.user, pin: open[0].pin });
        return this.lease(Buffer.from(open[0].id, 'utf8'), p, opts.signal);
      }
    }
    if (pin && this.transactionOn(pin)) return null;
    if (!pin) {
      if (!opts.create) return null;
      pin = await this.freshPin(opts.setup(), opts.timeZone);
      this.sessions.set(p.session, { owner: p.user, pin });
      log.debug({ user: p.user }, 'session connection opened (temporary objects)');
    }
    await pin.lock(opts.signal);
    if (pin.closed) throw new NotFoundError(SESSION_CLOSED);
    return pin.lease(false);
  }

  /** True when the session has a connection of its own that no transaction holds (its temporary objects live there). */
  hasFreeSessionConnection(p: Principal): boolean {
    const pin = this.sessionPin(p);
    return pin !== null && !this.transactionOn(pin);
  }

  /** Commits or rolls back, after any statement still using the connection has stepped aside. */
  async end(id: Uint8Array, p: Principal, commit: boolean, signal?: AbortSignal): Promise<void> {
    const t = this.find(id, p);
    await t.pin.lock(signal);
    if (!this.map.has(t.id)) {
      t.pin.unlock();
      throw new NotFoundError(UNKNOWN);
    }
    this.map.delete(t.id);
    this.remember(t);
    try {
      if (t.aborted) {
        if (commit) throw new FailedPreconditionError(`${t.aborted}; nothing was committed`);
      } else {
        if (commit) await this.refuseAborted(t);
        await t.pin.conn.run(commit ? 'COMMIT' : 'ROLLBACK');
      }
      log.debug({ id: t.id, commit }, 'transaction ended');
    } catch (e) {
      throw duckdbError(e);
    } finally {
      this.afterEnd(t);
    }
  }

  /** The session keeps its transaction's connection (and the temporary tables on it). */
  private afterEnd(t: Transaction): void {
    const s = this.sessions.get(t.session);
    if (s && s.pin === t.pin) {
      t.pin.unlock();
    } else if (!s && !t.pin.closed) {
      this.sessions.set(t.session, { owner: t.owner, pin: t.pin });
      t.pin.unlock();
    } else {
      t.pin.close(new NotFoundError(UNKNOWN));
    }
  }

  /**
   * DuckDB answers COMMIT of a transaction an error has aborted by rolling back and reporting
   * success; a client must not believe that committed, so roll back and say so.
   */
  private async refuseAborted(t: Transaction): Promise<void> {
    const problem = await t.pin.conn.run('SELECT 1').then(
      () => null,
      (e: unknown) => e,
    );
    if (problem === null) return;
    await t.pin.conn.run('ROLLBACK').catch(() => undefined);
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
    const open = this.openTransactions(p);
    if (open.length === 0) return null;
    return open.length === 1 ? Buffer.from(open[0].id, 'utf8') : id;
  }

  /**
   * Puts a session's own connection and open transactions into its changed state
   * (SetSessionOptions): a client that switches schema or time zone expects its next statement
   * there. `setup` is asked for only when there is such a connection.
   */
  async reconfigure(p: Principal, setup: () => Promise<string[]>, timeZone: string): Promise<void> {
    const pins = new Set(this.openTransactions(p).map((t) => t.pin));
    const own = this.sessionPin(p);
    if (own) pins.add(own);
    if (pins.size === 0) return;
    const statements = await setup();
    for (const pin of pins) {
      await pin.lock();
      try {
        pin.timeZone = timeZone;
        await applySession(pin.conn, statements);
      } catch (e) {
        // only an aborted transaction refuses a SET or USE: it can only be rolled back, and the
        // session's next transaction starts from the new options anyway
        log.debug({ err: duckdbError(e).message }, 'session options not applied to an aborted transaction');
      } finally {
        pin.unlock();
      }
    }
  }

  /** Rolls back every transaction of a session and closes its connection (CloseSession). */
  async closeSession(session: string): Promise<number> {
    const mine = [...this.map.values()].filter((t) => t.session === session);
    for (const t of mine) await this.abandon(t);
    const s = this.sessions.get(session);
    if (s) {
      this.sessions.delete(session);
      await s.pin.quiesce();
      s.pin.close(new NotFoundError(SESSION_CLOSED));
    }
    return mine.length;
  }

  get size(): number {
    return this.map.size;
  }

  get sessionConnections(): number {
    return this.sessions.size;
  }

  /** Rolls back a transaction nobody will end: stops (or waits for) its current statement first. */
  private async abandon(t: Transaction): Promise<void> {
    if (!this.map.delete(t.id)) return;
    await t.pin.quiesce();
    await t.pin.conn.run('ROLLBACK').catch(() => undefined);
    const s = this.sessions.get(t.session);
    if (!s || s.pin !== t.pin) t.pin.close(new NotFoundError(UNKNOWN));
    log.info({ id: t.id, user: t.owner }, 'transaction rolled back (abandoned)');
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const t of [...this.map.values()]) {
      if (!t.pin.busy && t.lastUsed < now - this.idleMs) await this.abandon(t);
    }
    for (const [id, s] of [...this.sessions]) {
      if (!s.pin.busy && !this.transactionOn(s.pin) && s.pin.lastUsed < now - this.sessionIdleMs) {
        this.sessions.delete(id);
        s.pin.close(new NotFoundError(SESSION_CLOSED));
      }
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    for (const t of [...this.map.values()]) await this.abandon(t);
    for (const s of this.sessions.values()) s.pin.close(new NotFoundError(SESSION_CLOSED));
    this.sessions.clear();
  }
}
