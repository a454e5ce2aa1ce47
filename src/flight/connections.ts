// Where a statement gets its DuckDB connection: the pinned connection of its transaction, or a fresh
// one set up for the caller's session. Also enforces the per-user limit on statements in flight and
// the statement timeout, so every command family gets them by asking here.
import { DeadlineExceededError, InvalidArgumentError, ResourceExhaustedError, SkeinError } from '../errors';
import { freshLease, Lease } from '../duckdb/lease';
import { duckdbError } from '../duckdb/errors';
import { CallContext } from './context';
import { applySession, sessionSetup } from './sessions';

/** Statements in flight per user (a streaming result counts until it is read or dropped). */
export class UserLimits {
  private readonly active = new Map<string, number>();

  constructor(private readonly perUser: number) {}

  acquire(user: string): () => void {
    const n = this.active.get(user) ?? 0;
    if (this.perUser > 0 && n >= this.perUser) {
      throw new ResourceExhaustedError(
        `user "${user}" already has ${n} statements running or waiting to be fetched (limit ${this.perUser}); ` +
          'fetch or close earlier results, or retry later',
      );
    }
    this.active.set(user, n + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.active.get(user) ?? 1) - 1;
      if (left <= 0) this.active.delete(user);
      else this.active.set(user, left);
    };
  }

  running(user: string): number {
    return this.active.get(user) ?? 0;
  }
}

/** The session's TimeZone setting, if it changed it (labels TIMESTAMPTZ results). */
function sessionTimeZone(ctx: CallContext): string {
  const tz = ctx.state.sessions.peek(ctx.principal)?.options.get('TimeZone');
  return typeof tz === 'string' ? tz : ctx.state.db.timeZone;
}

/** Options of `leaseFor`. */
export interface LeaseOptions {
  /** The statement creates connection-scoped objects (temporary tables): use the session's connection. */
  temporary?: boolean;
  /** A connection of its own even when the session has one (a distributed query's merge). */
  fresh?: boolean;
}

/** SQL that creates temporary objects, which must live on the session's own connection. */
export function createsTemporary(sql: string): boolean {
  return /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP|TEMPORARY)\s/i.test(sql.replace(/'(?:[^']|'')*'/g, "''"));
}

async function baseLease(
  ctx: CallContext,
  transactionId: Uint8Array | null | undefined,
  opts: LeaseOptions,
): Promise<Lease> {
  const { db, sessions, transactions } = ctx.state;
  if (transactionId && transactionId.length > 0) {
    return transactions.lease(transactionId, ctx.principal, ctx.signal);
  }
  const own = opts.fresh
    ? null
    : await transactions.sessionLease(ctx.principal, {
    create: opts.temporary ?? false,
    setup: () => sessionSetup(sessions.peek(ctx.principal)),
    timeZone: sessionTimeZone(ctx),
    signal: ctx.signal,
  });
  if (own) return own;
  const conn = await db.connect();
  const setup = sessionSetup(sessions.peek(ctx.principal));
  try {
    await applySession(conn, setup);
  } catch (e) {
    db.release(conn);
    const err = duckdbError(e);
    throw new InvalidArgumentError(`the session's options no longer apply (${err.message}); change or erase them`);
  }
  return freshLease(db, conn, sessionTimeZone(ctx));
}

/** A connection for one statement of the caller, counted against their limit and timed. */
export async function leaseFor(
  ctx: CallContext,
  transactionId?: Uint8Array | null,
  opts: LeaseOptions = {},
): Promise<Lease> {
  const releaseSlot = ctx.state.limits.acquire(ctx.principal.user);
  let base: Lease;
  try {
    base = await baseLease(ctx, transactionId, opts);
  } catch (e) {
    releaseSlot();
    throw e;
  }
  const timeoutMs = ctx.state.config.statementTimeoutSeconds * 1000;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let repeat: NodeJS.Timeout | undefined;
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      // DuckDB forgets an interrupt that lands between two calls: repeat until released
      base.conn.interrupt();
      repeat = setInterval(() => base.conn.interrupt(), 50);
    }, timeoutMs);
    timer.unref();
  }
  let released = false;
  return {
    conn: base.conn,
    db: base.db,
    timeZone: base.timeZone,
    inTransaction: base.inTransaction,
    release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      clearInterval(repeat);
      releaseSlot();
      base.release();
    },
    failure(): SkeinError | null {
      if (!timedOut) return null;
      return new DeadlineExceededError(
        `statement timeout: stopped after ${ctx.state.config.statementTimeoutSeconds} s (statementTimeoutSeconds)`,
      );
    },
    onContention: base.onContention ? (fn) => base.onContention?.(fn) : undefined,
    abortTransaction: base.abortTransaction ? () => base.abortTransaction!() : undefined,
  };
}
