// A Lambda custom runtime (provided.al2023, or AWS's Runtime Interface Emulator in tests): the loop
// that takes the next invocation from the Runtime API, calls the Skein handler named by
// SKEIN_LAMBDA_HANDLER (or the function's Handler setting, `_HANDLER`) and posts its result back.
// The `bootstrap` of the deployment bundle starts this file.
import { once } from 'node:events';
import { request } from 'node:http';
import { status as grpcStatus } from '@grpc/grpc-js';
import { SkeinError } from '../../errors';
import { log } from '../../log';
import { LambdaContext, LambdaHandler, loadHandler, StreamingResponse } from './handlers';

const API_VERSION = '2018-06-01';

function errorBody(e: unknown): { errorMessage: string; errorType: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  // a Skein error keeps its gRPC status across the function boundary
  const type = err instanceof SkeinError ? `Skein.${grpcStatus[err.code]}` : err.name || 'Error';
  return { errorMessage: err.message, errorType: type };
}

/**
 * Posts a streamed response (chunked, `Lambda-Runtime-Function-Response-Mode: streaming`); a failure
 * mid-stream goes in the trailers Lambda reads it from (fetch cannot send trailers: node:http can).
 */
async function postStream(url: string, res: StreamingResponse): Promise<void> {
  const req = request(url, {
    method: 'POST',
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Content-Type': res.contentType,
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  const answered = new Promise<void>((resolve) => {
    req.once('response', (r) => {
      if (r.statusCode !== 202) log.warn({ url, status: r.statusCode }, 'runtime API refused a streamed response');
      r.resume();
      r.once('end', resolve);
    });
    req.once('error', (e) => {
      log.warn({ err: e, url }, 'streamed response broken');
      resolve();
    });
  });
  try {
    for await (const chunk of res.body) {
      if (!req.write(chunk)) await once(req, 'drain');
    }
  } catch (e) {
    const body = errorBody(e);
    req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': body.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
  }
  req.end();
  await answered;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<void> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  // the Runtime API answers 202; anything else means the invocation is gone (timed out, reset)
  if (!r.ok) log.warn({ url, status: r.status, body: await r.text() }, 'runtime API refused a post');
  else await r.arrayBuffer();
}

export interface RuntimeOptions {
  /** host:port of the Runtime API (AWS_LAMBDA_RUNTIME_API). */
  api: string;
  handlerName: string;
  /** Stop after this many invocations (tests); default: forever. */
  maxInvocations?: number;
}

/** The loop: never returns unless maxInvocations is set; an init failure is reported, then thrown. */
export async function runRuntime(opts: RuntimeOptions): Promise<void> {
  const base = `http://${opts.api}/${API_VERSION}/runtime`;
  let handler: LambdaHandler;
  try {
    handler = await loadHandler(opts.handlerName, process.env);
  } catch (e) {
    log.error({ err: e }, 'lambda handler failed to initialise');
    await post(`${base}/init/error`, JSON.stringify(errorBody(e)), { 'Lambda-Runtime-Function-Error-Type': 'Runtime.InitError' });
    throw e;
  }
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'skein';
  let refused = 0;
  for (let served = 0; opts.maxInvocations === undefined || served < opts.maxInvocations; served++) {
    let next: Response;
    try {
      next = await fetch(`${base}/invocation/next`);
      refused = 0;
    } catch (e) {
      // the Runtime API gone for good (its host process ended): nothing will ever come
      const code = (e as { cause?: { code?: string } }).cause?.code;
      if (code === 'ECONNREFUSED' && ++refused >= 5) throw new Error(`the Runtime API at ${opts.api} is gone`);
      // fetch also gives up on a long idle poll (its header timeout): just ask again
      log.debug({ err: (e as Error).message, code }, 'runtime API poll ended; polling again');
      await new Promise((r) => setTimeout(r, 100));
      served--;
      continue;
    }
    const requestId = next.headers.get('lambda-runtime-aws-request-id') ?? '';
    const deadlineMs = Number(next.headers.get('lambda-runtime-deadline-ms') ?? Date.now() + 900_000);
    const text = await next.text();
    const ctx: LambdaContext = {
      awsRequestId: requestId,
      functionName,
      deadlineMs,
      getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    };
    try {
      const event: unknown = text === '' ? null : JSON.parse(text);
      const result = await handler(event, ctx);
      const url = `${base}/invocation/${encodeURIComponent(requestId)}/response`;
      if (result instanceof StreamingResponse) await postStream(url, result);
      else await post(url, JSON.stringify(result ?? null));
    } catch (e) {
      log.error({ err: e, requestId }, 'lambda invocation failed');
      await post(`${base}/invocation/${encodeURIComponent(requestId)}/error`, JSON.stringify(errorBody(e)), {
        'Lambda-Runtime-Function-Error-Type': 'Runtime.HandlerError',
      }).catch((pe: unknown) => log.error({ err: pe }, 'cannot report the invocation error'));
    }
  }
}

/** `_HANDLER` may be a module path such as `index.engine`: the part after the last dot names it. */
export function handlerNameOf(env: NodeJS.ProcessEnv): string {
  const raw = env.SKEIN_LAMBDA_HANDLER || env._HANDLER || 'engine';
  return raw.slice(raw.lastIndexOf('.') + 1);
}

if (require.main === module) {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!api) {
    process.stderr.write('AWS_LAMBDA_RUNTIME_API is not set: this program runs inside Lambda (or its emulator)\n');
    process.exit(2);
  }
  runRuntime({ api, handlerName: handlerNameOf(process.env) }).catch(() => process.exit(1));
}
