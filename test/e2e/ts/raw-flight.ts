// A bare Flight client for e2e tests that sends request messages as raw bytes, so tests can put
// anything on the wire (malformed descriptors, tickets, actions, IPC) and see the exact gRPC status.
// Every call carries a deadline: a server that hangs fails the test instead of stalling it.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { decodeFlightData, encodeFlightData, ipcStreamOf } from '../../../src/flight/ipc';
import { codecs, FlightDescriptor, FlightInfo, packAny, sql, unpackAny } from '../../../src/flight/proto';

type Bytes = Buffer;

const bytes = { serialize: (b: Bytes) => b, deserialize: (b: Buffer) => b };

function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Bytes, Bytes> {
  return {
    path: `/arrow.flight.protocol.FlightService/${name}`,
    requestStream,
    responseStream,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  };
}

const RAW_SERVICE = {
  Handshake: method('Handshake', true, true),
  GetFlightInfo: method('GetFlightInfo', false, false),
  PollFlightInfo: method('PollFlightInfo', false, false),
  GetSchema: method('GetSchema', false, false),
  DoGet: method('DoGet', false, true),
  DoPut: method('DoPut', true, true),
  DoAction: method('DoAction', false, true),
} satisfies grpc.ServiceDefinition;

/** The gRPC outcome of a call: code 0 with its value, or the error's code and details. */
export interface Outcome<T> {
  code: number;
  details: string;
  value?: T;
}

export async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { code: grpc.status.OK, details: '', value: await p };
  } catch (e) {
    const err = e as Partial<grpc.ServiceError>;
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, details: err.details ?? '' };
  }
}

export const CMD = 2;

/** A command descriptor: Any(name{value}). */
export function command(name: string, value: Uint8Array): FlightDescriptor {
  return { type: CMD, cmd: packAny(name, value), path: [] };
}

export function queryDescriptor(query: string, transactionId?: Uint8Array): FlightDescriptor {
  const tx = transactionId ? { transaction_id: Buffer.from(transactionId) } : {};
  return command('CommandStatementQuery', sql.CommandStatementQuery.encode({ query, ...tx }));
}

export function ticketFor(handle: string): Buffer {
  return packAny('TicketStatementQuery', sql.TicketStatementQuery.encode({ statement_handle: Buffer.from(handle) }));
}

