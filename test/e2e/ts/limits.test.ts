// The statement timeout (statementTimeoutSeconds → DEADLINE_EXCEEDED) and the per-user limit on
// statements in flight (maxStatementsPerUser → RESOURCE_EXHAUSTED), on an in-process server driven
// over real gRPC by Skein's TypeScript Flight SQL client.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { FlightSqlClient } from '../../../src/flight/client';

const ALICE = { user: 'alice', password: 'pw-alice' };
const BOB = { user: 'bob', password: 'pw-bob' };

async function readAll(reader: AsyncIterable<A.RecordBatch>): Promise<A.RecordBatch[]> {
  const out: A.RecordBatch[] = [];
  for await (const b of reader) out.push(b);
  return out;
}

async function scalar(client: FlightSqlClient, sql: string): Promise<unknown> {
  const [batch] = await readAll(await client.query(sql));
  return batch.getChildAt(0)?.get(0);
}

async function serve(overrides: Record<string, unknown>): Promise<RunningServer> {
  const users = [ALICE, BOB].map((u) => ({ username: u.user, password: u.password }));
  return startServer(loadConfig({ env: {}, overrides: { port: 0, users, ...overrides } }));
}

async function login(server: RunningServer, who: { user: string; password: string }): Promise<FlightSqlClient> {
  const client = new FlightSqlClient({ host: '127.0.0.1', port: server.port, ...who });
  await client.authenticate();
  return client;
}

/** A query that runs for minutes: an aggregate over a cross join DuckDB cannot short-cut. */
const SLOW_AGGREGATE = 'SELECT count(*), sum((a.range * 31 + b.range) % 7) FROM range(1000000) a CROSS JOIN range(1000000) b';

describe('statementTimeoutSeconds', () => {
  let server: RunningServer;
  let client: FlightSqlClient;

  beforeAll(async () => {
    server = await serve({ statementTimeoutSeconds: 1 });
    client = await login(server, ALICE);
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('stops a slow query with DEADLINE_EXCEEDED naming the timeout, and keeps serving', async () => {
    const started = Date.now();
    const failure = await client.query(SLOW_AGGREGATE).then(
      (r) => readAll(r).then(() => null),
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
      details: expect.stringMatching(/statement timeout.*1 s.*statementTimeoutSeconds/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(await scalar(client, 'SELECT 42 AS answer')).toBe(42);
  });

  it('stops an update too', async () => {
    await expect(client.update(`CREATE TABLE never_made AS ${SLOW_AGGREGATE}`)).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
      details: expect.stringContaining('statementTimeoutSeconds'),
    });
    await expect(client.query('SELECT * FROM never_made')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('stops a result nobody reads in time', async () => {
    const info = await client.getFlightInfo('SELECT i, i * 2 AS j FROM range(10000000000) t(i)');
    await new Promise((r) => setTimeout(r, 1800));
    const ticket = info.endpoint[0]?.ticket?.ticket;
    expect(ticket).toBeDefined();
    const failure = await client.doGet(ticket as Uint8Array).then(
      (r) => readAll(r).then(() => null),
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(await scalar(client, 'SELECT 7 AS seven')).toBe(7);
  });

  it('stops a result that is being read when the time is up, and says so', async () => {
    let rows = 0;
    const started = Date.now();
    let failure: unknown = null;
    try {
      for await (const b of await client.query('SELECT i FROM range(10000000000) t(i)')) rows += b.numRows;
    } catch (e) {
      failure = e;
    }
    // DuckDB ends an interrupted stream like a finished one: the client must not take it as complete
    expect(failure).toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    expect(rows).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('lets quick statements finish', async () => {
    const batches = await readAll(await client.query('SELECT i FROM range(2000000) t(i)'));
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(2_000_000);
  });
});

describe('maxStatementsPerUser', () => {
  let server: RunningServer;
  let alice: FlightSqlClient;
  let bob: FlightSqlClient;

  beforeAll(async () => {
    server = await serve({ maxStatementsPerUser: 2 });
    alice = await login(server, ALICE);
    bob = await login(server, BOB);
    await alice.update('CREATE TABLE limits_t (a BIGINT)');
  });

  afterAll(async () => {
    alice.close();
    bob.close();
    await server.close();
  });

  it('refuses a third statement while two results wait to be fetched, per user', async () => {
    const first = await alice.getFlightInfo('SELECT i FROM range(1000) t(i)');
    const second = await alice.getFlightInfo("SELECT 'second' AS s");

    const exhausted = { code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/alice.*limit 2/) };
    await expect(alice.getFlightInfo('SELECT 3')).rejects.toMatchObject(exhausted);
    await expect(alice.update('CREATE TABLE limits_never (a INTEGER)')).rejects.toMatchObject(exhausted);

    // another user is not affected
    expect(await scalar(bob, 'SELECT 99 AS b')).toBe(99);

    // fetching one result frees its slot
    const rows = await readAll(await alice.doGet(first.endpoint[0]?.ticket?.ticket as Uint8Array));
    expect(rows.reduce((n, b) => n + b.numRows, 0)).toBe(1000);
    expect(await scalar(alice, 'SELECT 3 AS three')).toBe(3);
    expect(await alice.update('INSERT INTO limits_t SELECT * FROM range(3)')).toBe(3);

    const [s] = await readAll(await alice.doGet(second.endpoint[0]?.ticket?.ticket as Uint8Array));
    expect(s.getChild('s')?.get(0)).toBe('second');
  });

  it('frees the slot of a failed statement', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(alice.query('SELECT * FROM limits_no_such_table')).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
    }
    expect(await scalar(alice, 'SELECT 5 AS five')).toBe(5);
  });
});
