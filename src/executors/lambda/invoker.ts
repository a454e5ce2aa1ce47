// Invokes one Lambda function through @aws-sdk/client-lambda with a bound on invocations in flight,
// spread over one or more Invoke API endpoints (AWS's, or local emulators in tests). Throttling and
// Lambda service faults are retried with jittered exponential backoff; everything else is mapped to
// a typed error for the caller (the executor pool retries UNAVAILABLE / DEADLINE_EXCEEDED elsewhere).
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  InvokeWithResponseStreamResponseEvent,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  CancelledError,
  FailedPreconditionError,
  InvalidArgumentError,
  PermissionDeniedError,
  SkeinError,
  UnavailableError,
} from '../../errors';
import { log } from '../../log';

export interface LambdaInvokerOptions {
  functionName: string;
  region: string;
  /** Invoke API endpoints (http://host:port); empty: AWS's regional endpoint. */
  endpoints?: readonly string[];
  /** Static credentials; the SDK's default chain when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Invocations in flight at once, over all endpoints (Lambda's reserved concurrency). */
  concurrency: number;
  /**
   * Invocations in flight at once per endpoint (default: no limit). 1 for emulators, which run one
   * invocation at a time: then an abandoned invocation keeps its endpoint until its deadline passes.
   */
  endpointConcurrency?: number;
  /** Throttled / faulted invocations are tried again up to this many times (default 5). */
  maxRetries?: number;
  /** First backoff; doubles per retry, with full jitter, up to 5 s (default 100 ms). */
  backoffMs?: number;
}

export type InvocationType = 'RequestResponse' | 'Event';

export interface InvokeResult {
  payload: Buffer;
  /** Set when the function itself failed (Lambda's X-Amz-Function-Error). */
  functionError?: string;
  statusCode: number;
}

interface Endpoint {
  client: LambdaClient;
  url: string;
  inFlight: number;
}

/** Errors worth the same invocation again after a pause: throttling and Lambda's own faults. */
const THROTTLED = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'EC2ThrottledException',
  'ServiceException',
  'ResourceNotReadyException',
  'SnapStartNotReadyException',
  'EFSMountTimeoutException',
]);

function sdkMeta(e: unknown): { name: string; status: number | undefined; code: string | undefined; message: string } {
  const err = e as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number }; cause?: { code?: string } };
  const message = err?.message ?? String(e);
  return {
    name: err?.name ?? 'Error',
    status: err?.$metadata?.httpStatusCode,
    // a socket error may arrive wrapped ("AWS SDK error wrapper for Error: connect ECONNREFUSED …")
    code: err?.code ?? err?.cause?.code ?? /\b(E[A-Z]{4,})\b/.exec(message)?.[1],
    message,
  };
}

/** A connection lost mid-call: the invocation may be running (an emulator is busy until it ends). */
function mayHaveReached(e: unknown): boolean {
  const m = sdkMeta(e);
  if (m.status !== undefined) return false; // an HTTP answer: the call is over
  return m.name === 'TimeoutError' || ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(m.code ?? '') || /socket hang up/i.test(m.message);
}

export class LambdaInvoker {
  private readonly endpoints: Endpoint[];
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private next = 0;
  private closed = false;
  readonly stats = { invocations: 0, retries: 0, throttled: 0 };

  constructor(readonly opts: LambdaInvokerOptions) {
    if (opts.concurrency < 1) throw new InvalidArgumentError('Lambda concurrency must be at least 1');
    const urls = opts.endpoints && opts.endpoints.length > 0 ? opts.endpoints : [undefined];
    this.endpoints = urls.map((url) => ({
      url: url ?? `lambda.${opts.region}`,
      inFlight: 0,
      // retries are ours (abort- and deadline-aware); the SDK's would hide throttling from the caller
      client: new LambdaClient({ region: opts.region, endpoint: url, credentials: opts.credentials, maxAttempts: 1 }),
    }));
  }

  get functionName(): string {
    return this.opts.functionName;
  }

  get running(): number {
    return this.inFlight;
  }

  /**
   * Invokes the function with `payload` (JSON); waits for a free slot first. `busyUntil` (epoch ms):
   * when the call is abandoned (aborted), the function may run on until then.
   */
  async invoke(payload: unknown, type: InvocationType, signal: AbortSignal, busyUntil = 0): Promise<InvokeResult> {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const { out, release } = await this.send(
      (client) => client.send(new InvokeCommand({ FunctionName: this.opts.functionName, InvocationType: type, Payload: body }), { abortSignal: signal }),
      signal,
      busyUntil,
    );
    release(0);
    return {
      payload: Buffer.from(out.Payload ?? new Uint8Array()),
      functionError: out.FunctionError,
      statusCode: out.StatusCode ?? 0,
    };
  }

  /**
   * A response-streaming invocation (InvokeWithResponseStream): its events as they come. The slot is
   * held until the events are read to the end (or the iteration stops).
   */
  async invokeStream(payload: unknown, signal: AbortSignal, busyUntil = 0): Promise<AsyncIterable<InvokeWithResponseStreamResponseEvent>> {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const { out, release } = await this.send(
      (client) => client.send(new InvokeWithResponseStreamCommand({ FunctionName: this.opts.functionName, Payload: body }), { abortSignal: signal }),
      signal,
      busyUntil,
    );
    const events = out.EventStream;
    if (!events) {
      release(0);
      throw new UnavailableError(`lambda ${this.opts.functionName}: a streaming invocation answered without a stream`);
    }
    return (async function* () {
      let complete = false;
      try {
        for await (const ev of events) {
          if (ev.InvokeComplete) complete = true;
          yield ev;
        }
      } finally {
        release(complete || !signal.aborted ? 0 : busyUntil);
      }
    })();
  }

