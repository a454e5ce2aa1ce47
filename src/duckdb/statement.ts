// Runs SQL on the coordinator's DuckDB: queries as streaming results turned into Arrow batches,
// updates as row counts. Each call owns a leased connection and gives it back when done or cancelled.
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
import { Lease } from './lease';
import { checkSandbox, SandboxPolicy } from './sandbox';
import { duckdbError, messageOf } from './errors';
import { bindRow } from './params';
import { BatchOptions, recordBatches, ResultBatch } from './record-batches';

const MULTI = /Cannot prepare multiple statements at once/;

/** Refuses statements that would leave per-connection state nobody can see again. */
export function checkStatement(stmt: DuckDBPreparedStatement, sql: string, policy: SandboxPolicy | null): void {
  checkSandbox(policy, stmt, sql);
  if (stmt.statementType === StatementType.TRANSACTION) {
    throw new FailedPreconditionError(
      'explicit BEGIN/COMMIT/ROLLBACK are not supported: use the client\'s transaction API ' +
        '(ADBC autocommit off, JDBC setAutoCommit(false)); otherwise each statement auto-commits',
    );
  }
}

/**
 * Prepares the last statement of `sql` on `conn`, running the earlier ones of a multi-statement
 * script first (their results are discarded, as DuckDB's own clients do).
 */
