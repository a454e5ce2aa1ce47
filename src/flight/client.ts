// A small Flight SQL client in TypeScript (used by `skein query` and the tests): Basic → Bearer
// handshake, statement queries (GetFlightInfo → DoGet, decoded as a stream) and updates (DoPut).
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { decodeFlightData, encodeFlightData } from './ipc';
import { codecs, FlightInfo, packAny, sql } from './proto';
import { FLIGHT_SERVICE } from './service';

const FlightClient = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, 'FlightService');

type Client = InstanceType<typeof FlightClient> & Record<string, (...args: unknown[]) => unknown>;

export interface ClientOptions {
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** Connect with TLS; absent means plain TCP. */
  tls?: ClientTls;
}

/** PEM contents; without rootCerts the system's trusted CAs apply. certChain + privateKey for mutual TLS. */
export interface ClientTls {
  rootCerts?: Buffer;
  certChain?: Buffer;
  privateKey?: Buffer;
}

export class FlightSqlClient {
  private readonly client: Client;
  private token: string | null = null;

  constructor(private readonly opts: ClientOptions) {
    const credentials = opts.tls
      ? grpc.credentials.createSsl(opts.tls.rootCerts ?? null, opts.tls.privateKey ?? null, opts.tls.certChain ?? null)
      : grpc.credentials.createInsecure();
    this.client = new FlightClient(`${opts.host}:${opts.port}`, credentials, {
      'grpc.max_receive_message_length': -1,
    }) as Client;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  /** Exchanges user/password for a bearer token (HTTP Basic in the Handshake headers). */
  async authenticate(): Promise<void> {
    const md = new grpc.Metadata();
    const basic = Buffer.from(`${this.opts.user ?? ''}:${this.opts.password ?? ''}`).toString('base64');
    md.set('authorization', `Basic ${basic}`);
    const call = this.client.Handshake(md) as grpc.ClientDuplexStream<unknown, unknown>;
    this.token = await new Promise<string>((resolve, reject) => {
      let token: string | null = null;
      call.on('metadata', (m: grpc.Metadata) => {
        const v = m.get('authorization')[0];
        if (typeof v === 'string' && v.startsWith('Bearer ')) token = v.slice(7);
      });
      call.on('data', () => undefined);
      call.on('error', reject);
      call.on('end', () => (token ? resolve(token) : reject(new Error('server returned no bearer token'))));
      call.end();
    });
  }

  private unary<Req, Res>(method: string, req: Req, options: grpc.CallOptions = {}): Promise<Res> {
    return new Promise((resolve, reject) =>
      (this.client[method] as (r: Req, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null, v: Res) => void) => void)(
        req,
        this.metadata(),
        options,
        (e, v) => (e ? reject(e) : resolve(v)),
      ),
    );
  }

  async getFlightInfo(query: string, options: grpc.CallOptions = {}): Promise<FlightInfo> {
    const cmd = packAny('CommandStatementQuery', sql.CommandStatementQuery.encode({ query }));
    return this.unary('GetFlightInfo', { type: 2, cmd, path: [] }, options);
  }

  /** Runs a query and returns a reader over its record batches (streamed, not buffered). */
  async query(query: string, options: grpc.CallOptions = {}): Promise<A.AsyncRecordBatchStreamReader> {
    const info = await this.getFlightInfo(query, options);
    const ticket = info.endpoint[0]?.ticket;
    if (!ticket) throw new Error('FlightInfo without an endpoint');
    return this.doGet(ticket.ticket, options);
  }

  async doGet(ticket: Uint8Array, options: grpc.CallOptions = {}): Promise<A.AsyncRecordBatchStreamReader> {
    const call = (this.client.DoGet as (t: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>)(
      { ticket },
      this.metadata(),
      options,
    );
    const reader = await A.RecordBatchReader.from(ipcFrames(call));
    await reader.open();
    return reader as A.AsyncRecordBatchStreamReader;
  }

  /** Runs DDL/DML (or a script) through DoPut CommandStatementUpdate; returns the row count. */
  async update(query: string): Promise<number> {
    const cmd = packAny('CommandStatementUpdate', sql.CommandStatementUpdate.encode({ query }));
    const descriptor = codecs.FlightDescriptor.encode({ type: 2, cmd, path: [] });
    const call = (this.client.DoPut as (m: grpc.Metadata) => grpc.ClientDuplexStream<Buffer, { app_metadata: Buffer }>)(
      this.metadata(),
    );
    const result = new Promise<number>((resolve, reject) => {
      let count: number | null = null;
      call.on('data', (r: { app_metadata: Buffer }) => {
        count = Number(sql.DoPutUpdateResult.decode(r.app_metadata).record_count);
      });
      call.on('error', reject);
      call.on('end', () => (count === null ? reject(new Error('no update result')) : resolve(count)));
    });
    call.write(encodeFlightData({ descriptor }));
    call.end();
    return result;
  }

  close(): void {
    this.client.close();
  }
}

/** Re-frames FlightData messages as an Arrow IPC stream for apache-arrow's reader. */
async function* ipcFrames(call: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  for await (const raw of call) {
    const m = decodeFlightData(raw);
    if (!m.header) continue;
    const len = (m.header.length + 7) & ~7;
    const prefix = Buffer.alloc(8 + len);
    prefix.writeUInt32LE(0xffffffff, 0);
    prefix.writeInt32LE(len, 4);
    prefix.set(m.header, 8);
    yield prefix;
    if (m.body && m.body.length > 0) yield m.body;
  }
}
