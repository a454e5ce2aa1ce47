// The coordinator's handle on the Engine function: one fragment per invocation, synchronous (the
// reply carries the Arrow IPC result or its object-store URI) or asynchronous (Lambda queues the
// event; the function leaves its reply in the result store, which is polled). Several of these share
// one LambdaInvoker, whose concurrency bounds the invocations in flight.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { ulid } from 'ulid';
import { CancelledError, DeadlineExceededError, FailedPreconditionError, InternalError, SkeinError, UnavailableError } from '../../errors';
import { log } from '../../log';
import { ObjectStore } from '../../store/object-store';
import { Executor, ExecutorStatus, FragmentResult, SignedFragment } from '../executor';
import { InvokeResult, LambdaInvoker } from './invoker';
import { decodeIpcStream } from './ipc';
import { EngineRunRequest, MAX_INLINE_BYTES, PingReply, PROTOCOL_VERSION, resultUris, RunReply } from './protocol';

export type InvocationMode = 'sync' | 'async' | 'stream';

/** The function stops a fragment at its deadline; this long after it, it is surely free again. */
const ABANDON_GRACE_MS = 2000;

export interface LambdaExecutorOptions {
  id: string;
  invoker: LambdaInvoker;
  invocation: InvocationMode;
  /** The prefix the function writes large results (and async replies) under; null: inline only (sync). */
  resultPrefix: string | null;
  resultStore: ObjectStore | null;
  /** The function stops a fragment after this long (the pool's own timeout should be no shorter). */
  timeoutMs: number;
  /** Results up to this many IPC bytes come back in the reply (default and maximum 4 MiB). */
  inlineLimit?: number;
  /** Async: first poll interval of the result store (default 100 ms, growing to 1 s). */
  pollMs?: number;
  /** Called once by close(): executors sharing an invoker release it together (see lambda-pool.ts). */
  onClose?: () => Promise<void>;
}

/** What the function answered, as a reply object, or the failure it stands for. */
function replyOf(out: InvokeResult, fn: string): unknown {
  const text = out.payload.toString('utf8');
  let body: unknown;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  const failed = body as { errorMessage?: unknown; errorType?: unknown } | string | null;
  // the emulator answers a timeout in plain text and drops X-Amz-Function-Error; Lambda sets it
  const message =
    typeof failed === 'string' ? failed : typeof failed?.errorMessage === 'string' ? `${String(failed.errorType ?? 'Error')}: ${failed.errorMessage}` : null;
  if (out.functionError || message !== null) {
    const why = message ?? out.functionError ?? 'unknown function error';
    if (/Task timed out/i.test(why)) return new DeadlineExceededError(`lambda ${fn}: ${why}`);
    return new UnavailableError(`lambda ${fn}: the function failed: ${why}`);
  }
  return body;
}

export class LambdaExecutor implements Executor {
  readonly id: string;
  private active = 0;

  constructor(private readonly opts: LambdaExecutorOptions) {
    this.id = opts.id;
    if (opts.invocation === 'async' && (!opts.resultPrefix || !opts.resultStore)) {
      throw new FailedPreconditionError('asynchronous Lambda invocations need a result prefix (lambda.resultPrefix) to poll');
    }
  }

  private get fn(): string {
    return this.opts.invoker.functionName;
  }