async function prepareLast(lease: Lease, sql: string): Promise<DuckDBPreparedStatement> {
  const conn = lease.conn;
  const check = (stmt: DuckDBPreparedStatement): void => checkStatement(stmt, sql, lease.db.sandbox);
  try {
    const stmt = await conn.prepare(sql);
    try {
      check(stmt);
    } catch (e) {
      stmt.destroySync();
      throw e;
    }
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
      check(stmt);
      await stmt.run();
      stmt.destroySync();
    }
    const last = await extracted.prepare(n - 1);
    check(last);
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

/**
 * A query that is running (or ready to stream) on a leased connection. On a shared (transaction)
 * connection it can `spill`: read the rest of its result into memory and give the connection back,
 * so the transaction's next statement does not wait for a slow or absent reader.
 */
export class RunningQuery {
  private finished = false;
  private source: AsyncGenerator<ResultBatch> | null = null;
  private readonly buffered: ResultBatch[] = [];
  private exhausted = false;
  private spilling: Promise<void> | null = null;
  private spillError: unknown = null;

  constructor(
    private readonly lease: Lease,
    private readonly stmt: DuckDBPreparedStatement,
    private readonly result: DuckDBResult,
    readonly columns: ColumnInfo,
    private readonly batchOptions: BatchOptions,
  ) {
    lease.onContention?.(() => void this.spill());
  }

  get schema(): A.Schema {
    return this.columns.schema;
  }

  private get batchSource(): AsyncGenerator<ResultBatch> {
    this.source ??= recordBatches(this.result, this.columns.schema, this.columns.types, this.batchOptions);
    return this.source;
  }

  /** Streams the result as Arrow batches; the connection is released at the end or on error. */
  async *batches(): AsyncGenerator<ResultBatch> {
    try {
      for (;;) {
        if (this.spilling) {
          await this.spilling;
          if (this.spillError) throw this.spillError;
        }
        const b = this.buffered.shift();
        if (b) {
          yield b;
          continue;
        }
        if (this.exhausted || this.finished) break;
        const r = await this.batchSource.next();
        if (r.done) {
          this.throwIfStopped();
          this.exhausted = true;
          break;
        }
        yield r.value;
      }
    } catch (e) {
      throw this.lease.failure?.() ?? duckdbError(e);
    } finally {
      this.close();
    }
  }

  /** Reads the rest of the result into memory and releases the connection early. */
  spill(): Promise<void> {
    if (this.spilling || this.finished || this.exhausted) return this.spilling ?? Promise.resolve();
    this.spilling = (async () => {
      try {
        for (let r = await this.batchSource.next(); !r.done; r = await this.batchSource.next()) {
          this.buffered.push(r.value);
        }
        this.throwIfStopped();
        this.exhausted = true;
      } catch (e) {
        this.spillError = e;
      } finally {
        this.releaseConnection();
      }
    })();
    return this.spilling;
  }

  /**
   * DuckDB ends an interrupted stream as if it were complete: when the server stopped the statement
   * (its timeout), the rows so far are not the whole result, so report why instead.
   */
  private throwIfStopped(): void {
    const stopped = this.lease.failure?.();
    if (stopped) throw stopped;
  }

  /** Stops DuckDB's work on this query (the running operator checks the interrupt flag). */
  interrupt(): void {
    if (!this.finished) this.lease.conn.interrupt();
  }

  private connectionReleased = false;

  private releaseConnection(): void {
    if (this.connectionReleased) return;
    this.connectionReleased = true;
    this.stmt.destroySync();
    this.lease.release();
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffered.length = 0;
    // stop a spill still reading (it releases the connection when it ends); once the spill is done
    // the connection belongs to the transaction's next statement, which must not be interrupted
    if (this.spilling && !this.connectionReleased) this.lease.conn.interrupt();
    else this.releaseConnection();
  }
}

export interface RunOptions {
  /** Parameter rows, in one or more batches (as a client sent them). */
  params?: A.RecordBatch[] | null;
  signal?: AbortSignal;
}

export interface QueryOptions extends RunOptions {
  batch: BatchOptions;
  /**
   * Run the query to the end before the first batch (a materialized result): no per-chunk round
   * trip to DuckDB's thread, and full 2,048-row chunks where a streamed filter yields a few hundred
   * rows at a time (three times faster for selective scans). For results known to fit in memory:
   * fragments (their inputs are sized by the planner) and merges.
   */
  materialize?: boolean;
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
export async function startQuery(lease: Lease, sql: string, opts: QueryOptions): Promise<RunningQuery> {
  const conn = lease.conn;
  let unwatch = (): void => undefined;
  let stmt: DuckDBPreparedStatement | null = null;
  try {
    unwatch = interruptOnAbort(conn, opts.signal);
    stmt = await prepareLast(lease, sql);
    if (opts.params && opts.params.length > 0) {
      const rows = opts.params.reduce((s, b) => s + b.numRows, 0);
      if (rows !== 1) {
        throw new InvalidArgumentError(`a query takes exactly one row of parameters, got ${rows}`);
      }
      bindRow(stmt, opts.params.find((b) => b.numRows === 1) as A.RecordBatch, 0);
    }
    if (opts.signal?.aborted) throw new CancelledError('query cancelled by the client (or its deadline passed)');
    const result = opts.materialize ? await stmt.run() : await stmt.stream();
    const columns = columnsOf(result.deduplicatedColumnNames(), result.columnTypes(), lease.timeZone);
    return new RunningQuery(lease, stmt, result, columns, opts.batch);
  } catch (e) {
    stmt?.destroySync();
    lease.release();
    throw lease.failure?.() ?? duckdbError(e);
  } finally {
    unwatch();
  }
}

/** Result columns of `sql` without running it; null when DuckDB cannot tell before parameters are bound. */
export async function describeQuery(
  lease: Lease,
  sql: string,
): Promise<{ columns: ColumnInfo | null; params: (DuckDBType | null)[]; statementType: StatementType; timeZone: string }> {
  return withLease(lease, async (conn) => {
    let stmt: DuckDBPreparedStatement;
    try {
      stmt = await conn.prepare(sql);
    } catch (e) {
      throw duckdbError(e);
    }
    try {
      checkStatement(stmt, sql, lease.db.sandbox);
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
        columns: resolved ? columnsOf(dedupe(names), types, lease.timeZone) : null,
        params,
        statementType: stmt.statementType,
        timeZone: lease.timeZone,
      };
    } finally {
      stmt.destroySync();
    }
  });
}

/** Runs `fn` on the lease's connection and releases the lease afterwards, whatever happens. */
async function withLease<T>(lease: Lease, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  try {
    return await fn(lease.conn);
  } finally {
    lease.release();
  }
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
export async function runUpdate(lease: Lease, sql: string, opts: RunOptions = {}): Promise<number> {
  return withLease(lease, async (conn) => {
    let unwatch = (): void => undefined;
    let stmt: DuckDBPreparedStatement | null = null;
    try {
      unwatch = interruptOnAbort(conn, opts.signal);
      stmt = await prepareLast(lease, sql);
      const batches = opts.params ?? [];
      const rows = batches.reduce((s, b) => s + b.numRows, 0);
      if (rows === 0) return (await stmt.run()).rowsChanged;
      if (rows === 1) {
        bindRow(stmt, batches.find((b) => b.numRows === 1) as A.RecordBatch, 0);
        return (await stmt.run()).rowsChanged;
      }
      // inside a client transaction the batch is atomic with the rest of it
      if (!lease.inTransaction) await conn.run('BEGIN TRANSACTION');
      try {
        let changed = 0;
        for (const batch of batches) {
          for (let row = 0; row < batch.numRows; row++) {
            bindRow(stmt, batch, row);
            changed += (await stmt.run()).rowsChanged;
          }
        }
        if (!lease.inTransaction) await conn.run('COMMIT');
        return changed;
      } catch (e) {
        if (!lease.inTransaction) await conn.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    } catch (e) {
      throw lease.failure?.() ?? duckdbError(e);
    } finally {
      stmt?.destroySync();
      unwatch();
    }
  });
}
