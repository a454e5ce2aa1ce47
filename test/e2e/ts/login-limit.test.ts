// Failed-login limiting and bearer-token expiry, through the in-process server over real gRPC.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { FlightSqlClient } from '../../../src/flight/client';

const WINDOW_SECONDS = 2;
const USERS = [
  { username: 'alice', password: 'alice-pw' },
  { username: 'bob', password: 'bob-pw' },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function firstValue(reader: AsyncIterable<A.RecordBatch>): Promise<unknown> {
  for await (const b of reader) if (b.numRows > 0) return b.getChildAt(0)?.get(0);
  return undefined;
}

describe('failed logins are limited per user name and per address', () => {
  let server: RunningServer;
  const opened: FlightSqlClient[] = [];

  const client = (user: string, password: string): FlightSqlClient => {
    const c = new FlightSqlClient({ host: '127.0.0.1', port: server.port, user, password });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startServer(
      loadConfig({
        env: {},
        overrides: { port: 0, users: USERS, loginMaxFailures: 3, loginWindowSeconds: WINDOW_SECONDS, tokenTtlSeconds: 1 },
      }),
    );
  });

  afterAll(async () => {
    for (const c of opened) c.close();
    await server.close();
  });

  it('refuses even the right password after too many failures, and accepts it after the window', async () => {
    for (let i = 0; i < 3; i++) {
      await expect(client('alice', `wrong-${i}`).authenticate()).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
        details: 'invalid username or password',
      });
    }
    const started = Date.now();
    await expect(client('alice', 'alice-pw').authenticate()).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/^too many failed logins .*; retry in [12] s$/),
    });
    // Basic credentials sent with a call (no Handshake) are limited the same way
    const perCall = client('alice', 'alice-pw');
    await expect(perCall.update('SELECT 1')).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    await sleep(WINDOW_SECONDS * 1000 - (Date.now() - started) + 200);
    const ok = client('alice', 'alice-pw');
    await ok.authenticate();
    expect(await firstValue(await ok.query('SELECT 41 + 1 AS v'))).toBe(42);
  });

  it('limits an address whatever the user names, then lets it in after the window', async () => {
    for (const user of ['nobody-1', 'nobody-2', 'nobody-3']) {
      await expect(client(user, 'x').authenticate()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    }
    await expect(client('bob', 'bob-pw').authenticate()).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringContaining('too many failed logins from this address'),
    });
    await sleep(WINDOW_SECONDS * 1000 + 200);
    await client('bob', 'bob-pw').authenticate();
  });

  it('expires bearer tokens after tokenTtlSeconds', async () => {
    const c = client('bob', 'bob-pw');
    await c.authenticate();
    expect(await firstValue(await c.query('SELECT 7 AS v'))).toBe(7);
    await sleep(2200);
    await expect(c.query('SELECT 7 AS v')).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringContaining('bearer token expired'),
    });
    await c.authenticate();
    expect(await firstValue(await c.query('SELECT 8 AS v'))).toBe(8);
  });
});