  async run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    if (signal.aborted) throw new CancelledError('fragment cancelled before it started');
    this.active++;
    try {
      const id = ulid();
      const deadline = Date.now() + this.opts.timeoutMs;
      const req: EngineRunRequest = {
        v: PROTOCOL_VERSION,
        op: 'run',
        id,
        fragment,
        deadline,
        inlineLimit: Math.min(this.opts.inlineLimit ?? MAX_INLINE_BYTES, MAX_INLINE_BYTES),
        replyToStore: this.opts.invocation === 'async' || undefined,
        stream: this.opts.invocation === 'stream' || undefined,
      };
      const what = `lambda ${this.fn} fragment ${fragment.fragment.id}`;
      let decoded: { schema: A.Schema; batches: A.RecordBatch[] };
      if (this.opts.invocation === 'stream') {
        decoded = await this.invokeStreaming(req, deadline, signal, what);
      } else {
        const reply = this.opts.invocation === 'sync' ? await this.invokeSync(req, deadline, signal) : await this.invokeAsync(req, deadline, signal);
        decoded = decodeIpcStream(await this.resultBytes(reply), what);
      }
      const { schema, batches } = decoded;
      async function* all(): AsyncGenerator<(typeof batches)[number]> {
        for (const b of batches) {
          if (signal.aborted) throw new CancelledError('fragment cancelled by the coordinator');
          yield b;
        }
      }
      return { schema, batches: all() };
    } finally {
      this.active--;
    }
  }

  private check(reply: unknown): RunReply {
    if (reply instanceof SkeinError) throw reply;
    const r = reply as Partial<Omit<RunReply, 'ok'>> & { ok?: boolean; code?: number; error?: string };
    if (r === null || typeof r !== 'object' || r.v !== PROTOCOL_VERSION) {
      throw new UnavailableError(`lambda ${this.fn}: not a Skein Engine reply (a different function, or another protocol version)`);
    }
    if (r.ok === false) throw new SkeinError(r.code ?? 13, `lambda ${this.fn}: ${r.error ?? 'failed'}`);
    if (typeof r.inline !== 'string' && typeof r.uri !== 'string') throw new InternalError(`lambda ${this.fn}: reply without a result`);
    return r as RunReply;
  }

  private async invokeSync(req: EngineRunRequest, deadline: number, signal: AbortSignal): Promise<RunReply> {
    const out = await this.opts.invoker.invoke(req, 'RequestResponse', signal, deadline + ABANDON_GRACE_MS);
    return this.check(replyOf(out, this.fn));
  }

  /** A streamed response: the IPC stream itself, or (the fragment failed to start) a JSON failure reply. */
  private async invokeStreaming(
    req: EngineRunRequest,
    deadline: number,
    signal: AbortSignal,
    what: string,
  ): Promise<{ schema: A.Schema; batches: A.RecordBatch[] }> {
    const events = await this.opts.invoker.invokeStream(req, signal, deadline + ABANDON_GRACE_MS);
    const fn = this.fn;
    const chunks: Uint8Array[] = [];
    for await (const ev of events) {
      if (ev.PayloadChunk?.Payload) chunks.push(ev.PayloadChunk.Payload);
      const done = ev.InvokeComplete;
      if (done?.ErrorCode) {
        // ErrorDetails is the function's {errorType, errorMessage}; Skein errors keep their status
        let message = done.ErrorDetails ?? '';
        try {
          message = (JSON.parse(message) as { errorMessage?: string }).errorMessage ?? message;
        } catch {
          // plain text
        }
        const name = /^Skein\.([A-Z_]+)$/.exec(done.ErrorCode)?.[1] as keyof typeof grpc.status | undefined;
        const code = name !== undefined && typeof grpc.status[name] === 'number' ? grpc.status[name] : grpc.status.UNAVAILABLE;
        throw new SkeinError(code, `lambda ${fn}: ${/Task timed out/i.test(message) ? message : `streamed response failed: ${message}`}`);
      }
    }
    if (signal.aborted) throw new CancelledError('fragment cancelled by the coordinator');
    const bytes = Buffer.concat(chunks);
    // an Arrow IPC stream starts with 0xFFFFFFFF; anything else is a JSON reply (a failure to start)
    if (bytes.length > 0 && bytes[0] !== 0xff) this.check(replyOf({ payload: bytes, statusCode: 200 }, fn));
    return decodeIpcStream(bytes, what);
  }

  private async invokeAsync(req: EngineRunRequest, deadline: number, signal: AbortSignal): Promise<RunReply> {
    const out = await this.opts.invoker.invoke(req, 'Event', signal, deadline + ABANDON_GRACE_MS);
    // Lambda answers 202 (queued); an emulator runs it at once and answers 200 with the reply
    if (out.statusCode !== 202 && out.statusCode !== 200) {
      throw new UnavailableError(`lambda ${this.fn}: asynchronous invocation answered HTTP ${out.statusCode}`);
    }
    const store = this.opts.resultStore as ObjectStore;
    const uri = resultUris(this.opts.resultPrefix as string, req.id).reply;
    // the function stops at the deadline; give its reply a moment to land
    const giveUpAt = deadline + 10_000;
    let wait = this.opts.pollMs ?? 100;
    for (;;) {
      if (signal.aborted) throw new CancelledError('fragment cancelled by the coordinator');
      if (await store.head(uri)) break;
      if (Date.now() > giveUpAt) {
        throw new DeadlineExceededError(`lambda ${this.fn}: no reply from asynchronous invocation ${req.id} by its deadline (${uri})`);
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 1.5);
    }
    const text = (await store.get(uri)).toString('utf8');
    this.forget(store, uri);
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch (e) {
      throw new InternalError(`lambda ${this.fn}: malformed reply at ${uri}`, { cause: e });
    }
    return this.check(reply);
  }

  private async resultBytes(reply: RunReply): Promise<Uint8Array> {
    if (reply.inline !== undefined) return Buffer.from(reply.inline, 'base64');
    const store = this.opts.resultStore;
    const uri = reply.uri as string;
    if (!store) throw new FailedPreconditionError(`lambda ${this.fn}: the result went to ${uri} but the coordinator has no result store (lambda.resultPrefix)`);
    const bytes = await store.get(uri);
    this.forget(store, uri);
    return bytes;
  }

  /** Results are read once: delete them (a lifecycle rule on the prefix is the backstop). */
  private forget(store: ObjectStore, uri: string): void {
    store.delete(uri).catch((e: unknown) => log.warn({ err: e, uri }, 'cannot delete a Lambda result'));
  }

  /** The function instance's own view: warm reuse shows as the same instance with a growing count. */
  async ping(signal: AbortSignal = new AbortController().signal): Promise<PingReply> {
    const out = await this.opts.invoker.invoke({ v: PROTOCOL_VERSION, op: 'ping' }, 'RequestResponse', signal);
    const reply = replyOf(out, this.fn);
    if (reply instanceof SkeinError) throw reply;
    const r = reply as PingReply & { ok: boolean; error?: string; code?: number };
    if (r?.v !== PROTOCOL_VERSION) throw new UnavailableError(`lambda ${this.fn}: not a Skein Engine reply`);
    if (!r.ok) throw new SkeinError(r.code ?? 13, `lambda ${this.fn}: ${r.error ?? 'failed'}`);
    return r;
  }

  status(): ExecutorStatus {
    return { id: this.id, running: this.active, address: `lambda:${this.fn}` };
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.onClose?.();
  }
}
