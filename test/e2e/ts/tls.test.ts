// TLS and mutual TLS through the in-process server and Skein's TypeScript client, with throwaway
// certificates from test/e2e/tls/make-certs.sh; and the start-up errors for bad TLS files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { ClientTls, FlightSqlClient } from '../../../src/flight/client';
import { serverCredentials } from '../../../src/flight/tls';
import { ConfigError } from '../../../src/errors';

const USER = { user: 'tls-user', password: 'tls-pw' };
const dir = mkdtempSync(join(tmpdir(), 'skein-tls-jest-'));
const file = (name: string): string => join(dir, name);
const pem = (name: string): Buffer => readFileSync(file(name));

async function firstValue(reader: AsyncIterable<A.RecordBatch>): Promise<unknown> {
  for await (const b of reader) if (b.numRows > 0) return b.getChildAt(0)?.get(0);
  return undefined;
}

async function serve(tls: Record<string, unknown>): Promise<RunningServer> {
  return startServer(
    loadConfig({
      env: {},
      overrides: { port: 0, users: [{ username: USER.user, password: USER.password }], tls },
    }),
  );
}

describe('TLS', () => {
  let plain: RunningServer;
  let mutual: RunningServer;
  const opened: FlightSqlClient[] = [];

  const client = (port: number, tls?: ClientTls): FlightSqlClient => {
    const c = new FlightSqlClient({ host: '127.0.0.1', port, ...USER, tls });
    opened.push(c);
    return c;
  };
  const ask = async (c: FlightSqlClient): Promise<unknown> => {
    await c.authenticate();
    return firstValue(await c.query('SELECT 6 * 7 AS v'));
  };

  beforeAll(async () => {
    execFileSync('bash', [join(__dirname, '..', 'tls', 'make-certs.sh'), dir]);
    plain = await serve({ certFile: file('server.pem'), keyFile: file('server.key') });
    mutual = await serve({ certFile: file('server.pem'), keyFile: file('server.key'), clientCaFile: file('ca.pem') });
  });

  afterAll(async () => {
    for (const c of opened) c.close();
    await Promise.all([plain?.close(), mutual?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves grpc+tls to a client trusting the CA', async () => {
    expect(await ask(client(plain.port, { rootCerts: pem('ca.pem') }))).toBe(42);
  });

  it('is refused by a client that does not trust the CA, and by a plaintext client', async () => {
    await expect(ask(client(plain.port, {}))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(ask(client(plain.port))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('mutual TLS: accepts a client certificate from the client CA only', async () => {
    const withCert = { rootCerts: pem('ca.pem'), certChain: pem('client.pem'), privateKey: pem('client.key') };
    expect(await ask(client(mutual.port, withCert))).toBe(42);
    await expect(ask(client(mutual.port, { rootCerts: pem('ca.pem') }))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
    const rogue = { rootCerts: pem('ca.pem'), certChain: pem('rogue-client.pem'), privateKey: pem('rogue-client.key') };
    await expect(ask(client(mutual.port, rogue))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('stops start-up with a clear message for unreadable files, wrong keys and bad CA files', async () => {
    const tls = { certFile: file('server.pem'), keyFile: file('server.key') };
    expect(() => serverCredentials({ ...tls, certFile: file('missing.pem') })).toThrow(
      new RegExp(`^cannot read TLS certificate file ${file('missing.pem')}: ENOENT`),
    );
    expect(() => serverCredentials({ ...tls, keyFile: file('client.key') })).toThrow(
      `TLS key file ${file('client.key')} does not match the certificate in ${file('server.pem')}`,
    );
    expect(() => serverCredentials({ ...tls, certFile: file('server.key') })).toThrow(/holds no PEM certificate/);
    expect(() => serverCredentials({ ...tls, keyFile: file('server.pem') })).toThrow(/holds no usable private key/);
    expect(() => serverCredentials({ ...tls, clientCaFile: file('server.key') })).toThrow(
      /TLS client CA file .* holds no PEM certificate/,
    );
    expect(() => serverCredentials({ ...tls, requireClientCert: true })).toThrow(/needs tls.clientCaFile/);
    await expect(serve({ ...tls, keyFile: file('nope.key') })).rejects.toThrow(ConfigError);
  });
});
