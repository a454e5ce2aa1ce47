// Long-running queries: PollFlightInfo starts a query in the background and answers at once with
// DuckDB's progress and a descriptor to poll again; when the result is ready the final PollInfo
// carries the ticket. CancelFlightInfo (and the older CancelQuery action) stop a polled query or a
// result still waiting for its DoGet. A query nobody polls for a result-TTL is stopped.
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import { Lease } from '../duckdb/lease';
import { NotFoundError } from '../errors';
import { log } from '../log';
import { ActionTable } from './action-table';
import { CallContext } from './context';
import { EMPTY_SCHEMA_BYTES, schemaToBytes } from './ipc';
import { codecs, FlightDescriptor, FlightInfo, packAny, sql, typeNameOf, unpackAny } from './proto';
import { preparedTransaction } from './prepared';
import { executeToTicket } from './statements';

interface Polled {
  readonly id: string;
  readonly owner: string;
  readonly descriptor: FlightDescriptor;
  readonly abort: AbortController;
  lease: Lease | null;
  state: 'running' | 'ready' | 'failed';
  info: FlightInfo | null;
  error: unknown;
  expires: number;
  timer: NodeJS.Timeout;
}

/** What a query to poll needs: its SQL, bound parameters and transaction. */
export interface PollableQuery {
  sql: string;
  params: A.RecordBatch[] | null;
  transactionId: Uint8Array | null | undefined;
}

const CANCELLED = 1;
const NOT_CANCELLABLE = 3;

/** The descriptor a client polls with: an Any(TicketStatementQuery) naming the polled query. */
function pollDescriptor(id: string): FlightDescriptor {
  return {
    type: 2,
    cmd: packAny('TicketStatementQuery', sql.TicketStatementQuery.encode({ statement_handle: Buffer.from(id) })),
    path: [],
  };
}

function timestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export class PollRegistry {
  private readonly map = new Map<string, Polled>();

  constructor(private readonly ttlMs: number) {}

  /** Starts `query` detached from the calling RPC; the first PollInfo comes back immediately. */
  start(ctx: CallContext, descriptor: FlightDescriptor, query: PollableQuery): Record<string, unknown> {
    const id = `poll-${randomUUID()}`;
    const abort = new AbortController();
    const p: Polled = {
      id,
      owner: ctx.principal.user,
      descriptor,
      abort,
      lease: null,
      state: 'running',
      info: null,
      error: null,
      expires: 0,
      timer: setTimeout(() => undefined, 0),
    };
    this.map.set(id, p);
    this.touch(p);
    const detached: CallContext = { ...ctx, signal: abort.signal };
    executeToTicket(detached, query.sql, query.params, query.transactionId, async (lease) => {
      // DuckDB tracks progress only with its progress bar on (never printed here)
      await lease.conn.run('SET enable_progress_bar = true');
      await lease.conn.run('SET enable_progress_bar_print = false');
      await lease.conn.run('SET progress_bar_time = 0');
      p.lease = lease;
    }).then(
      ({ schema, ticket }) => {
        p.lease = null;
        p.state = 'ready';
        p.info = {
          schema: schemaToBytes(schema),
          flight_descriptor: descriptor,
          endpoint: [{ ticket: { ticket }, location: [] }],
          total_records: -1,
          total_bytes: -1,
          ordered: false,
        };
      },
      (e: unknown) => {
        p.lease = null;
        p.state = 'failed';
        p.error = e;
      },
    );
    return this.pollInfo(p);
  }

  /** The current PollInfo of a polled query (its error once it failed). */
  poll(ctx: CallContext, id: string): Record<string, unknown> {
    const p = this.map.get(id);
    if (!p || p.owner !== ctx.principal.user) {
      throw new NotFoundError('unknown or expired poll descriptor: poll within the result TTL');
    }
    this.touch(p);
    if (p.state === 'failed') {
      this.forget(p);
      throw p.error;
    }
    const info = this.pollInfo(p);
    if (p.state === 'ready') this.forget(p);
    return info;
  }

  /** Stops a polled query; true if there was one to stop. */
  cancel(ctx: CallContext, id: string): boolean {
    const p = this.map.get(id);
    if (!p || p.owner !== ctx.principal.user) return false;
    p.abort.abort();
    this.forget(p);
    return true;
  }

  private pollInfo(p: Polled): Record<string, unknown> {
    if (p.state === 'ready' && p.info) {
      return { info: p.info, progress: 1, expiration_time: timestamp(p.expires) };
    }
    const pct = p.lease ? Number(p.lease.conn.progress.percentage) : -1;
    const out: Record<string, unknown> = {
      // a FlightInfo without endpoints, so a client can already CancelFlightInfo it
      info: {
        schema: EMPTY_SCHEMA_BYTES,
        flight_descriptor: pollDescriptor(p.id),
        endpoint: [],
        total_records: -1,
        total_bytes: -1,
        ordered: false,
      },
      flight_descriptor: pollDescriptor(p.id),
      expiration_time: timestamp(p.expires),
    };
    if (pct >= 0) out.progress = Math.min(0.99, pct / 100);
    return out;
  }

  private touch(p: Polled): void {
    clearTimeout(p.timer);
    p.expires = Date.now() + this.ttlMs;
    p.timer = setTimeout(() => {
      log.info({ id: p.id }, 'polled query abandoned: stopping it');
      p.abort.abort();
      this.forget(p);
    }, this.ttlMs);
    p.timer.unref();
  }

  private forget(p: Polled): void {
    clearTimeout(p.timer);
    this.map.delete(p.id);
  }

  closeAll(): void {
    for (const p of [...this.map.values()]) {
      p.abort.abort();
      this.forget(p);
    }
  }
}

