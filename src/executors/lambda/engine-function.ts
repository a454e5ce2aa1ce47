// The Engine function: runs one signed fragment with the function instance's DuckDB (kept across
// warm invocations, as is the partition cache on its disk) and answers Arrow IPC — inline when small,
// else written to the result store with its URI returned. Stops at the fragment's deadline.
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { CancelledError, DeadlineExceededError, InternalError, ResourceExhaustedError, SkeinError } from '../../errors';
import { log } from '../../log';
import { ObjectStore } from '../../store/object-store';
import { PartitionCache } from '../../store/partition-cache';
import { FragmentEngine } from '../fragment-runner';
import { LambdaContext, StreamingResponse } from './handlers';
import { encodeIpcStream, ipcStreamChunks } from './ipc';
import {
  EngineReply,
  engineRequest,
  EngineRunRequest,
  MAX_INLINE_BYTES,
  PingReply,
  PROTOCOL_VERSION,
  ReplyFailure,
  resultUris,
  RunReply,
} from './protocol';

export interface EngineFunctionOptions {
  secret: string;
  threads?: number;
  memoryLimit?: string;
  /** Directories DuckDB may read besides the partition cache; null: no sandbox. */
  allowedDirectories: string[] | null;
  /** Where results too large to return inline go (a prefix such as s3://bucket/results/). */
  resultPrefix: string | null;
  resultStore: ObjectStore | null;
  /**
   * Object-store files of fragments are copied here and read locally (kept while warm): the same
   * partition cache every executor uses; the fragment engine fetches and rewrites.
   */
  cache: PartitionCache | null;
}

/** Time kept back from Lambda's own deadline to answer before the function is killed. */
const REPLY_MARGIN_MS = 1000;

function failure(e: unknown): ReplyFailure {
  const err = e instanceof SkeinError ? e : new InternalError((e as Error)?.message ?? String(e));
  return { v: PROTOCOL_VERSION, ok: false, code: err.code, error: err.message };
}

/** What a fragment stopped by its deadline timer failed with, as DEADLINE_EXCEEDED. */
function atDeadline(e: unknown, deadline: AbortSignal, started: number, instance: string): unknown {
  if (deadline.aborted && (e instanceof CancelledError || !(e instanceof SkeinError))) {
    return new DeadlineExceededError(`fragment stopped at its deadline after ${Date.now() - started} ms (function ${instance})`, { cause: e });
  }
  return e;
}

export class EngineFunction {
  readonly instance = `engine-${randomUUID().slice(0, 8)}`;
  private invocations = 0;

  private constructor(
    private readonly engine: FragmentEngine,
    private readonly opts: EngineFunctionOptions,
  ) {}

  static async open(opts: EngineFunctionOptions): Promise<EngineFunction> {
    // the engine adds the cache directory to the sandbox's allowed directories itself
    const engine = await FragmentEngine.open({
      secret: opts.secret,
      threads: opts.threads,
      memoryLimit: opts.memoryLimit,
      allowedDirectories: opts.allowedDirectories,
      cache: opts.cache,
    });
    return new EngineFunction(engine, opts);
  }

  /** The Lambda handler: never throws for a bad request or a failing fragment, it answers ok: false. */
  async handle(event: unknown, ctx: LambdaContext): Promise<EngineReply | StreamingResponse> {
    this.invocations++;
    const parsed = engineRequest.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { v: PROTOCOL_VERSION, ok: false, code: status.INVALID_ARGUMENT, error: `bad Engine request: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
    }
    const req = parsed.data;
    if (req.op === 'ping') return this.ping();
    if (req.stream) return this.runStreaming(req, ctx).catch((e: unknown) => failure(e));
    const reply = await this.run(req, ctx).catch((e: unknown) => failure(e));
    if (req.replyToStore) await this.storeReply(req.id, reply);
    return reply;
  }

  private ping(): PingReply {
    return {
      v: PROTOCOL_VERSION,
      ok: true,
      instance: this.instance,
      invocations: this.invocations,
      duckdb: this.engine.duckdbVersion,
      cachedFiles: this.opts.cache?.held().length ?? 0,
    };
  }

  private async run(req: EngineRunRequest, ctx: LambdaContext): Promise<RunReply> {
    const started = Date.now();
    const deadline = Math.min(req.deadline ?? Infinity, ctx.deadlineMs - REPLY_MARGIN_MS);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
    try {
      const run = await this.engine.run(req.fragment, ac.signal);
      const { bytes, rows } = await encodeIpcStream(run.schema, run.batches);
      const base = { v: PROTOCOL_VERSION, ok: true as const, id: req.id, instance: this.instance, rows, bytes: bytes.length };
      const limit = Math.min(req.inlineLimit ?? MAX_INLINE_BYTES, MAX_INLINE_BYTES);
      if (bytes.length <= limit) {
        return { ...base, inline: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), durationMs: Date.now() - started };
      }
      if (!this.opts.resultStore || !this.opts.resultPrefix) {
        throw new ResourceExhaustedError(
          `fragment ${run.fragment.id}: its ${bytes.length}-byte result exceeds the inline limit (${limit} bytes) and the function has no result store (SKEIN_LAMBDA_RESULT_PREFIX)`,
        );
      }
      const uri = resultUris(this.opts.resultPrefix, req.id).data;
      await this.opts.resultStore.put(uri, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { contentType: 'application/vnd.apache.arrow.stream' });
      return { ...base, uri, durationMs: Date.now() - started };
    } catch (e) {
      throw atDeadline(e, ac.signal, started, this.instance);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The fragment started, then streamed as Arrow IPC while DuckDB produces it. */
  private async runStreaming(req: EngineRunRequest, ctx: LambdaContext): Promise<StreamingResponse> {
    const started = Date.now();
    const deadline = Math.min(req.deadline ?? Infinity, ctx.deadlineMs - REPLY_MARGIN_MS);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), Math.max(0, deadline - Date.now()));
    const instance = this.instance;
    let run;
    try {
      run = await this.engine.run(req.fragment, ac.signal);
    } catch (e) {
      clearTimeout(timer);
      throw atDeadline(e, ac.signal, started, instance);
    }
    const chunks = ipcStreamChunks(run.schema, run.batches);
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        yield* chunks;
      } catch (e) {
        throw atDeadline(e, ac.signal, started, instance);
      } finally {
        clearTimeout(timer);
      }
    }
    return new StreamingResponse('application/vnd.apache.arrow.stream', body());
  }

  /** An async caller polls the result store for the reply: put it there, failures included. */
  private async storeReply(id: string, reply: EngineReply): Promise<void> {
    if (!this.opts.resultStore || !this.opts.resultPrefix) {
      log.error({ id }, 'asynchronous invocation but no result store: the caller will time out');
      return;
    }
    try {
      await this.opts.resultStore.put(resultUris(this.opts.resultPrefix, id).reply, JSON.stringify(reply), { contentType: 'application/json' });
    } catch (e) {
      log.error({ err: e, id }, 'cannot store the reply of an asynchronous invocation');
    }
  }

  async close(): Promise<void> {
    await this.engine.close();
    await this.opts.resultStore?.close();
  }
}
