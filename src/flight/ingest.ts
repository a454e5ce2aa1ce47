// Flight SQL bulk ingest: DoPut(CommandStatementIngest) followed by an Arrow stream. The table is
// created, replaced or appended to as the table definition options ask, and the batches go into it
// through DuckDB's appender as they arrive, all in one transaction: any failure (bad data, a
// cancelled upload, a type DuckDB refuses) leaves the target as it was. Inside a client transaction
// a failure part-way rolls that transaction back (DuckDB has no savepoints to undo just the ingest).
import * as A from 'apache-arrow';
import { DuckDBAppender, DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { appenderError, ArrowAppender } from '../duckdb/arrow-appender';
import { duckdbTypeOfField } from '../duckdb/arrow-import-types';
import { duckdbError } from '../duckdb/errors';
import { Lease } from '../duckdb/lease';
import { quoteIdent } from '../duckdb/sql';
import {
  AlreadyExistsError,
  CancelledError,
  InvalidArgumentError,
  NotFoundError,
  SkeinError,
  UnimplementedError,
} from '../errors';
import { log } from '../log';
import { CommandTable } from './command-table';
import { leaseFor } from './connections';
import { CallContext } from './context';
import { createTableSql, findTable, matchColumns, qualifiedName, resolveTarget, TargetTable } from './ingest-target';
import { CommandStatementIngest, sql } from './proto';
import { ArrowStream } from './put-stream';

// TableDefinitionOptions enums (FlightSql.proto)
const NOT_EXIST_CREATE = 1;
const NOT_EXIST_FAIL = 2;
const EXISTS_FAIL = 1;
const EXISTS_APPEND = 2;
const EXISTS_REPLACE = 3;

interface Mode {
  ifNotExist: typeof NOT_EXIST_CREATE | typeof NOT_EXIST_FAIL;
  ifExists: typeof EXISTS_FAIL | typeof EXISTS_APPEND | typeof EXISTS_REPLACE;
}

function modeOf(cmd: CommandStatementIngest): Mode {
  const o = cmd.table_definition_options;
  const ifNotExist = Number(o?.if_not_exist ?? 0);
  const ifExists = Number(o?.if_exists ?? 0);
  if (ifNotExist !== NOT_EXIST_CREATE && ifNotExist !== NOT_EXIST_FAIL) {
    throw new InvalidArgumentError('ingest needs table_definition_options.if_not_exist: CREATE or FAIL');
  }
  if (ifExists !== EXISTS_FAIL && ifExists !== EXISTS_APPEND && ifExists !== EXISTS_REPLACE) {
    throw new InvalidArgumentError('ingest needs table_definition_options.if_exists: FAIL, APPEND or REPLACE');
  }
  return { ifNotExist, ifExists } as Mode;
}

/** The connection an ingest runs on, and what that connection allows. */
export interface IngestConnection {
  lease: Lease;
  /** True when the ingest owns its transaction (BEGIN … COMMIT / ROLLBACK here). */
  ownsTransaction: boolean;
  /** True when connection-scoped objects (temporary tables) outlive the call. */
  keepsTemporaryTables: boolean;
}

/**
 * Where an ingest's connection comes from: the client's transaction when it names one (the ingest is
 * then part of it, and a failure part-way rolls the whole transaction back, since DuckDB has no
 * savepoints); for a temporary table the session's own connection (where the table will live on);
 * otherwise a fresh connection.
 */
export async function ingestConnection(ctx: CallContext, cmd: CommandStatementIngest): Promise<IngestConnection> {
  const lease = await leaseFor(ctx, cmd.transaction_id, { temporary: cmd.temporary });
  return { lease, ownsTransaction: !lease.inTransaction, keepsTemporaryTables: cmd.temporary || lease.inTransaction };
}

function checkCommand(cmd: CommandStatementIngest): void {
  if (!cmd.table) throw new InvalidArgumentError('ingest needs a target table name');
  if (cmd.temporary && (cmd.catalog || cmd.schema)) {
    throw new InvalidArgumentError('a temporary table lives in DuckDB\'s temporary catalog: do not set catalog or schema');
  }
  const unknown = Object.keys(cmd.options ?? {});
  if (unknown.length > 0) log.debug({ options: unknown }, 'ingest options ignored');
}

/** Stops the ingest when the client has gone or the statement timeout has passed. */
function checkAlive(ctx: CallContext, lease: Lease): void {
  const failure = lease.failure?.();
  if (failure) throw failure;
  if (ctx.signal.aborted) throw new CancelledError('ingest cancelled by the client (or its deadline passed)');
}

/** Drops what the appender still buffers and closes it, so nothing more reaches the table. */
function discard(appender: DuckDBAppender): void {
  try {
    appender.clear();
    appender.closeSync();
  } catch {
    // the transaction is rolled back next, which undoes whatever got through
  }
}

async function appendStream(
  ctx: CallContext,
  lease: Lease,
  target: TargetTable,
  stream: ArrowStream,
  columns: number[],
  types: DuckDBType[],
): Promise<number> {
  let appender: DuckDBAppender;
  try {
    appender = await lease.conn.createAppender(target.table, target.schema, target.catalog);
  } catch (e) {
    throw duckdbError(e);
  }
  try {
    const writer = new ArrowAppender(appender, stream.schema.fields, columns, columns.map((c) => types[c]));
    for await (const batch of stream.batches) {
      checkAlive(ctx, lease);
      writer.append(batch);
    }
    writer.finish();
    try {
      appender.closeSync(); // flushes the last rows into the table
    } catch (e) {
      throw appenderError(e);
    }
    log.debug({ rows: writer.rows, appenderMs: Math.round(writer.duckdbMs) }, 'ingest appended');
    return writer.rows;
  } catch (e) {
    discard(appender);
    throw e;
  }
}

/** Creates, replaces or checks the target, then appends; the caller owns the transaction. */
async function ingestInto(
  ctx: CallContext,
  lease: Lease,
  cmd: CommandStatementIngest,
  mode: Mode,
  stream: ArrowStream,
  types: DuckDBType[],
  progress: { changed: boolean } = { changed: false },
): Promise<number> {
  const conn: DuckDBConnection = lease.conn;
  const fields = stream.schema.fields;
  const wanted = await resolveTarget(conn, cmd.table, cmd.catalog || undefined, cmd.schema || undefined, cmd.temporary);
  const existing = await findTable(conn, wanted);
  let target = wanted;
  let columns = fields.map((_, i) => i);
  if (existing && mode.ifExists === EXISTS_FAIL) {
    throw new AlreadyExistsError(`table ${qualifiedName(existing)} already exists`);
  } else if (existing && mode.ifExists === EXISTS_APPEND) {
    target = existing;
    columns = await matchColumns(conn, existing, fields, types);
  } else if (!existing && mode.ifNotExist === NOT_EXIST_FAIL) {
    throw new NotFoundError(`table ${qualifiedName(wanted)} does not exist`);
  } else {
    progress.changed = true;
    await conn.run(createTableSql(wanted, fields, types, existing !== null));
  }
  progress.changed = true;
  return appendStream(ctx, lease, target, stream, columns, types);
}

async function ingest(
  ctx: CallContext,
  cmd: CommandStatementIngest,
  mode: Mode,
  stream: ArrowStream | null,
  ic: IngestConnection,
): Promise<number> {
  const { lease } = ic;
  if (cmd.temporary && !ic.keepsTemporaryTables) {
    throw new UnimplementedError(
      'temporary tables are not supported: each call runs on its own DuckDB connection, ' +
        'so a temporary table would be gone when the ingest ends',
    );
  }
  if (!stream) throw new InvalidArgumentError('ingest needs an Arrow stream (schema and batches) after the descriptor');
  const fields = stream.schema.fields;
  if (fields.length === 0) throw new InvalidArgumentError('ingest needs at least one column');
  const types = fields.map((f: A.Field) => duckdbTypeOfField(f, quoteIdent(f.name)));
  if (!ic.ownsTransaction) {
    // checks that fail before anything changed leave the client's transaction alone
    const progress = { changed: false };
    try {
      return await ingestInto(ctx, lease, cmd, mode, stream, types, progress);
    } catch (e) {
      if (progress.changed) await lease.abortTransaction?.();
      throw e;
    }
  }
  await lease.conn.run('BEGIN TRANSACTION');
  try {
    const rows = await ingestInto(ctx, lease, cmd, mode, stream, types);
    checkAlive(ctx, lease);
    await lease.conn.run('COMMIT');
    return rows;
  } catch (e) {
    await lease.conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export const ingestCommands: CommandTable = {
  CommandStatementIngest: {
    async doPut(ctx, value, input) {
      const cmd = sql.CommandStatementIngest.decode(value);
      checkCommand(cmd);
      const mode = modeOf(cmd);
      const started = Date.now();
      const ic = await ingestConnection(ctx, cmd);
      try {
        const stream = await input.readArrowStream();
        const rows = await ingest(ctx, cmd, mode, stream, ic);
        log.debug({ table: cmd.table, rows, ms: Date.now() - started }, 'ingest done');
        return sql.DoPutUpdateResult.encode({ record_count: rows });
      } catch (e) {
        throw ic.lease.failure?.() ?? (e instanceof SkeinError ? e : duckdbError(e));
      } finally {
        ic.lease.release();
      }
    },
  },
};
