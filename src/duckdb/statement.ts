// Runs SQL on the coordinator's DuckDB: queries as streaming results turned into Arrow batches,
// updates as row counts. Each call owns a fresh connection and gives it back when done or cancelled.
import * as A from 'apache-arrow';
import {
  DuckDBConnection,
  DuckDBPreparedStatement,
  DuckDBResult,
  DuckDBType,
  StatementType,
} from '@duckdb/node-api';
import { CancelledError, FailedPreconditionError, InvalidArgumentError } from '../errors';
import { arrowSchemaOf } from './arrow-types';
import { Database } from './database';
import { duckdbError, messageOf } from './errors';
import { bindRow } from './params';
import { BatchOptions, recordBatches, ResultBatch } from './record-batches';

const MULTI = /Cannot prepare multiple statements at once/;

/** Refuses statements that would leave per-connection state nobody can see again. */
function checkStatement(stmt: DuckDBPreparedStatement): void {
  if (stmt.statementType === StatementType.TRANSACTION) {
    throw new FailedPreconditionError(
      'explicit BEGIN/COMMIT/ROLLBACK are not supported outside a Flight SQL transaction: ' +
        'each statement runs in its own auto-committed transaction',
    );
  }
}

/**
 * Prepares the last statement of `sql` on `conn`, running the earlier ones of a multi-statement
 * script first (their results are discarded, as DuckDB's own clients do).
 */
async function prepareLast(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  try {
    const stmt = await conn.prepare(sql);
    checkStatement(stmt);
    return stmt;
  } catch (e) {
    if (!MULTI.test(messageOf(e))) throw duckdbError(e);
  }
  try {
    const extracted = await conn.extractStatements(sql);
    const n = extracted.count;
    if (n === 0) throw new InvalidArgumentError('no statement to run');
    for (let i = 0; i < n - 1; i++) {
      const stmt = await extracted.prepare(i);
      checkStatement(stmt);
      await stmt.run();
      stmt.destroySync();
    }
    const last = await extracted.prepare(n - 1);
    checkStatement(last);
    return last;
  } catch (e) {
    throw duckdbError(e);
  }
}

export interface ColumnInfo {
  schema: A.Schema;
  types: DuckDBType[];
}

export function columnsOf(names: string[], types: DuckDBType[], timeZone: string): ColumnInfo {
  return { schema: arrowSchemaOf(names, types, timeZone), types };
}

/** A query that is running (or ready to stream) on its own connection. */
export class RunningQuery {
  private finished = false;

  constructor(
    private readonly db: Database,
    private readonly conn: DuckDBConnection,
    private readonly stmt: DuckDBPreparedStatement,
    private readonly result: DuckDBResult,
    readonly columns: ColumnInfo,
  ) {}

  get schema(): A.Schema {
    return this.columns.schema;
  }

  /** Streams the result as Arrow batches; the connection is released at the end or on error. */
  async *batches(opts: BatchOptions): AsyncGenerator<ResultBatch> {
    try {
      for await (const b of recordBatches(this.result, this.columns.schema, this.columns.types, opts)) {
        yield b;
      }
    } catch (e) {
      throw duckdbError(e);
    } finally {
      this.close();
    }
  }

  /** Stops DuckDB's work on this query (the running operator checks the interrupt flag). */
  interrupt(): void {
    if (!this.finished) this.conn.interrupt();
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.stmt.destroySync();
    this.db.release(this.conn);
  }
}

export interface RunOptions {
  /** Parameter rows, in one or more batches (as a client sent them). */
  params?: A.RecordBatch[] | null;
  signal?: AbortSignal;
}

/** Watches `signal` and interrupts `conn` when it fires; returns the unsubscribe function. */
function interruptOnAbort(conn: DuckDBConnection, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => undefined;
  // an interrupt before the query starts would be forgotten by DuckDB: refuse to start instead
  if (signal.aborted) throw new CancelledError('query cancelled by the client (or its deadline passed)');
  // The DuckDB call may still be queued for a thread when the client gives up, and DuckDB clears
  // the interrupt flag when a query starts: keep interrupting until the call returns.
  let repeat: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    conn.interrupt();
    repeat = setInterval(() => conn.interrupt(), 50);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    if (repeat) clearInterval(repeat);
  };
}

