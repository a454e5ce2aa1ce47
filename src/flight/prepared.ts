// Prepared statements, the path the Python DBAPI and JDBC drivers take for every statement:
// Create/ClosePreparedStatement actions, parameter binding through DoPut, execution as a query
// (GetFlightInfo → DoGet) or as an update (DoPut → row count).
import * as A from 'apache-arrow';
import { DuckDBType, DuckDBTypeId, StatementType } from '@duckdb/node-api';
import { arrowTypeOf, DictionaryIds } from '../duckdb/arrow-types';
import { describeQuery, runUpdate } from '../duckdb/statement';
import { InvalidArgumentError } from '../errors';
import { createsTemporary, leaseFor } from './connections';
import { ActionTable } from './action-table';
import { CommandTable, flightInfo } from './command-table';
import { CallContext } from './context';
import { EMPTY_SCHEMA_BYTES, schemaToBytes } from './ipc';
import { PreparedStatement } from './prepared-registry';
import { packAny, sql, unpackAny } from './proto';
import { executeToTicket, loggedUpdate } from './statements';

/** Statement kinds whose result is only a row count ("Count") or a flag ("Success"). */
const UPDATE_KINDS = new Set<StatementType>([
  StatementType.INSERT,
  StatementType.UPDATE,
  StatementType.DELETE,
  StatementType.CREATE,
  StatementType.ALTER,
  StatementType.DROP,
  StatementType.COPY,
  StatementType.VARIABLE_SET,
  StatementType.SET,
  StatementType.CREATE_FUNC,
  StatementType.LOAD,
  StatementType.ATTACH,
  StatementType.DETACH,
  StatementType.EXPORT,
  StatementType.VACUUM,
  StatementType.ANALYZE,
]);

function isUpdate(kind: StatementType, columns: A.Schema | null): boolean {
  if (!UPDATE_KINDS.has(kind)) return false;
  // INSERT … RETURNING and friends produce rows: treat them as queries
  if (!columns) return true;
  const names = columns.fields.map((f) => f.name);
  return names.length === 1 && (names[0] === 'Count' || names[0] === 'Success');
}

/**
 * Arrow types clients should send parameters as. TIMESTAMP parameters are declared in milliseconds:
 * the Flight SQL JDBC driver writes epoch milliseconds into whatever unit is declared
 * (apache/arrow-java#838) and JDBC cannot carry more precision anyway; ADBC clients send their own
 * types, which bind at full precision.
 */
function parameterType(t: DuckDBType | null, timeZone: string, dicts: DictionaryIds): A.DataType {
  if (t === null || t.typeId === DuckDBTypeId.ANY) return new A.Null();
  if (t.typeId === DuckDBTypeId.TIMESTAMP) return new A.TimestampMillisecond();
  if (t.typeId === DuckDBTypeId.TIMESTAMP_TZ) return new A.TimestampMillisecond(timeZone);
  return arrowTypeOf(t, timeZone, dicts);
}

/**
 * The transaction a prepared statement's execution runs in: the one it was prepared in or, once its
 * client has ended that, the session's current one (see TransactionRegistry.current).
 */
export function preparedTransaction(ctx: CallContext, p: PreparedStatement): Buffer | null {
  if (!p.transactionId) return null;
  const now = ctx.state.transactions.current(p.transactionId, ctx.principal);
  if (now === null) return null; // auto-commits, but follows the session if it opens a transaction again
  p.transactionId = Buffer.from(now);
  return p.transactionId;
}

function parameterSchema(params: (DuckDBType | null)[], timeZone: string): A.Schema {
  const dicts = new DictionaryIds();
  return new A.Schema(params.map((t, i) => new A.Field(`parameter_${i + 1}`, parameterType(t, timeZone, dicts), true)));
}

