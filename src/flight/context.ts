// What every Flight SQL handler receives: the caller, a cancellation signal tied to the gRPC call
// (client cancel or deadline), and the server's shared state.
import * as A from 'apache-arrow';
import { Catalog } from '../catalog/catalog';
import { Config } from '../config';
import { FragmentScheduler } from '../executors/run-plan';
import { Database } from '../duckdb/database';
import { ResultBatch } from '../duckdb/record-batches';
import { QueryLogWriter } from '../registry/query-log-writer';
import { Authenticator, Principal } from './auth';
import { UserLimits } from './connections';
import { PollRegistry } from './poll';
import { PreparedStatements } from './prepared-registry';
import { ResultRegistry } from './results';
import { Sessions } from './sessions';
import { TransactionRegistry } from './transaction-registry';

export interface ServerState {
  config: Config;
  db: Database;
  auth: Authenticator;
  results: ResultRegistry;
  prepared: PreparedStatements;
  sessions: Sessions;
  transactions: TransactionRegistry;
  limits: UserLimits;
  polls: PollRegistry;
  /** The lake tables (null: none configured). */
  catalog?: Catalog | null;
  /** The executors fragments run on (null: the coordinator's DuckDB runs everything). */
  executors?: (FragmentScheduler & { readonly size: number; readonly shuffle?: { directory: string; broadcastLimitBytes: number } | null; readonly monostore?: boolean; readonly smallStatementBytes?: number }) | null;
  /** Where each statement's query log entry goes (null: no query log). */
  queryLog?: QueryLogWriter | null;
  version: string;
}

export interface CallContext {
  principal: Principal;
  signal: AbortSignal;
  state: ServerState;
  /** Response headers a handler wants sent (e.g. a re-issued bearer token). */
  replyHeaders?: Map<string, string>;
}

/** A result a DoGet can stream: its schema, then record batches; interrupt stops the producer. */
export interface BatchSource {
  schema: A.Schema;
  batches: AsyncIterable<ResultBatch>;
  interrupt(): void;
  close(): void;
}

export function staticSource(schema: A.Schema, batches: A.RecordBatch[]): BatchSource {
  return {
    schema,
    batches: (async function* () {
      yield* batches;
    })(),
    interrupt: () => undefined,
    close: () => undefined,
  };
}
