// The Flight SQL gRPC server: authenticates every call, ties it to a cancellation signal, routes
// commands and actions through the dispatch tables, streams results with backpressure, and maps
// every error to a gRPC status in one place.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { shutdownGrpc } from './grpc-shutdown';
import { RecordBatch } from 'apache-arrow';
import {
  SkeinError,
  UnimplementedError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnauthenticatedError,
} from '../errors';
import { log } from '../log';
import { ACTIONS, COMMANDS, POLLS } from './commands';
import { CommandHandler, PutInput } from './command-table';
import { BatchSource, CallContext, ServerState } from './context';
import {
  decodeFlightData,
  dictionaryMessages,
  hasDictionaries,
  readBatches,
  OutgoingFlightData,
  recordBatchParts,
  schemaFlightData,
  schemaToBytes,
} from './ipc';
import { codecs, FlightDescriptor, typeNameOf, unpackAny } from './proto';
import { openArrowStream } from './put-stream';
import { decodedRequest, lenientRequests } from './malformed-request';
import { FLIGHT_SERVICE } from './service';
import { serverCredentials } from './tls';

type Status = Partial<grpc.StatusObject>;

/** The single place errors become gRPC statuses; internal faults never leak details. */
export function toStatus(err: unknown, method: string): Status {
  if (err instanceof SkeinError) {
    log.debug({ method, code: grpc.status[err.code], msg: err.message }, 'call failed');
    return { code: err.code, details: err.message };
  }
  const ref = randomUUID().slice(0, 8);
  log.error({ method, ref, err }, 'internal error');
  return { code: grpc.status.INTERNAL, details: `internal error (ref ${ref}); see the server log` };
}

function descriptorCommand(d: FlightDescriptor): { name: string; value: Buffer } {
  if (d.type !== 2 && d.type !== 'CMD') {
    throw new UnimplementedError('only command descriptors (Flight SQL commands) are supported');
  }
  const any = unpackAny(d.cmd);
  return { name: typeNameOf(any.typeUrl), value: any.value };
}

function handlerFor(name: string, what: keyof CommandHandler): CommandHandler {
  const h = COMMANDS[name];
  if (!h || !h[what]) throw new UnimplementedError(`${name} is not supported by ${what}`);
  return h;
}

interface AnyCall {
  metadata: grpc.Metadata;
  cancelled?: boolean;
  getDeadline(): grpc.Deadline;
  getPeer(): string;
  on(event: 'cancelled', fn: () => void): unknown;
}

export class FlightSqlServer {
  private readonly server: grpc.Server;