/** The handle inside a ticket or poll descriptor: Any(TicketStatementQuery{handle}). */
function handleOf(bytes: Uint8Array): string | null {
  try {
    const any = unpackAny(bytes);
    if (typeNameOf(any.typeUrl) !== 'TicketStatementQuery') return null;
    return sql.TicketStatementQuery.decode(any.value).statement_handle.toString('utf8');
  } catch {
    return null;
  }
}

/** Cancels whatever a FlightInfo stands for: a polled query, or results still waiting for DoGet. */
function cancelInfo(ctx: CallContext, info: FlightInfo | null | undefined): number {
  if (!info) return NOT_CANCELLABLE;
  let cancelled = false;
  const d = info.flight_descriptor;
  const pollId = d && d.cmd && d.cmd.length > 0 ? handleOf(d.cmd) : null;
  if (pollId && ctx.state.polls.cancel(ctx, pollId)) cancelled = true;
  for (const e of info.endpoint ?? []) {
    const id = e.ticket?.ticket ? handleOf(e.ticket.ticket) : null;
    if (id && ctx.state.results.dropOwned(id, ctx.principal.user)) cancelled = true;
  }
  return cancelled ? CANCELLED : NOT_CANCELLABLE;
}

type PollHandler = (ctx: CallContext, value: Buffer, descriptor: FlightDescriptor) => Promise<Record<string, unknown>>;

/** PollFlightInfo per command: queries run in the background; a poll descriptor reports on one. */
export const pollCommands: Readonly<Record<string, PollHandler>> = {
  CommandStatementQuery: async (ctx, value, descriptor) => {
    const cmd = sql.CommandStatementQuery.decode(value);
    return ctx.state.polls.start(ctx, descriptor, { sql: cmd.query, params: null, transactionId: cmd.transaction_id });
  },
  CommandPreparedStatementQuery: async (ctx, value, descriptor) => {
    const cmd = sql.CommandPreparedStatementQuery.decode(value);
    const p = ctx.state.prepared.get(cmd.prepared_statement_handle, ctx.principal.user);
    const transactionId = preparedTransaction(ctx, p);
    return ctx.state.polls.start(ctx, descriptor, { sql: p.sql, params: p.params, transactionId });
  },
  TicketStatementQuery: async (ctx, value) => {
    const t = sql.TicketStatementQuery.decode(value);
    return ctx.state.polls.poll(ctx, t.statement_handle.toString('utf8'));
  },
};

export const cancelActions: ActionTable = {
  CancelFlightInfo: {
    description: 'Cancel a query started by GetFlightInfo or PollFlightInfo (raw CancelFlightInfoRequest)',
    async run(ctx: CallContext, body: Buffer) {
      const req = codecs.CancelFlightInfoRequest.decode(body);
      return [codecs.CancelFlightInfoResult.encode({ status: cancelInfo(ctx, req.info) })];
    },
  },
  CancelQuery: {
    description: 'Deprecated form of CancelFlightInfo (Any-wrapped ActionCancelQueryRequest)',
    async run(ctx: CallContext, body: Buffer) {
      const req = sql.ActionCancelQueryRequest.decode(unpackAny(body).value);
      const info = codecs.FlightInfo.decode(req.info);
      const result = sql.ActionCancelQueryResult.encode({ result: cancelInfo(ctx, info) });
      return [packAny('ActionCancelQueryResult', result)];
    },
  },
};
