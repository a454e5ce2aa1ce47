// A coordinator's handle on an executor somewhere else (`skein executor`): DoGet with the signed
// fragment as ticket, the stream decoded into Arrow batches; aborting cancels the gRPC call, and a
// per-fragment deadline bounds it.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { CancelledError, SkeinError } from '../errors';
import { FLIGHT_SERVICE } from '../flight/service';
import { decodeFlightStream, wireFlightStream } from './arrow-decode';
import { decodeFlightData } from '../flight/ipc';
import { CacheStats } from '../store/partition-cache';
import { cacheStatsOf } from './fragment-cache';
import { Executor, ExecutorStatus, FragmentResult, SignedFragment, WireResult } from './executor';
import { ResultBatch } from '../duckdb/record-batches';
import { STATUS_ACTION } from './flight-executor-server';
import { ticketOf } from './signing';

const FlightClient = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, 'FlightService');
type Client = InstanceType<typeof FlightClient> & Record<string, (...args: unknown[]) => unknown>;

export interface RemoteOptions {
  id: string;
  /** host:port (or grpc://host:port). */
  address: string;
  /** A fragment still running after this long fails with DEADLINE_EXCEEDED (0 = no limit). */
  timeoutMs?: number;
}

/** A gRPC failure as a SkeinError with the same code, naming the executor. */
function fromGrpc(e: unknown, id: string): SkeinError {
  if (e instanceof SkeinError) return e;
  const g = e as Partial<grpc.ServiceError>;
  if (typeof g.code === 'number') {
    return new SkeinError(g.code, `executor ${id}: ${g.details || g.message || grpc.status[g.code]}`, { cause: e });
  }
  return new SkeinError(grpc.status.UNAVAILABLE, `executor ${id}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

export class RemoteExecutor implements Executor {
  readonly id: string;
  readonly address: string;
  private readonly client: Client;
  private active = 0;

  constructor(private readonly opts: RemoteOptions) {
    this.id = opts.id;
    this.address = opts.address.replace(/^grpc:\/\//, '');
    this.client = new FlightClient(this.address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': 64 << 20,
      // HTTP/2's default 64 KB receive window lets an executor send one window per round trip of
      // the coordinator's event loop: a large result then crawls (tens of MB/s)
      'grpc-node.flow_control_window': 32 << 20,
    }) as Client;
  }

  run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    return this.open(fragment, signal, false) as Promise<FragmentResult>;
  }

  runWire(fragment: SignedFragment, signal: AbortSignal): Promise<WireResult> {
    return this.open(fragment, signal, true);
  }

  private async open(fragment: SignedFragment, signal: AbortSignal, wire: boolean): Promise<WireResult> {
    if (signal.aborted) throw new CancelledError('fragment cancelled before it started');
    const options: grpc.CallOptions = {};
    if (this.opts.timeoutMs) options.deadline = Date.now() + this.opts.timeoutMs;
    const call = (this.client.DoGet as (t: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<Buffer>)(
      { ticket: ticketOf(fragment) },
      new grpc.Metadata(),
      options,
    );
    this.active++;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.active--;
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      call.cancel();
      end();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // the stream's status error wins over whatever the Arrow reader makes of the broken stream
    let failure: SkeinError | null = null;
    const id = this.id;
    const failed = (e: unknown): SkeinError => {
      if (signal.aborted) return new CancelledError('fragment cancelled by the coordinator', { cause: e });
      return failure ?? fromGrpc(e, id);
    };
    let cache: CacheStats | null = null;
    let first = true;
    async function* messages(): AsyncGenerator<Buffer> {
      try {
        for await (const m of call as AsyncIterable<Buffer>) {
          if (first) {
            first = false;
            cache = cacheStatsOf(decodeFlightData(m).appMetadata); // the executor's partition-cache report
          }
          yield m;
        }
      } catch (e) {
        failure ??= fromGrpc(e, id);
        throw failure;
      }
    }
    let opened: { schema: A.Schema; batches: AsyncIterable<ResultBatch> };
    try {
      opened = await (wire ? wireFlightStream : decodeFlightStream)(messages());
    } catch (e) {
      call.cancel();
      end();
      throw failed(e);
    }
    const batches = async function* (): AsyncGenerator<ResultBatch> {
      try {
        for await (const b of opened.batches) yield b;
        if (signal.aborted) throw new CancelledError('fragment cancelled by the coordinator');
      } catch (e) {
        throw failed(e);
      } finally {
        call.cancel(); // a no-op once the call has ended
        end();
      }
    };
    return { schema: opened.schema, batches: batches(), cache };
  }

  status(): ExecutorStatus {
    return { id: this.id, running: this.active, address: `grpc://${this.address}` };
  }

  /** The executor's own view ("status" action): fragments running there now. */
  async remoteStatus(timeoutMs = 5000): Promise<ExecutorStatus> {
    const call = (this.client.DoAction as (a: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<{ body: Buffer }>)(
      { type: STATUS_ACTION, body: Buffer.alloc(0) },
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
    );
    try {
      for await (const r of call as AsyncIterable<{ body: Buffer }>) return JSON.parse(r.body.toString('utf8')) as ExecutorStatus;
    } catch (e) {
      throw fromGrpc(e, this.id);
    }
    throw fromGrpc(new Error('status action returned nothing'), this.id);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