  constructor(private readonly state: ServerState) {
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': state.config.maxReceiveBytes,
      'grpc.max_send_message_length': -1,
    });
    this.server.addService(lenientRequests(FLIGHT_SERVICE), this.handlers());
  }

  async listen(host: string, port: number): Promise<number> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) =>
      this.server.bindAsync(address, serverCredentials(this.state.config.tls), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
  }

  async close(graceMs = 2000): Promise<void> {
    this.state.results.closeAll();
    this.state.prepared.closeAll();
    this.state.sessions.closeAll();
    this.state.polls.closeAll();
    await this.state.transactions.closeAll();
    await shutdownGrpc(this.server, graceMs);
  }

  /** Authenticates the call and returns its context; the signal fires on cancel or deadline. */
  private context(call: AnyCall): { ctx: CallContext; done: () => void } {
    const principal = this.state.auth.fromMetadata(call.metadata, call.getPeer());
    const ac = new AbortController();
    let finished = false;
    // grpc-js also reports 'cancelled' when a finished call's stream closes: ignore that one
    call.on('cancelled', () => {
      if (!finished) ac.abort();
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = call.getDeadline();
    // grpc-js gives the deadline as a Date or as epoch milliseconds (Infinity when none)
    const ms = (deadline instanceof Date ? deadline.getTime() : Number(deadline)) - Date.now();
    if (Number.isFinite(ms)) timer = setTimeout(() => ac.abort(), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    return {
      ctx: { principal, signal: ac.signal, state: this.state, replyHeaders: new Map() },
      done: () => {
        finished = true;
        if (timer) clearTimeout(timer);
      },
    };
  }

  private unary<Req, Res>(
    method: string,
    fn: (ctx: CallContext, req: Req) => Promise<Res>,
  ): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let done = (): void => undefined;
      Promise.resolve()
        .then(() => {
          const c = this.context(call);
          done = c.done;
          log.debug({ method }, 'call');
          return fn(c.ctx, decodedRequest(call.request));
        })
        .then(
          (res) => {
            done();
            callback(null, res);
          },
          (err: unknown) => {
            done();
            callback(toStatus(err, method) as grpc.ServiceError);
          },
        );
    };
  }

  private handlers(): grpc.UntypedServiceImplementation {
    return {
      Handshake: (call: grpc.ServerDuplexStream<{ payload: Buffer }, { payload: Uint8Array }>) =>
        void this.handshake(call),
      ListFlights: (call: grpc.ServerWritableStream<unknown, unknown>) =>
        call.emit('error', toStatus(new UnimplementedError('ListFlights is not supported'), 'ListFlights')),
      GetFlightInfo: this.unary('GetFlightInfo', async (ctx, d: FlightDescriptor) => {
        const { name, value } = descriptorCommand(d);
        return handlerFor(name, 'getFlightInfo').getFlightInfo!(ctx, value, d);
      }),
      PollFlightInfo: this.unary('PollFlightInfo', async (ctx, d: FlightDescriptor) => {
        const { name, value } = descriptorCommand(d);
        const poll = POLLS[name];
        if (poll) return poll(ctx, value, d);
        const info = await handlerFor(name, 'getFlightInfo').getFlightInfo!(ctx, value, d);
        return { info, progress: 1 };
      }),
      GetSchema: this.unary('GetSchema', async (ctx, d: FlightDescriptor) => {
        const { name, value } = descriptorCommand(d);
        const schema = await handlerFor(name, 'getSchema').getSchema!(ctx, value);
        return { schema: schemaToBytes(schema) };
      }),
      DoGet: (call: grpc.ServerWritableStream<{ ticket: Buffer }, Buffer | OutgoingFlightData>) => void this.doGet(call),
      DoPut: (call: grpc.ServerDuplexStream<Buffer, { app_metadata: Uint8Array }>) => void this.doPut(call),
      DoExchange: (call: grpc.ServerDuplexStream<Buffer, Buffer>) =>
        call.emit('error', toStatus(new UnimplementedError('DoExchange is not supported'), 'DoExchange')),
      DoAction: (call: grpc.ServerWritableStream<{ type: string; body: Buffer }, { body: Uint8Array }>) =>
        void this.doAction(call),
      ListActions: (call: grpc.ServerWritableStream<unknown, { type: string; description: string }>) => {
        for (const [type, h] of Object.entries(ACTIONS)) call.write({ type, description: h.description });
        call.end();
      },
    };
  }

  private async handshake(
    call: grpc.ServerDuplexStream<{ payload: Buffer }, { payload: Uint8Array }>,
  ): Promise<void> {
    try {
      const auth = this.state.auth;
      let principal;
      if (call.metadata.get('authorization').length > 0) {
        principal = auth.fromMetadata(call.metadata, call.getPeer());
      } else {
        // legacy clients put a BasicAuth message in the first request's payload
        const [first] = (await Promise.race([once(call, 'data'), once(call, 'end').then(() => [null])])) as [
          { payload: Buffer } | null,
        ];
        if (!first || decodedRequest(first).payload.length === 0) {
          throw new UnauthenticatedError('missing credentials: send HTTP Basic in the authorization header');
        }
        const basic = codecs.BasicAuth.decode(first.payload);
        principal = auth.login(basic.username, basic.password, call.getPeer());
      }
      // a Bearer handshake (JDBC with a token) keeps the session and the options its token carries
      const token = auth.issue(principal.user, principal.session, principal.options, undefined, principal.optionsVersion);
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      call.sendMetadata(md);
      call.write({ payload: Buffer.from(token) });
      call.end();
      log.info({ user: principal.user }, 'login');
    } catch (err) {
      if (err instanceof UnauthenticatedError) log.warn({ msg: err.message }, 'login failed');
      call.emit('error', toStatus(err, 'Handshake'));
    }
  }

  private async doGet(call: grpc.ServerWritableStream<{ ticket: Buffer }, Buffer | OutgoingFlightData>): Promise<void> {
    let source: BatchSource | null = null;
    let done = (): void => undefined;
    try {
      const c = this.context(call);
      done = c.done;
      const { typeUrl, value } = unpackAny(decodedRequest(call.request).ticket);
      source = await handlerFor(typeNameOf(typeUrl), 'doGet').doGet!(c.ctx, value);
      const src = source;
      c.ctx.signal.addEventListener('abort', () => src.interrupt(), { once: true });
      await this.stream(call, src, c.ctx.signal);
      call.end();
    } catch (err) {
      if (!call.cancelled) call.emit('error', toStatus(err, 'DoGet'));
    } finally {
      source?.close();
      done();
    }
  }

  /** Writes schema, dictionaries and batches, waiting for the client whenever gRPC buffers fill. */
  private async stream(call: grpc.ServerWritableStream<unknown, Buffer | OutgoingFlightData>, src: BatchSource, signal: AbortSignal): Promise<void> {
    const write = async (buf: Buffer | OutgoingFlightData): Promise<void> => {
      if (call.write(buf)) return;
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await once(call, 'drain', { signal: ac.signal });
      } catch {
        // aborted: the caller notices through the signal
      } finally {
        signal.removeEventListener('abort', stop);
      }
    };
    await write(schemaFlightData(src.schema));
    let first = true;
    const dictionaries = hasDictionaries(src.schema);
    for await (const batch of src.batches) {
      if (signal.aborted) return;
      if (first && dictionaries && batch instanceof RecordBatch) {
        for (const d of dictionaryMessages(batch)) await write(d);
      }
      first = false;
      await write(new OutgoingFlightData(recordBatchParts(batch)));
    }
  }

  private async doPut(call: grpc.ServerDuplexStream<Buffer, { app_metadata: Uint8Array }>): Promise<void> {
    let done = (): void => undefined;
    try {
      const c = this.context(call);
      done = c.done;
      // destroyOnReturn: false, or Node destroys the call once the input ends and the reply is lost
      const it = (call as unknown as { iterator(o: object): AsyncIterator<Buffer> }).iterator({
        destroyOnReturn: false,
      });
      const head = await it.next();
      if (head.done) throw new InvalidArgumentError('DoPut without any message');
      const first = decodeFlightData(head.value);
      if (!first.descriptor) throw new InvalidArgumentError('the first DoPut message must carry a FlightDescriptor');
      const { name, value } = descriptorCommand(codecs.FlightDescriptor.decode(first.descriptor));
      const handler = handlerFor(name, 'doPut');
      log.debug({ command: name }, 'DoPut');
      const limit = this.state.config.maxReceiveBytes;
      const input: PutInput = {
        first,
        readArrow: async () => {
          const messages = first.header ? [{ header: first.header, body: first.body }] : [];
          let bytes = 0;
          for (let r = await it.next(); !r.done; r = await it.next()) {
            log.debug({ bytes: r.value.length }, 'DoPut message');
            const m = decodeFlightData(r.value);
            bytes += r.value.length;
            if (bytes > limit) {
              throw new ResourceExhaustedError(`DoPut data exceeds ${limit} bytes (maxReceiveBytes); send fewer rows per call`);
            }
            if (m.header) messages.push({ header: m.header, body: m.body });
          }
          return messages.length === 0 ? null : readBatches(messages);
        },
        readArrowStream: () => openArrowStream(first, it),
      };
      const appMetadata = await handler.doPut!(c.ctx, value, input);
      log.debug({ command: name }, 'DoPut done');
      call.write({ app_metadata: appMetadata });
      call.end();
    } catch (err) {
      if (!call.cancelled) call.emit('error', toStatus(err, 'DoPut'));
    } finally {
      done();
    }
  }

  private async doAction(
    call: grpc.ServerWritableStream<{ type: string; body: Buffer }, { body: Uint8Array }>,
  ): Promise<void> {
    let done = (): void => undefined;
    try {
      const c = this.context(call);
      done = c.done;
      const request = decodedRequest(call.request);
      const handler = ACTIONS[request.type];
      if (!handler) throw new UnimplementedError(`action ${request.type} is not supported`);
      const results = await handler.run(c.ctx, request.body);
      if (c.ctx.replyHeaders && c.ctx.replyHeaders.size > 0) {
        const md = new grpc.Metadata();
        for (const [k, v] of c.ctx.replyHeaders) md.set(k, v);
        call.sendMetadata(md);
      }
      for (const body of results) call.write({ body });
      call.end();
    } catch (err) {
      if (!call.cancelled) call.emit('error', toStatus(err, 'DoAction'));
    } finally {
      done();
    }
  }
}