export const preparedActions: ActionTable = {
  CreatePreparedStatement: {
    description: 'Prepare a SQL statement; returns its handle, result schema and parameter schema',
    async run(ctx: CallContext, body: Buffer) {
      const req = sql.ActionCreatePreparedStatementRequest.decode(unpackAny(body).value);
      const txn = req.transaction_id && req.transaction_id.length > 0 ? Buffer.from(req.transaction_id) : null;
      const d = await describeQuery(await leaseFor(ctx, txn), req.query);
      const update = isUpdate(d.statementType, d.columns?.schema ?? null);
      const handle = ctx.state.prepared.create(ctx.principal.user, req.query, update, txn);
      const result = sql.ActionCreatePreparedStatementResult.encode({
        prepared_statement_handle: handle,
        dataset_schema: update || !d.columns ? EMPTY_SCHEMA_BYTES : schemaToBytes(d.columns.schema),
        parameter_schema: schemaToBytes(parameterSchema(d.params, d.timeZone)),
        is_update: update,
      });
      return [packAny('ActionCreatePreparedStatementResult', result)];
    },
  },
  ClosePreparedStatement: {
    description: 'Close a prepared statement',
    async run(ctx: CallContext, body: Buffer) {
      const req = sql.ActionClosePreparedStatementRequest.decode(unpackAny(body).value);
      ctx.state.prepared.close(req.prepared_statement_handle, ctx.principal.user);
      return [];
    },
  },
};

export const preparedCommands: CommandTable = {
  CommandPreparedStatementQuery: {
    async getFlightInfo(ctx, value, descriptor) {
      const cmd = sql.CommandPreparedStatementQuery.decode(value);
      const p = ctx.state.prepared.get(cmd.prepared_statement_handle, ctx.principal.user);
      const { schema, ticket } = await executeToTicket(ctx, p.sql, p.params, preparedTransaction(ctx, p));
      return flightInfo(schema, descriptor, ticket);
    },
    async getSchema(ctx, value) {
      const cmd = sql.CommandPreparedStatementQuery.decode(value);
      const p = ctx.state.prepared.get(cmd.prepared_statement_handle, ctx.principal.user);
      const d = await describeQuery(await leaseFor(ctx, preparedTransaction(ctx, p)), p.sql);
      if (d.columns) return d.columns.schema;
      throw new InvalidArgumentError('the result schema depends on the bound parameters; execute it to learn it');
    },
    /** Binds parameters: the statement keeps them for its next executions. */
    async doPut(ctx, value, input) {
      const cmd = sql.CommandPreparedStatementQuery.decode(value);
      const p = ctx.state.prepared.get(cmd.prepared_statement_handle, ctx.principal.user);
      const arrow = await input.readArrow();
      const batches = arrow ? nonEmpty(arrow.schema, arrow.batches) : [];
      p.params = batches.length > 0 ? batches : null;
      return sql.DoPutPreparedStatementResult.encode({
        prepared_statement_handle: cmd.prepared_statement_handle,
      });
    },
  },

  CommandPreparedStatementUpdate: {
    async doPut(ctx, value, input) {
      const cmd = sql.CommandPreparedStatementUpdate.decode(value);
      const p = ctx.state.prepared.get(cmd.prepared_statement_handle, ctx.principal.user);
      const arrow = await input.readArrow();
      const batches = arrow ? nonEmpty(arrow.schema, arrow.batches) : p.params;
      const changed = await loggedUpdate(ctx, p.sql, async () => {
        const lease = await leaseFor(ctx, preparedTransaction(ctx, p), { temporary: createsTemporary(p.sql) });
        return runUpdate(lease, p.sql, { params: batches, signal: ctx.signal });
      });
      return sql.DoPutUpdateResult.encode({ record_count: changed });
    },
  },
};

/** The parameter batches a client sent that hold rows (a zero-column schema means none). */
function nonEmpty(schema: A.Schema, batches: A.RecordBatch[]): A.RecordBatch[] {
  if (schema.fields.length === 0) return [];
  return batches.filter((b) => b.numRows > 0);
}