type Unary = (req: Bytes, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v?: Bytes) => void) => void;
type ServerStream = (req: Bytes, md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<Bytes>;
type BidiStream = (md: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientDuplexStream<Bytes, Bytes>;

function collect(call: grpc.ClientReadableStream<Bytes> | grpc.ClientDuplexStream<Bytes, Bytes>): Promise<Bytes[]> {
  return new Promise((resolve, reject) => {
    const out: Bytes[] = [];
    call.on('data', (b: Bytes) => out.push(b));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

export class RawFlight {
  private readonly client: grpc.Client & Record<string, unknown>;
  private token: string | null = null;

  constructor(
    port: number,
    private readonly user: string,
    private readonly password: string,
    /** Per-call deadline. */
    public deadlineMs = 15_000,
  ) {
    const Ctor = grpc.makeGenericClientConstructor(RAW_SERVICE, 'FlightService');
    this.client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    }) as grpc.Client & Record<string, unknown>;
  }

  private options(): grpc.CallOptions {
    return { deadline: Date.now() + this.deadlineMs };
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    const auth = this.token
      ? `Bearer ${this.token}`
      : `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
    md.set('authorization', auth);
    return md;
  }

  /** Logs in once (Handshake with Basic) so later calls share one bearer token and session. */
  async authenticate(): Promise<void> {
    const call = (this.client.Handshake as BidiStream)(this.metadata(), this.options());
    const token = new Promise<string>((resolve, reject) => {
      call.on('metadata', (m: grpc.Metadata) => {
        const v = m.get('authorization')[0];
        if (typeof v === 'string' && v.startsWith('Bearer ')) resolve(v.slice(7));
      });
      call.on('error', reject);
    });
    const done = collect(call);
    call.end();
    this.token = await token;
    await done;
  }

  unaryRaw(name: 'GetFlightInfo' | 'PollFlightInfo' | 'GetSchema', req: Bytes): Promise<Bytes> {
    return new Promise((resolve, reject) =>
      (this.client[name] as Unary)(req, this.metadata(), this.options(), (e, v) => (e ? reject(e) : resolve(v!))),
    );
  }

  doGetRaw(ticketMessage: Bytes): Promise<Bytes[]> {
    return collect((this.client.DoGet as ServerStream)(ticketMessage, this.metadata(), this.options()));
  }

  /** DoAction; like the ADBC and JDBC drivers, adopts a bearer token the server sends back. */
  doActionRaw(actionMessage: Bytes): Promise<Bytes[]> {
    const call = (this.client.DoAction as ServerStream)(actionMessage, this.metadata(), this.options());
    call.on('metadata', (m: grpc.Metadata) => {
      const v = m.get('authorization')[0];
      if (typeof v === 'string' && v.startsWith('Bearer ')) this.token = v.slice(7);
    });
    return collect(call);
  }

  /** The bearer token in use (to present it to another server, as behind a load balancer). */
  get bearer(): string | null {
    return this.token;
  }

  set bearer(token: string | null) {
    this.token = token;
  }

  /** Sends FlightData messages (already encoded), half-closes, and returns the PutResult messages. */
  doPutRaw(messages: Bytes[]): Promise<Bytes[]> {
    const call = (this.client.DoPut as BidiStream)(this.metadata(), this.options());
    const result = collect(call);
    // the server may answer (and end the call) before reading everything: ignore write errors
    call.on('error', () => undefined);
    for (const m of messages) call.write(m);
    call.end();
    return result;
  }

  async getFlightInfo(d: FlightDescriptor): Promise<FlightInfo> {
    return codecs.FlightInfo.decode(await this.unaryRaw('GetFlightInfo', enc(d)));
  }

  async pollFlightInfo(d: FlightDescriptor): Promise<PollInfo> {
    return codecs.PollInfo.decode(await this.unaryRaw('PollFlightInfo', enc(d))) as unknown as PollInfo;
  }

  async getSchema(d: FlightDescriptor): Promise<Bytes> {
    return this.unaryRaw('GetSchema', enc(d));
  }

  /** DoGet of a ticket, read into a table. */
  async doGet(ticket: Uint8Array): Promise<A.Table> {
    const messages = (await this.doGetRaw(Buffer.from(codecs.Ticket.encode({ ticket: Buffer.from(ticket) })))).map(
      decodeFlightData,
    );
    const ipc = ipcStreamOf(messages.filter((m) => m.header).map((m) => ({ header: m.header!, body: m.body })));
    return A.tableFromIPC(ipc);
  }

  /** DoAction; returns the Result bodies. */
  async action(type: string, body: Uint8Array): Promise<Buffer[]> {
    const results = await this.doActionRaw(Buffer.from(codecs.Action.encode({ type, body: Buffer.from(body) })));
    return results.map((r) => Buffer.from(codecs.Result.decode(r).body));
  }

  /** DoPut of a descriptor followed by Arrow messages (header + body); returns the PutResult metadata. */
  async doPut(d: FlightDescriptor, arrow: { header: Uint8Array; body?: Uint8Array }[] = []): Promise<Buffer[]> {
    const messages = [
      encodeFlightData({ descriptor: enc(d) }),
      ...arrow.map((m) => encodeFlightData({ header: m.header, body: m.body ? [{ offset: 0, data: m.body }] : [] })),
    ];
    const results = await this.doPutRaw(messages);
    return results.map((r) => Buffer.from(codecs.PutResult.decode(r).app_metadata));
  }

  /** Runs a query through GetFlightInfo + DoGet. */
  async query(query: string, transactionId?: Uint8Array): Promise<A.Table> {
    const info = await this.getFlightInfo(queryDescriptor(query, transactionId));
    return this.doGet(info.endpoint[0].ticket.ticket);
  }

  /** Runs DDL/DML through DoPut CommandStatementUpdate; returns the row count. */
  async update(query: string): Promise<number> {
    const [meta] = await this.doPut(command('CommandStatementUpdate', sql.CommandStatementUpdate.encode({ query })));
    return Number(sql.DoPutUpdateResult.decode(meta).record_count);
  }

  async prepare(query: string): Promise<Buffer> {
    const [body] = await this.action(
      'CreatePreparedStatement',
      packAny('ActionCreatePreparedStatementRequest', sql.ActionCreatePreparedStatementRequest.encode({ query })),
    );
    const { value } = unpackAny(body); // Any(ActionCreatePreparedStatementResult)
    return Buffer.from(sql.ActionCreatePreparedStatementResult.decode(value).prepared_statement_handle);
  }

  close(): void {
    this.client.close();
  }
}

/** PollInfo as protobufjs decodes it (snake_case, defaults filled). */
export interface PollInfo {
  info: FlightInfo | null;
  flight_descriptor: FlightDescriptor | null;
  progress?: number;
  expiration_time: { seconds: string; nanos: number } | null;
}

function enc(d: FlightDescriptor): Buffer {
  return Buffer.from(codecs.FlightDescriptor.encode(d));
}

/** Rows of a table as plain objects with bigints turned into numbers (for exact comparisons). */
export function rowsOf(t: A.Table): Record<string, unknown>[] {
  return t.toArray().map((r: Record<string, unknown>) => {
    const o: Record<string, unknown> = {};
    for (const f of t.schema.fields) {
      const v = (r as Record<string, unknown>)[f.name];
      o[f.name] = typeof v === 'bigint' ? Number(v) : v;
    }
    return o;
  });
}
