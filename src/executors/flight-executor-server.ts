// `skein executor` on the wire: an Arrow Flight server whose DoGet ticket is a signed fragment
// (JSON) and whose "status" action reports what it runs. Its only check is the fragment signature:
// executors belong on a private network that only coordinators can reach.
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { shutdownGrpc } from '../flight/grpc-shutdown';
import * as A from 'apache-arrow';
import { UnimplementedError } from '../errors';
import { log } from '../log';
import { ResultBatch } from '../duckdb/record-batches';
import { dictionaryMessages, encodeFlightData, hasDictionaries, OutgoingFlightData, recordBatchParts } from '../flight/ipc';
import { toStatus } from '../flight/server';
import { FLIGHT_SERVICE } from '../flight/service';
import { ExecutorStatus } from './executor';
import { FragmentEngine, EngineOptions } from './fragment-runner';
import { cacheMetadata } from './fragment-cache';
import { CacheStats } from '../store/partition-cache';
import { parseTicket } from './signing';
import { RecentFiles } from '../registry/recent-files';

export const STATUS_ACTION = 'status';
/** Where an executor finds the coordinator's secret (never on its command line). */
export const EXECUTOR_SECRET_ENV = 'SKEIN_EXECUTOR_SECRET';
/** Printed (then the grpc:// address) once the executor accepts fragments. */
export const READY_LINE = 'skein executor listening on ';

type Out = Buffer | OutgoingFlightData;

function unimplemented(name: string) {
  return (call: { emit(e: string, v: unknown): void }) =>
    call.emit('error', toStatus(new UnimplementedError(`${name} is not supported by a Skein executor`), name));
}

export class ExecutorServer {
  private readonly server: grpc.Server;
  private address: string | null = null;
  /** Files of the fragments it ran lately, advertised in the registry for cache affinity. */
  readonly recentFiles = new RecentFiles();

  private constructor(private readonly engine: FragmentEngine) {
    this.server = new grpc.Server({
      // tickets list every file a fragment reads: allow large ones
      'grpc.max_receive_message_length': 64 << 20,
      'grpc.max_send_message_length': -1,
    });
    this.server.addService(FLIGHT_SERVICE, {
      Handshake: unimplemented('Handshake'),
      ListFlights: unimplemented('ListFlights'),
      GetFlightInfo: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(toStatus(new UnimplementedError('GetFlightInfo is not supported by a Skein executor'), 'GetFlightInfo') as grpc.ServiceError),
      PollFlightInfo: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(toStatus(new UnimplementedError('PollFlightInfo is not supported by a Skein executor'), 'PollFlightInfo') as grpc.ServiceError),
      GetSchema: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb(toStatus(new UnimplementedError('GetSchema is not supported by a Skein executor'), 'GetSchema') as grpc.ServiceError),
      DoGet: (call: grpc.ServerWritableStream<{ ticket: Buffer }, Out>) => void this.doGet(call),
      DoPut: unimplemented('DoPut'),
      DoExchange: unimplemented('DoExchange'),
      DoAction: (call: grpc.ServerWritableStream<{ type: string; body: Buffer }, { body: Uint8Array }>) => this.doAction(call),
      ListActions: (call: grpc.ServerWritableStream<unknown, { type: string; description: string }>) => {
        call.write({ type: STATUS_ACTION, description: 'JSON status of this executor (id, fragments running)' });
        call.end();
      },
    });
  }

  static async open(opts: EngineOptions): Promise<ExecutorServer> {
    return new ExecutorServer(await FragmentEngine.open(opts));
  }

  get id(): string {
    return this.engine.id;
  }

  async listen(host: string, port: number): Promise<number> {
    const bindTo = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(bindTo, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.address = `grpc://${host.includes(':') ? `[${host}]` : host}:${bound}`;
    return bound;
  }

  status(): ExecutorStatus {
    return { id: this.engine.id, running: this.engine.running, address: this.address };
  }

  private async doGet(call: grpc.ServerWritableStream<{ ticket: Buffer }, Out>): Promise<void> {
    const ac = new AbortController();
    let finished = false;
    // grpc-js also reports 'cancelled' when a finished call's stream closes: ignore that one
    call.on('cancelled', () => {
      if (!finished) ac.abort();
    });
    try {
      const run = await this.engine.run(parseTicket(call.request.ticket), ac.signal);
      this.recentFiles.record(run.fragment);
      log.debug({ fragment: run.fragment.id, executor: this.id }, 'fragment started');
      await this.stream(call, run.schema, run.batches, ac.signal, run.cache);
      finished = true;
      call.end();
    } catch (err) {
      finished = true;
      if (!call.cancelled) call.emit('error', toStatus(err, 'DoGet'));
    }
  }

  /** Schema, dictionaries, then batches, waiting whenever gRPC's buffer is full. */
  private async stream(
    call: grpc.ServerWritableStream<unknown, Out>,
    schema: A.Schema,
    batches: AsyncIterable<ResultBatch>,
    signal: AbortSignal,
    cache: CacheStats | null,
  ): Promise<void> {
    const write = async (m: Out): Promise<void> => {
      if (call.write(m)) return;
      try {
        await once(call, 'drain', { signal });
      } catch {
        // aborted: the batch loop notices through the signal
      }
    };
    // the schema message carries the fragment's partition-cache report (app_metadata) for EXPLAIN ANALYZE
    await write(encodeFlightData({ header: A.Message.encode(A.Message.from(schema)), appMetadata: cacheMetadata(cache) }));
    const dictionaries = hasDictionaries(schema);
    let first = true;
    for await (const batch of batches) {
      if (first && dictionaries && batch instanceof A.RecordBatch) {
        for (const d of dictionaryMessages(batch)) await write(d);
      }
      first = false;
      await write(new OutgoingFlightData(recordBatchParts(batch)));
    }
  }

  private doAction(call: grpc.ServerWritableStream<{ type: string; body: Buffer }, { body: Uint8Array }>): void {
    if (call.request.type !== STATUS_ACTION) {
      call.emit('error', toStatus(new UnimplementedError(`action ${call.request.type} is not supported by a Skein executor`), 'DoAction'));
      return;
    }
    call.write({ body: Buffer.from(JSON.stringify(this.status())) });
    call.end();
  }

  /** Stops accepting calls, interrupts running fragments and closes DuckDB. */
  async close(graceMs = 2000): Promise<void> {
    // running fragments end at once (UNAVAILABLE): the coordinator retries them elsewhere
    const closing = this.engine.close();
    await shutdownGrpc(this.server, graceMs);
    await closing;
  }
}
