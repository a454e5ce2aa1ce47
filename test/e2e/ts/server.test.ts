// The server in-process, driven by Skein's own TypeScript Flight SQL client over real gRPC.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { FlightSqlClient } from '../../../src/flight/client';
import { codecs, packAny, sql } from '../../../src/flight/proto';
import { FLIGHT_SERVICE } from '../../../src/flight/service';
import { encodeFlightData } from '../../../src/flight/ipc';

const USER = { user: 'tester', password: 'pw-1' };

async function readAll(reader: AsyncIterable<A.RecordBatch>): Promise<A.RecordBatch[]> {
  const out: A.RecordBatch[] = [];
  for await (const b of reader) out.push(b);
  return out;
}

function codeOf(e: unknown): number | undefined {
  return (e as { code?: number }).code;
}

/** A bare gRPC Flight client (no Flight SQL helpers) plus Basic credentials for every call. */
function rawClient(port: number): { raw: Record<string, (...a: unknown[]) => unknown>; md: grpc.Metadata } {
  const Raw = grpc.makeGenericClientConstructor(FLIGHT_SERVICE, 'FlightService');
  const raw = new Raw(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  const md = new grpc.Metadata();
  md.set('authorization', `Basic ${Buffer.from(`${USER.user}:${USER.password}`).toString('base64')}`);
  return { raw, md };
}

describe('skein serve (in-process) through a Flight SQL client', () => {
  let server: RunningServer;
  let client: FlightSqlClient;

  beforeAll(async () => {
    const config = loadConfig({
      env: {},
      overrides: { port: 0, users: [{ username: USER.user, password: USER.password }], demo: true },
    });
    server = await startServer(config);
    client = new FlightSqlClient({ host: '127.0.0.1', port: server.port, ...USER });
    await client.authenticate();
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('answers a query with the demo data', async () => {
    const reader = await client.query('SELECT count(*) AS n, sum(region_id) AS s FROM demo.regions');
    const [batch] = await readAll(reader);
    expect(batch.getChild('n')?.get(0)).toBe(4n);
    expect(Number(batch.getChild('s')?.get(0))).toBe(10);
  });

  it('runs updates through DoPut and reports row counts', async () => {
    expect(await client.update('CREATE OR REPLACE TABLE t_upd(a INTEGER)')).toBe(0);
    expect(await client.update('INSERT INTO t_upd SELECT * FROM range(5)')).toBe(5);
    expect(await client.update('UPDATE t_upd SET a = a + 1 WHERE a < 2')).toBe(2);
    const [batch] = await readAll(await client.query('SELECT sum(a) s FROM t_upd'));
    expect(Number(batch.getChild('s')?.get(0))).toBe(12);
  });

  it('streams a large result in bounded batches', async () => {
    const batches = await readAll(await client.query('SELECT i, i * 2 AS j FROM range(1000000) t(i)'));
    expect(batches.reduce((s, b) => s + b.numRows, 0)).toBe(1_000_000);
    expect(batches.length).toBeGreaterThan(10);
    for (const b of batches) expect(b.numRows * 16).toBeLessThanOrEqual(4 << 20);
  });

  it('maps errors to gRPC codes with DuckDB messages', async () => {
    await expect(client.query('SELEC 1')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('Parser Error'),
    });
    await expect(client.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(client.update('CREATE TABLE t_upd(a INTEGER)')).rejects.toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
    });
    const [batch] = await readAll(await client.query('SELECT 42 AS x'));
    expect(batch.getChild('x')?.get(0)).toBe(42);
  });

  it('refuses bad credentials and missing tokens', async () => {
    const bad = new FlightSqlClient({ host: '127.0.0.1', port: server.port, user: USER.user, password: 'wrong' });
    await expect(bad.authenticate()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await expect(bad.query('SELECT 1')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    bad.close();
  });

  it('answers UNIMPLEMENTED for commands and actions it does not support', async () => {
    const { raw, md } = rawClient(server.port);
    const cmd = packAny('CommandGetNoSuchThing', Buffer.alloc(0));
    const err = await new Promise<unknown>((resolve) =>
      raw.GetFlightInfo({ type: 2, cmd, path: [] }, md, (e: unknown) => resolve(e)),
    );
    expect(codeOf(err)).toBe(grpc.status.UNIMPLEMENTED);
    const pathErr = await new Promise<unknown>((resolve) =>
      raw.GetFlightInfo({ type: 1, cmd: Buffer.alloc(0), path: ['x'] }, md, (e: unknown) => resolve(e)),
    );
    expect(codeOf(pathErr)).toBe(grpc.status.UNIMPLEMENTED);
    (raw as unknown as grpc.Client).close();
  });

  it('survives a thousand malformed messages and still answers', async () => {
    const { raw, md } = rawClient(server.port);
    const codes = new Set<number | undefined>();
    for (let i = 0; i < 1000; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 64) }, (_, k) => (i * 31 + k * 17) & 0xff));
      const kind = i % 4;
      const e = await new Promise<unknown>((resolve) => {
        if (kind === 0) raw.GetFlightInfo({ type: 2, cmd: junk, path: [] }, md, (err: unknown) => resolve(err));
        else if (kind === 1) {
          const call = raw.DoGet({ ticket: junk }, md) as grpc.ClientReadableStream<unknown>;
          call.on('data', () => undefined);
          call.on('error', resolve);
          call.on('end', () => resolve(null));
        } else if (kind === 2) {
          const call = raw.DoAction({ type: 'CreatePreparedStatement', body: junk }, md) as grpc.ClientReadableStream<unknown>;
          call.on('data', () => undefined);
          call.on('error', resolve);
          call.on('end', () => resolve(null));
        } else {
          const call = raw.DoPut(md) as grpc.ClientDuplexStream<Buffer, unknown>;
          call.on('data', () => undefined);
          call.on('error', resolve);
          call.on('end', () => resolve(null));
          const descriptor = codecs.FlightDescriptor.encode({
            type: 2,
            cmd: packAny('CommandPreparedStatementQuery', sql.CommandPreparedStatementQuery.encode({ prepared_statement_handle: junk })),
            path: [],
          });
          call.write(encodeFlightData({ descriptor, header: junk, body: [{ offset: 0, data: junk }] }));
          call.end();
        }
      });
      codes.add(codeOf(e));
    }
    expect(codes.has(grpc.status.INTERNAL)).toBe(false);
    expect(codes.has(undefined)).toBe(false);
    (raw as unknown as grpc.Client).close();
    const [batch] = await readAll(await client.query('SELECT 42 AS x'));
    expect(batch.getChild('x')?.get(0)).toBe(42);
  });

  it('stops a query when the client deadline passes, and keeps serving', async () => {
    const started = Date.now();
    await expect(
      client
        .query('SELECT count(*) FROM range(100000000) a, range(100000) b', { deadline: Date.now() + 500 })
        .then((r) => readAll(r)),
    ).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(Date.now() - started).toBeLessThan(5000);
    const t0 = Date.now();
    const [batch] = await readAll(await client.query('SELECT 1 AS one'));
    expect(batch.getChild('one')?.get(0)).toBe(1);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('runs a slow query without blocking quick ones', async () => {
    const slowClient = new FlightSqlClient({ host: '127.0.0.1', port: server.port, ...USER });
    await slowClient.authenticate();
    const slow = slowClient
      .query('SELECT count(*) FROM range(3000000000) t(i) WHERE i % 7 = 3', { deadline: Date.now() + 30000 })
      .then((r) => readAll(r))
      .then(
        () => Date.now(),
        () => Date.now(),
      );
    await new Promise((r) => setTimeout(r, 200));
    const quickDone: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [b] = await readAll(await client.query(`SELECT ${i} AS v`));
      expect(b.getChild('v')?.get(0)).toBe(i);
      quickDone.push(Date.now());
    }
    const slowDone = await slow;
    expect(Math.max(...quickDone)).toBeLessThan(slowDone);
    slowClient.close();
  });
});
