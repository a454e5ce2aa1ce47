// The Engine function's handler in this process (no emulator): request checks, ping, inline and
// spilled results, deadlines; plus the runtime's handler naming. The emulator tests are e2e/ts/lambda.test.ts.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { EngineFunction } from '../../../src/executors/lambda/engine-function';
import { LambdaContext, StreamingResponse } from '../../../src/executors/lambda/handlers';
import { decodeIpcStream } from '../../../src/executors/lambda/ipc';
import { EngineReply, PingReply, RunReply } from '../../../src/executors/lambda/protocol';
import { handlerNameOf } from '../../../src/executors/lambda/runtime';
import { signFragment } from '../../../src/executors/signing';
import { LocalStore } from '../../../src/store/local-store';
import { arrowRows, duckdbRows, makeParquet, ParquetFixture, scanFragment } from './parquet-fixture';

const SECRET = 'engine-function-secret-01';

function ctx(ms = 60_000): LambdaContext {
  const deadlineMs = Date.now() + ms;
  return { awsRequestId: 'req-1', functionName: 'skein-engine', deadlineMs, getRemainingTimeInMillis: () => deadlineMs - Date.now() };
}

let data: ParquetFixture;
let results: string;
let fn: EngineFunction;
let inlineOnly: EngineFunction;

beforeAll(async () => {
  data = await makeParquet(2, 5000);
  results = mkdtempSync(join(tmpdir(), 'skein-engine-results-'));
  const common = { secret: SECRET, threads: 1, allowedDirectories: [data.dir], cache: null };
  fn = await EngineFunction.open({ ...common, resultPrefix: `${results}/`, resultStore: new LocalStore() });
  inlineOnly = await EngineFunction.open({ ...common, resultPrefix: null, resultStore: null });
});

afterAll(async () => {
  await fn?.close();
  await inlineOnly?.close();
  data?.remove();
  if (results) rmSync(results, { recursive: true, force: true });
});

function failed(r: EngineReply | StreamingResponse): { code: number; error: string } {
  expect(r).not.toBeInstanceOf(StreamingResponse);
  expect((r as EngineReply).ok).toBe(false);
  return r as unknown as { code: number; error: string };
}

describe('Engine function handler', () => {
  it('answers a malformed request with INVALID_ARGUMENT naming the field', async () => {
    expect(failed(await fn.handle({ v: 1, op: 'run', fragment: {} }, ctx()))).toMatchObject({ code: status.INVALID_ARGUMENT, error: expect.stringMatching(/id/) });
    expect(failed(await fn.handle({ v: 2, op: 'ping' }, ctx())).code).toBe(status.INVALID_ARGUMENT);
    expect(failed(await fn.handle('hello', ctx())).code).toBe(status.INVALID_ARGUMENT);
  });

  it('ping reports the instance and counts its invocations', async () => {
    const a = (await fn.handle({ v: 1, op: 'ping' }, ctx())) as PingReply;
    const b = (await fn.handle({ v: 1, op: 'ping' }, ctx())) as PingReply;
    expect(b.instance).toBe(a.instance);
    expect(b.invocations).toBe(a.invocations + 1);
  });

  it('returns a small result inline as Arrow IPC, exactly DuckDB\'s rows', async () => {
    const f = scanFragment('s', data.files, 'g, count(*) AS n, sum(amount) AS s', 'TRUE GROUP BY g ORDER BY g');
    const r = (await fn.handle({ v: 1, op: 'run', id: 'inline1', fragment: signFragment(f, SECRET) }, ctx())) as RunReply;
    expect(r.ok).toBe(true);
    expect(r.uri).toBeUndefined();
    const { batches } = decodeIpcStream(Buffer.from(r.inline as string, 'base64'), 'test');
    expect(arrowRows(batches)).toEqual(await duckdbRows(f.sql));
    expect(r.rows).toBe(13);
  });

  it('writes a result over the inline limit to the result store; without a store it is RESOURCE_EXHAUSTED', async () => {
    const f = scanFragment('big', data.files, 'id, name, amount, day');
    const r = (await fn.handle({ v: 1, op: 'run', id: 'big1', fragment: signFragment(f, SECRET), inlineLimit: 1000 }, ctx())) as RunReply;
    expect(r.uri).toBe(join(results, 'big1.arrows'));
    expect(readdirSync(results)).toEqual(['big1.arrows']);
    const { batches } = decodeIpcStream(await new LocalStore().get(r.uri as string), 'test');
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(10_000);
    const refused = failed(await inlineOnly.handle({ v: 1, op: 'run', id: 'big2', fragment: signFragment(f, SECRET), inlineLimit: 1000 }, ctx()));
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.error).toMatch(/exceeds the inline limit \(1000 bytes\).*SKEIN_LAMBDA_RESULT_PREFIX/);
  });

  it('async invocations leave their reply, failures included, in the result store', async () => {
    const bad = { ...scanFragment('x', data.files, 'id'), sql: 'SELECT nope FROM read_parquet(1)' };
    await fn.handle({ v: 1, op: 'run', id: 'async1', fragment: signFragment(bad, SECRET), replyToStore: true }, ctx());
    const reply = JSON.parse((await new LocalStore().get(join(results, 'async1.reply.json'))).toString()) as { ok: boolean; code: number };
    expect(reply).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
  });

  it('stops a fragment at the request deadline, or before Lambda\'s own, with DEADLINE_EXCEEDED', async () => {
    const slow = { id: 'slow', stage: 's', sql: 'SELECT count(*) FROM range(300000) a, range(300000) b WHERE (a.range * b.range) % 7 = 3', inputs: [] };
    const t0 = Date.now();
    const r = failed(await fn.handle({ v: 1, op: 'run', id: 'd1', fragment: signFragment(slow, SECRET), deadline: Date.now() + 300 }, ctx()));
    expect(r.code).toBe(status.DEADLINE_EXCEEDED);
    // Lambda's deadline in 1.5 s: the handler keeps 1 s to answer
    const l = failed(await fn.handle({ v: 1, op: 'run', id: 'd2', fragment: signFragment(slow, SECRET) }, ctx(1500)));
    expect(l.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('streams the IPC stream when asked (any size), exactly DuckDB\'s rows', async () => {
    const f = scanFragment('st', data.files, 'g, count(*) AS n', 'TRUE GROUP BY g ORDER BY g');
    const r = await fn.handle({ v: 1, op: 'run', id: 'st1', fragment: signFragment(f, SECRET), stream: true }, ctx());
    expect(r).toBeInstanceOf(StreamingResponse);
    const parts: Uint8Array[] = [];
    for await (const c of (r as StreamingResponse).body) parts.push(c);
    expect(arrowRows(decodeIpcStream(Buffer.concat(parts), 'test').batches)).toEqual(await duckdbRows(f.sql));
  });

  it('refuses fragments not signed with its secret', async () => {
    const f = scanFragment('s', data.files, 'count(*)');
    expect(failed(await fn.handle({ v: 1, op: 'run', id: 'p1', fragment: signFragment(f, 'another-secret-entirely') }, ctx())).code).toBe(status.PERMISSION_DENIED);
  });
});

describe('runtime handler names', () => {
  it('takes SKEIN_LAMBDA_HANDLER, else the last part of _HANDLER, else engine', () => {
    expect(handlerNameOf({ SKEIN_LAMBDA_HANDLER: 'catalog', _HANDLER: 'index.engine' })).toBe('catalog');
    expect(handlerNameOf({ _HANDLER: 'dist/src/executors/lambda/index.catalog' })).toBe('catalog');
    expect(handlerNameOf({})).toBe('engine');
  });
});
