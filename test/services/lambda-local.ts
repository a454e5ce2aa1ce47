// A minimal local Lambda service for what AWS's emulator (lambda.ts) does not serve: response
// streaming. One HTTP port speaks both sides — the Runtime API to the function's real bootstrap
// (next / response, buffered or streamed with error trailers / error) and the Invoke API to clients
// (Invoke, and InvokeWithResponseStream as an AWS event stream, encoded with the SDK's own codec).
// One invocation at a time, like one Lambda instance; others queue.
import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { LambdaFunction, LambdaFunctionOptions } from './lambda';
import { REPO } from './services';

interface FnError {
  type: string;
  body: string;
}

interface Invocation {
  id: string;
  payload: Buffer;
  deadline: number;
  chunk(b: Buffer): void;
  end(err?: FnError): void;
}

const codec = new EventStreamCodec(
  (b: Uint8Array) => Buffer.from(b).toString('utf8'),
  (s: string) => new Uint8Array(Buffer.from(s, 'utf8')),
);

function event(type: string, body: Uint8Array, contentType: string): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: type },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: contentType },
    },
    body,
  });
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

export async function startLocalLambda(opts: LambdaFunctionOptions): Promise<LambdaFunction> {
  const root = opts.taskRoot ?? REPO;
  const bootstrap = join(root, existsSync(join(root, 'bootstrap')) ? 'bootstrap' : join('scripts', 'lambda', 'bootstrap'));
  const timeoutMs = (opts.timeoutSeconds ?? 60) * 1000;
  const queue: Invocation[] = [];
  let current: Invocation | null = null;
  let parked: ServerResponse | null = null;
  let runtime: ChildProcess | null = null;
  let out = '';
  let port = 0;

  const startRuntime = (): void => {
    runtime = spawn(bootstrap, [], {
      cwd: root,
      env: {
        ...process.env,
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
        LAMBDA_TASK_ROOT: root,
        SKEIN_LAMBDA_HANDLER: opts.handler,
        AWS_LAMBDA_FUNCTION_NAME: `skein-${opts.handler}`,
        SKEIN_LOG_LEVEL: process.env.SKEIN_LOG_LEVEL ?? 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer): void => {
      out = (out + d.toString()).slice(-20000);
    };
    runtime.stdout?.on('data', keep);
    runtime.stderr?.on('data', keep);
  };

  const finish = (inv: Invocation, err?: FnError): void => {
    if (current !== inv) return;
    current = null;
    inv.end(err);
    dispatch();
  };

  const dispatch = (): void => {
    if (current || !parked || queue.length === 0) return;
    const inv = queue.shift() as Invocation;
    current = inv;
    const res = parked;
    parked = null;
    out += `START RequestId: ${inv.id}\n`;
    res.writeHead(200, { 'lambda-runtime-aws-request-id': inv.id, 'lambda-runtime-deadline-ms': String(inv.deadline), 'content-type': 'application/json' });
    res.end(inv.payload);
    setTimeout(() => {
      if (current !== inv) return;
      // like Lambda: the instance is stopped; a new one starts for the next invocation
      runtime?.kill('SIGKILL');
      finish(inv, { type: 'Sandbox.Timedout', body: JSON.stringify({ errorMessage: `Task timed out after ${timeoutMs / 1000} seconds` }) });
      startRuntime();
    }, inv.deadline - Date.now()).unref();
  };

  const invoke = async (req: IncomingMessage, res: ServerResponse, streaming: boolean): Promise<void> => {
    const payload = await readAll(req);
    const inv: Invocation = {
      id: randomUUID(),
      payload,
      deadline: Date.now() + timeoutMs,
      chunk: () => undefined,
      end: () => undefined,
    };
    if (streaming) {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amz-executed-version': '$LATEST' });
      inv.chunk = (b) => res.write(event('PayloadChunk', b, 'application/octet-stream'));
      inv.end = (err) =>
        res.end(event('InvokeComplete', Buffer.from(JSON.stringify(err ? { ErrorCode: err.type, ErrorDetails: err.body } : {})), 'application/json'));
    } else {
      const parts: Buffer[] = [];
      inv.chunk = (b) => parts.push(b);
      inv.end = (err) => {
        res.writeHead(200, { 'content-type': 'application/json', ...(err ? { 'x-amz-function-error': 'Unhandled' } : {}) });
        res.end(err ? err.body : Buffer.concat(parts));
      };
    }
    queue.push(inv);
    dispatch();
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      parked = res;
      dispatch();
    } else if (req.method === 'POST' && m) {
      const inv = current && current.id === decodeURIComponent(m[1]) ? current : null;
      const streamed = req.headers['lambda-runtime-function-response-mode'] === 'streaming';
      if (m[2] === 'response' && streamed && inv) {
        req.on('data', (c: Buffer) => inv.chunk(c));
        req.on('end', () => {
          const type = req.trailers['lambda-runtime-function-error-type'];
          const body = req.trailers['lambda-runtime-function-error-body'];
          finish(inv, type ? { type, body: Buffer.from(body ?? '', 'base64').toString('utf8') } : undefined);
          res.writeHead(202).end();
        });
        return;
      }
      void readAll(req).then((body) => {
        if (inv && m[2] === 'response') {
          inv.chunk(body);
          finish(inv);
        } else if (inv) {
          const type = String(req.headers['lambda-runtime-function-error-type'] ?? 'Unhandled');
          finish(inv, { type, body: body.toString('utf8') });
        }
        res.writeHead(inv ? 202 : 400).end();
      });
    } else if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      void readAll(req).then((body) => {
        out += `init error: ${body.toString()}\n`;
        res.writeHead(202).end();
      });
    } else if (req.method === 'POST' && /^\/2015-03-31\/functions\/[^/]+\/invocations$/.test(url)) {
      void invoke(req, res, false);
    } else if (req.method === 'POST' && /^\/2021-11-15\/functions\/[^/]+\/response-streaming-invocations$/.test(url)) {
      void invoke(req, res, true);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  startRuntime();
  return {
    url: `http://127.0.0.1:${port}`,
    get process() {
      return runtime as ChildProcess;
    },
    output: () => out,
    stop: async () => {
      const r = runtime;
      if (r && r.exitCode === null && r.signalCode === null) {
        const gone = new Promise<void>((resolve) => r.once('exit', () => resolve()));
        r.kill('SIGTERM');
        const t = setTimeout(() => r.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
      parked?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
