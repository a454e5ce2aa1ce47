// Ad-hoc statements: CommandStatementQuery (GetFlightInfo runs the query, DoGet streams it),
// its GetSchema, and CommandStatementUpdate through DoPut (DDL/DML/scripts → row count).
import { CancelledError, InvalidArgumentError } from '../errors';
import { describeQuery, runUpdate, startQuery, RunningQuery } from '../duckdb/statement';
import { Lease } from '../duckdb/lease';
import { createsTemporary, leaseFor } from './connections';
import { runDistributed } from './distributed';
import { StatementLog, statementLog } from './query-log';
import { BatchSource, CallContext } from './context';
import { CommandTable, flightInfo, statementTicket } from './command-table';
import { sql } from './proto';
import * as A from 'apache-arrow';
import { BatchOptions } from '../duckdb/record-batches';

export function batchOptions(ctx: CallContext): BatchOptions {
  const { batchBytes, maxMessageBytes } = ctx.state.config;
  // keep each message under the client limit, with room for the IPC header
  const maxBatchBytes = Math.max(64 * 1024, maxMessageBytes - 64 * 1024);
  return { batchBytes: Math.min(batchBytes, maxBatchBytes), maxBatchBytes };
}

export function querySource(q: RunningQuery): BatchSource {
  return {
    schema: q.schema,
    batches: q.batches(),
    interrupt: () => q.interrupt(),
    close: () => q.close(),
  };
}

/** Runs a query now and parks its result stream until the client redeems the ticket. */
export async function executeToTicket(
  ctx: CallContext,
  text: string,
  params: A.RecordBatch[] | null,
  transactionId: Uint8Array | null | undefined,
  onLease?: (lease: Lease) => Promise<void>,
): Promise<{ schema: A.Schema; ticket: Buffer; id: string }> {
  const entry = statementLog(ctx, 'query', text);
  try {
    const source = await startSource(ctx, text, params, transactionId, onLease, entry);
    const parked = park(ctx, entry ? entry.wrap(source) : source);
    if (entry) entry.queryId = parked.id;
    return parked;
  } catch (e) {
    entry?.finish(e, null);
    throw e;
  }
}

/** Starts the statement: on the executors when it is distributed, else on the coordinator's DuckDB. */
async function startSource(
  ctx: CallContext,
  text: string,
  params: A.RecordBatch[] | null,
  transactionId: Uint8Array | null | undefined,
  onLease: ((lease: Lease) => Promise<void>) | undefined,
  entry: StatementLog | null,
): Promise<BatchSource> {
  const distributed = await runDistributed(ctx, text, params, transactionId, entry?.facts);
  if (distributed) return distributed;
  const lease = await leaseFor(ctx, transactionId, { temporary: createsTemporary(text) });
  if (onLease) {
    try {
      await onLease(lease);
    } catch (e) {
      lease.release();
      throw e;
    }
  }
  const q = await startQuery(lease, text, { params, signal: ctx.signal, batch: batchOptions(ctx) });
  if (ctx.signal.aborted) {
    q.close();
    throw new CancelledError('query cancelled by the client');
  }
  return querySource(q);
}

/** Runs an update (DDL/DML) and logs it as one statement. */
export async function loggedUpdate(ctx: CallContext, text: string, run: () => Promise<number>): Promise<number> {
  const entry = statementLog(ctx, 'update', text);
  try {
    const changed = await run();
    entry?.finish(null, changed);
    return changed;
  } catch (e) {
    entry?.finish(e, null);
    throw e;
  }
}

/** Parks a started result until the client redeems its ticket. */
function park(ctx: CallContext, source: BatchSource): { schema: A.Schema; ticket: Buffer; id: string } {
  const id = ctx.state.results.add(ctx.principal.user, source);
  // DuckDB keeps computing ahead of the reader: if the client gives up (cancel or deadline)
  // before it receives the ticket, stop the query instead of leaving it to the result TTL
  ctx.signal.addEventListener('abort', () => ctx.state.results.drop(id), { once: true });
  return { schema: source.schema, ticket: statementTicket(id), id };
}

export const statementCommands: CommandTable = {
  CommandStatementQuery: {
    async getFlightInfo(ctx, value, descriptor) {
      const cmd = sql.CommandStatementQuery.decode(value);
      const { schema, ticket } = await executeToTicket(ctx, cmd.query, null, cmd.transaction_id);
      return flightInfo(schema, descriptor, ticket);
    },
    async getSchema(ctx, value) {
      const cmd = sql.CommandStatementQuery.decode(value);
      const d = await describeQuery(await leaseFor(ctx, cmd.transaction_id), cmd.query);
      if (d.columns) return d.columns.schema;
      throw new InvalidArgumentError('the result schema depends on parameters; prepare the statement instead');
    },
  },

  TicketStatementQuery: {
    async doGet(ctx, value) {
      const t = sql.TicketStatementQuery.decode(value);
      return ctx.state.results.take(t.statement_handle.toString('utf8'), ctx.principal.user);
    },
  },

  CommandStatementUpdate: {
    async doPut(ctx, value) {
      const cmd = sql.CommandStatementUpdate.decode(value);
      const changed = await loggedUpdate(ctx, cmd.query, async () => {
        const lease = await leaseFor(ctx, cmd.transaction_id, { temporary: createsTemporary(cmd.query) });
        return runUpdate(lease, cmd.query, { signal: ctx.signal });
      });
      return sql.DoPutUpdateResult.encode({ record_count: changed });
    },
  },
};

