// `skein serve`: opens DuckDB, optionally creates the demo data, and runs the Flight SQL server
// until SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { CatalogViews } from '../catalog/register';
import { openCatalog } from '../catalog/open';
import { Config, UserConfig } from '../config';
import { createDemoData } from '../demo';
import { Database } from '../duckdb/database';
import { ExecutorPool } from '../executors/pool';
import { startExecutorPool } from '../executors/start';
import { Coordination, startCoordination } from '../registry/coordination';
import { sandboxPolicy } from '../duckdb/sandbox';
import { Authenticator } from '../flight/auth';
import { LoginLimiter } from '../flight/login-limiter';
import { UserLimits } from '../flight/connections';
import { PollRegistry } from '../flight/poll';
import { PreparedStatements } from '../flight/prepared-registry';
import { ResultRegistry } from '../flight/results';
import { FlightSqlServer } from '../flight/server';
import { Sessions } from '../flight/sessions';
import { TransactionRegistry } from '../flight/transaction-registry';
import { requiresClientCert } from '../flight/tls';
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

/** The `tls` override from `skein serve --tls-*` flags (merged into the file/env `tls` object). */
export function tlsFlags(o: { tlsCert?: string; tlsKey?: string; tlsClientCa?: string }): Record<string, string> | undefined {
  const tls: Record<string, string> = {};
  if (o.tlsCert) tls.certFile = o.tlsCert;
  if (o.tlsKey) tls.keyFile = o.tlsKey;
  if (o.tlsClientCa) tls.clientCaFile = o.tlsClientCa;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

export interface RunningServer {
  port: number;
  executors?: ExecutorPool | null;
  /** The registry, query log writer and executor discovery. */
  coordination?: Coordination;
  close(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const catalog = await openCatalog(config.catalog, config.store);
  // lake table files are readable in the sandbox: their roots join the allowed directories
  const allowed = [...config.sandbox.allowedDirectories, ...(catalog?.roots ?? [])];
  const db = await Database.open({
    path: config.database,
    threads: config.duckdb.threads,
    memoryLimit: config.duckdb.memoryLimit,
    streamingBufferSize: config.duckdb.streamingBufferSize,
    sandbox: config.sandbox.enabled
      ? sandboxPolicy(allowed.map((d) => resolve(d)), config.sessionSettings)
      : null,
  }).catch(async (e: unknown) => {
    await catalog?.close();
    throw e;
  });
  if (config.demo) await createDemoData(db);
  let executors: ExecutorPool | null;
  let coordination: Coordination;
  try {
    executors = await startExecutorPool(config, catalog?.roots ?? []);
  } catch (e) {
    await Promise.all([db.close(), catalog?.close()]);
    throw e;
  }
  try {
    coordination = await startCoordination(config, executors);
  } catch (e) {
    await Promise.all([db.close(), executors?.close(), catalog?.close()]);
    throw e;
  }
  const views = catalog ? await CatalogViews.start(db, catalog, config.catalog.refreshSeconds) : null;
  const closeCatalog = async (): Promise<void> => {
    views?.close();
    await catalog?.close();
  };
  const { users, announce } = defaultUsers(config);
  const server = new FlightSqlServer({
    config,
    db,
    auth: new Authenticator(
      users,
      config.tokenSecret,
      config.tokenTtlSeconds,
      new LoginLimiter({ maxFailures: config.loginMaxFailures, windowSeconds: config.loginWindowSeconds }),
    ),
    results: new ResultRegistry(config.resultTtlSeconds * 1000),
    prepared: new PreparedStatements(3600 * 1000),
    sessions: new Sessions(config.sessionIdleSeconds * 1000),
    transactions: new TransactionRegistry(db, config.transactionIdleSeconds * 1000, config.sessionIdleSeconds * 1000),
    limits: new UserLimits(config.maxStatementsPerUser),
    polls: new PollRegistry(config.resultTtlSeconds * 1000),
    executors,
    catalog,
    queryLog: coordination.queryLog,
    version: SKEIN_VERSION,
  });
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (e) {
    await coordination.stopDiscovery();
    await Promise.all([db.close(), executors?.close(), closeCatalog(), coordination.close()]);
    throw e;
  }
  if (announce) process.stdout.write(`${announce}\n`);
  log.info(
    { host: config.host, port, tls: config.tls !== undefined, database: config.database, duckdb: db.version },
    'serving',
  );
  return {
    port,
    executors,
    coordination,
    close: async () => {
      // stop running queries first so in-flight calls end (with CANCELLED) and shutdown is prompt
      const pool = coordination.stopDiscovery().then(() => executors?.close());
      await Promise.all([server.close(), db.close(), pool, closeCatalog()]);
      await coordination.close(); // after the server: the last statements' log entries are queued
    },
  };
}

export async function serveCommand(config: Config): Promise<void> {
  const running = await startServer(config);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  if (!config.tls) {
    process.stdout.write(`Skein Flight SQL server listening on grpc://${host}:${running.port}\n`);
    process.stdout.write(
      `Try: skein query --port ${running.port} "SELECT 42"  (Python: adbc_driver_flightsql.dbapi.connect("grpc://${host}:${running.port}", ...))\n`,
    );
  } else {
    const uri = `grpc+tls://${host}:${running.port}`;
    const mtls = requiresClientCert(config.tls) ? ' --tls-cert <client cert> --tls-key <client key>' : '';
    process.stdout.write(`Skein Flight SQL server listening on ${uri}${mtls ? ' (mutual TLS)' : ''}\n`);
    process.stdout.write(`Try: skein query --uri ${uri} --tls-ca <CA file>${mtls} "SELECT 42"\n`);
  }
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
