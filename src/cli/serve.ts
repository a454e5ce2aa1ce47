// `skein serve`: opens DuckDB, optionally creates the demo data, and runs the Flight SQL server
// until SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { Config, UserConfig } from '../config';
import { createDemoData } from '../demo';
import { Database } from '../duckdb/database';
import { Authenticator } from '../flight/auth';
import { PreparedStatements } from '../flight/prepared-registry';
import { ResultRegistry } from '../flight/results';
import { FlightSqlServer } from '../flight/server';
import { log } from '../log';
import { SKEIN_VERSION } from '../version';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** With no users configured: skein/skein on loopback, a random password anywhere else. */
export function defaultUsers(config: Config): { users: UserConfig[]; announce: string | null } {
  if (config.users.length > 0) return { users: config.users, announce: null };
  const password = LOOPBACK.has(config.host) ? 'skein' : randomBytes(12).toString('base64url');
  return {
    users: [{ username: 'skein', password }],
    announce: `no users configured: log in as user "skein" with password "${password}"`,
  };
}

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const db = await Database.open({
    path: config.database,
    threads: config.duckdb.threads,
    memoryLimit: config.duckdb.memoryLimit,
    streamingBufferSize: config.duckdb.streamingBufferSize,
  });
  if (config.demo) await createDemoData(db);
  const { users, announce } = defaultUsers(config);
  const server = new FlightSqlServer({
    config,
    db,
    auth: new Authenticator(users, config.tokenSecret, config.tokenTtlSeconds),
    results: new ResultRegistry(config.resultTtlSeconds * 1000),
    prepared: new PreparedStatements(3600 * 1000),
    version: SKEIN_VERSION,
  });
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (e) {
    await db.close();
    throw e;
  }
  if (announce) process.stdout.write(`${announce}\n`);
  log.info({ host: config.host, port, database: config.database, duckdb: db.version }, 'serving');
  return {
    port,
    close: async () => {
      // stop running queries first so in-flight calls end (with CANCELLED) and shutdown is prompt
      await Promise.all([server.close(), db.close()]);
    },
  };
}

export async function serveCommand(config: Config): Promise<void> {
  const running = await startServer(config);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`Skein Flight SQL server listening on grpc://${host}:${running.port}\n`);
  process.stdout.write(
    `Try: skein query --port ${running.port} "SELECT 42"  (Python: adbc_driver_flightsql.dbapi.connect("grpc://${host}:${running.port}", ...))\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 10_000).unref();
    running.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
