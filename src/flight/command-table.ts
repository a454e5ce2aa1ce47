// The shape of a Flight SQL command handler and the helpers they share. Each command family lives
// in its own file and contributes entries to the one table built in commands.ts.
import * as A from 'apache-arrow';
import { CallContext, BatchSource } from './context';
import { DecodedFlightData } from './ipc';
import { FlightDescriptor, FlightInfo, packAny, sql } from './proto';
import { ArrowStream } from './put-stream';
import { schemaToBytes } from './ipc';

/** The DoPut stream after its first message (which carried the descriptor). */
export interface PutInput {
  first: DecodedFlightData;
  /** Reads every remaining message until the client half-closes and decodes the Arrow stream. */
  readArrow(): Promise<{ schema: A.Schema; batches: A.RecordBatch[] } | null>;
  /** The Arrow stream decoded as it arrives, nothing buffered (bulk ingest); null without a schema. */
  readArrowStream(): Promise<ArrowStream | null>;
}

export interface CommandHandler {
  getFlightInfo?(ctx: CallContext, value: Buffer, descriptor: FlightDescriptor): Promise<FlightInfo>;
  getSchema?(ctx: CallContext, value: Buffer): Promise<A.Schema>;
  /** DoGet of a ticket that is this command itself (metadata commands). */
  doGet?(ctx: CallContext, value: Buffer): Promise<BatchSource>;
  /** Returns the PutResult app_metadata. */
  doPut?(ctx: CallContext, value: Buffer, input: PutInput): Promise<Uint8Array>;
}

export type CommandTable = Readonly<Record<string, CommandHandler>>;

export function flightInfo(
  schema: A.Schema,
  descriptor: FlightDescriptor,
  ticket: Uint8Array,
  totalRecords = -1,
): FlightInfo {
  return {
    schema: schemaToBytes(schema),
    flight_descriptor: descriptor,
    endpoint: [{ ticket: { ticket: Buffer.from(ticket) }, location: [] }],
    total_records: totalRecords,
    total_bytes: -1,
    ordered: false,
  };
}

/** The ticket for a result waiting in the registry: Any(TicketStatementQuery{handle}). */
export function statementTicket(id: string): Buffer {
  return packAny(
    'TicketStatementQuery',
    sql.TicketStatementQuery.encode({ statement_handle: Buffer.from(id, 'utf8') }),
  );
}

/** A metadata command whose ticket is the command itself; the result is computed on DoGet. */
export function metadataCommand(
  typeName: string,
  schemaOf: (value: Buffer) => A.Schema,
  run: (ctx: CallContext, value: Buffer) => Promise<BatchSource>,
): CommandHandler {
  return {
    getFlightInfo: async (_ctx, value, descriptor) =>
      flightInfo(schemaOf(value), descriptor, packAny(typeName, value)),
    getSchema: async (_ctx, value) => schemaOf(value),
    doGet: run,
  };
}