  /** One call with a free slot, retried with backoff while throttled; the caller releases the slot. */
  private async send<T>(
    call: (client: LambdaClient) => Promise<T>,
    signal: AbortSignal,
    busyUntil: number,
  ): Promise<{ out: T; release: (holdUntil: number) => void }> {
    const maxRetries = this.opts.maxRetries ?? 5;
    const backoff = this.opts.backoffMs ?? 100;
    for (let attempt = 0; ; attempt++) {
      const { ep, release } = await this.acquire(signal);
      try {
        this.stats.invocations++;
        return { out: await call(ep.client), release };
      } catch (e) {
        const err = this.classify(e, signal);
        // an abandoned invocation (aborted, or its connection lost) may still be running there:
        // an emulator must not get another one yet
        release(signal.aborted || mayHaveReached(e) ? busyUntil : 0);
        if (err === 'retry' && attempt < maxRetries) {
          this.stats.retries++;
          const wait = Math.random() * Math.min(5000, backoff * 2 ** attempt);
          log.debug({ fn: this.opts.functionName, endpoint: ep.url, attempt, waitMs: Math.round(wait), err: sdkMeta(e).message }, 'lambda invocation throttled; retrying');
          await this.sleep(wait, signal);
          continue;
        }
        throw err === 'retry'
          ? new UnavailableError(`lambda ${this.opts.functionName}: still throttled or failing after ${attempt + 1} tries: ${sdkMeta(e).message}`, { cause: e })
          : err;
      }
    }
  }

  /** 'retry' for throttling and service faults; otherwise the error to give the caller. */
  private classify(e: unknown, signal: AbortSignal): 'retry' | SkeinError {
    const fn = this.opts.functionName;
    const m = sdkMeta(e);
    if (signal.aborted || m.name === 'AbortError') return new CancelledError(`lambda ${fn}: invocation cancelled`, { cause: e });
    if (THROTTLED.has(m.name) || m.status === 429 || (m.status !== undefined && m.status >= 500)) {
      if (m.name === 'TooManyRequestsException' || m.status === 429) this.stats.throttled++;
      return 'retry';
    }
    // never reached the function: the same call again is safe
    if (m.code === 'ECONNREFUSED') return 'retry';
    switch (m.name) {
      case 'CredentialsProviderError':
        return new FailedPreconditionError(`lambda ${fn}: no AWS credentials: ${m.message}`, { cause: e });
      case 'ResourceNotFoundException':
        return new FailedPreconditionError(`lambda function ${fn} not found: ${m.message}`, { cause: e });
      case 'AccessDeniedException':
      case 'KMSAccessDeniedException':
        return new PermissionDeniedError(`lambda ${fn}: ${m.message}`, { cause: e });
      case 'RequestTooLargeException':
      case 'InvalidRequestContentException':
        return new InvalidArgumentError(`lambda ${fn}: ${m.message}`, { cause: e });
      default:
        // a dropped connection, a busy emulator, an unknown fault: the pool may try elsewhere
        return new UnavailableError(`lambda ${fn}: invocation failed (${m.name}${m.status ? ` HTTP ${m.status}` : ''}${m.code ? ` ${m.code}` : ''}): ${m.message}`, { cause: e });
    }
  }

  /** A free endpoint with the fewest invocations in flight (round robin among equals), or null. */
  private pick(): Endpoint | null {
    if (this.inFlight >= this.opts.concurrency) return null;
    const perEndpoint = this.opts.endpointConcurrency ?? Infinity;
    let best: Endpoint | null = null;
    for (let i = 0; i < this.endpoints.length; i++) {
      const ep = this.endpoints[(this.next + i) % this.endpoints.length];
      if (ep.inFlight < perEndpoint && (!best || ep.inFlight < best.inFlight)) best = ep;
    }
    if (best) this.next = (this.endpoints.indexOf(best) + 1) % this.endpoints.length;
    return best;
  }

  /** Waits for a free slot; `release(holdUntil)` frees it (its endpoint's part not before holdUntil). */
  private async acquire(signal: AbortSignal): Promise<{ ep: Endpoint; release: (holdUntil: number) => void }> {
    for (;;) {
      if (this.closed) throw new UnavailableError(`lambda ${this.opts.functionName}: the invoker is closed`);
      if (signal.aborted) throw new CancelledError(`lambda ${this.opts.functionName}: cancelled while waiting for a free invocation slot`);
      const ep = this.pick();
      if (ep) {
        this.inFlight++;
        ep.inFlight++;
        let released = false;
        const release = (holdUntil: number): void => {
          if (released) return;
          released = true;
          this.inFlight--;
          const freeEndpoint = (): void => {
            ep.inFlight--;
            this.wakeAll();
          };
          const hold = holdUntil - Date.now();
          if (hold > 0 && this.opts.endpointConcurrency !== undefined && !this.closed) setTimeout(freeEndpoint, hold).unref();
          else freeEndpoint();
          this.wakeAll();
        };
        return { ep, release };
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal.removeEventListener('abort', wake);
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          resolve();
        };
        this.waiting.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Every waiter looks again (few wait at once: the pool bounds them). */
  private wakeAll(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        if (signal.aborted) reject(new CancelledError(`lambda ${this.opts.functionName}: cancelled during backoff`));
        else resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
    for (const ep of this.endpoints) ep.client.destroy();
  }
}
