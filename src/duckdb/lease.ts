// A DuckDB connection lent to one statement: either a fresh connection (closed on release) or the
// pinned connection of a Flight SQL transaction (unlocked on release, so the next statement of the
// same transaction can run). Statement code sees only this, never where the connection came from.
import { DuckDBConnection } from '@duckdb/node-api';
import { Database } from './database';

export interface Lease {
  readonly conn: DuckDBConnection;
  readonly db: Database;
  /** The session's time zone (labels TIMESTAMP WITH TIME ZONE columns). */
  readonly timeZone: string;
  /** True on a transaction's connection: the statement must not open or end transactions itself. */
  readonly inTransaction: boolean;
  /** Gives the connection back; safe to call more than once. */
  release(): void;
  /**
   * Why the lease's statement was stopped by the server (e.g. its timeout), if it was: statement
   * code reports this instead of DuckDB's bare "interrupted".
   */
  failure?(): Error | null;
  /** Registers what to do when another statement of the same transaction waits for this one. */
  onContention?(fn: () => void): void;
  /**
   * On a transaction's connection: rolls the whole transaction back and marks it failed, for a
   * statement that cannot undo just its own part (DuckDB has no savepoints).
   */
  abortTransaction?(): Promise<void>;
}

/** A lease on a connection nobody else uses; releasing it closes the connection. */
export function freshLease(db: Database, conn: DuckDBConnection, timeZone = db.timeZone): Lease {
  let released = false;
  return {
    conn,
    db,
    timeZone,
    inTransaction: false,
    release() {
      if (released) return;
      released = true;
      db.release(conn);
    },
  };
}