/** Starts a query and returns once DuckDB has produced its result stream (errors surface here). */
export async function startQuery(db: Database, sql: string, opts: RunOptions = {}): Promise<RunningQuery> {
  const conn = await db.connect();
  let unwatch = (): void => undefined;
  let stmt: DuckDBPreparedStatement | null = null;
  try {
    unwatch = interruptOnAbort(conn, opts.signal);
    stmt = await prepareLast(conn, sql);
    if (opts.params && opts.params.length > 0) {
      const rows = opts.params.reduce((s, b) => s + b.numRows, 0);
      if (rows !== 1) {
        throw new InvalidArgumentError(`a query takes exactly one row of parameters, got ${rows}`);
      }
      bindRow(stmt, opts.params.find((b) => b.numRows === 1) as A.RecordBatch, 0);
    }
    if (opts.signal?.aborted) throw new CancelledError('query cancelled by the client (or its deadline passed)');
    const result = await stmt.stream();
    const columns = columnsOf(result.deduplicatedColumnNames(), result.columnTypes(), db.timeZone);
    return new RunningQuery(db, conn, stmt, result, columns);
  } catch (e) {
    stmt?.destroySync();
    db.release(conn);
    throw duckdbError(e);
  } finally {
    unwatch();
  }
}

/** Result columns of `sql` without running it; null when DuckDB cannot tell before parameters are bound. */
export async function describeQuery(
  db: Database,
  sql: string,
): Promise<{ columns: ColumnInfo | null; params: (DuckDBType | null)[]; statementType: StatementType }> {
  return db.withConnection(async (conn) => {
    let stmt: DuckDBPreparedStatement;
    try {
      stmt = await conn.prepare(sql);
    } catch (e) {
      throw duckdbError(e);
    }
    try {
      checkStatement(stmt);
      // a parameter DuckDB cannot type before binding (e.g. `SELECT ?`) has type id INVALID (0)
      const params: (DuckDBType | null)[] = [];
      for (let i = 1; i <= stmt.parameterCount; i++) {
        params.push((stmt.parameterTypeId(i) as number) === 0 ? null : stmt.parameterType(i));
      }
      const names: string[] = [];
      const types: DuckDBType[] = [];
      let resolved = true;
      for (let c = 0; c < stmt.columnCount && resolved; c++) {
        if ((stmt.columnTypeId(c) as number) === 0) {
          resolved = false;
          break;
        }
        names.push(stmt.columnName(c));
        types.push(stmt.columnType(c));
      }
      return {
        columns: resolved ? columnsOf(dedupe(names), types, db.timeZone) : null,
        params,
        statementType: stmt.statementType,
      };
    } finally {
      stmt.destroySync();
    }
  });
}

function dedupe(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n);
    if (k === undefined) {
      seen.set(n, 0);
      return n;
    }
    seen.set(n, k + 1);
    return `${n}_${k + 1}`;
  });
}

/**
 * Runs an update (DDL/DML, or a multi-statement script) and returns the rows it changed. With a
 * parameter batch, runs once per row inside one transaction, so the whole batch is atomic.
 */
export async function runUpdate(db: Database, sql: string, opts: RunOptions = {}): Promise<number> {
  return db.withConnection(async (conn) => {
    let unwatch = (): void => undefined;
    let stmt: DuckDBPreparedStatement | null = null;
    try {
      unwatch = interruptOnAbort(conn, opts.signal);
      stmt = await prepareLast(conn, sql);
      const batches = opts.params ?? [];
      const rows = batches.reduce((s, b) => s + b.numRows, 0);
      if (rows === 0) return (await stmt.run()).rowsChanged;
      if (rows === 1) {
        bindRow(stmt, batches.find((b) => b.numRows === 1) as A.RecordBatch, 0);
        return (await stmt.run()).rowsChanged;
      }
      await conn.run('BEGIN TRANSACTION');
      try {
        let changed = 0;
        for (const batch of batches) {
          for (let row = 0; row < batch.numRows; row++) {
            bindRow(stmt, batch, row);
            changed += (await stmt.run()).rowsChanged;
          }
        }
        await conn.run('COMMIT');
        return changed;
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    } catch (e) {
      throw duckdbError(e);
    } finally {
      stmt?.destroySync();
      unwatch();
    }
  });
}
