// `skein executor`: runs one executor (an Arrow Flight server for signed fragments) until
// SIGINT/SIGTERM, or until its parent goes away when started with --exit-with-stdin.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError as CliArgError } from 'commander';
import { ConfigError } from '../errors';
import { EXECUTOR_SECRET_ENV, ExecutorServer, READY_LINE } from '../executors/flight-executor-server';
import { log } from '../log';
import { ExecutorHeartbeat } from '../registry/heartbeat';
import { openRegistry, registryConfigOf } from '../registry/open';
import { redactUrl } from '../registry/redact-url';
import { REDIS_URL_ENV } from '../registry/registry';
import { SKEIN_VERSION } from '../version';
import { openExecutorCache, storeConfigFromEnv } from '../store/executor-cache';

export interface ExecutorFlags {
  host: string;
  port: number;
  threads: number;
  id?: string;
  secretFile?: string;
  allowedDir: string[];
  sandbox: boolean;
  memoryLimit?: string;
  exitWithStdin?: boolean;
  /** Registry: register here with heartbeats (else env SKEIN_REDIS_URL; neither: no registration). */
  redis?: string;
  redisPrefix?: string;
  heartbeatSeconds?: number;
  ttlSeconds?: number;
  /** The address coordinators should use (default grpc://<host>:<port>). */
  advertise?: string;
  slots?: number;
}

/** Registers the executor in the registry (Redis) with heartbeats; null when none is configured. */
async function register(server: ExecutorServer, flags: ExecutorFlags, port: number, env: NodeJS.ProcessEnv): Promise<(() => Promise<void>) | null> {
  const redisUrl = flags.redis ?? env[REDIS_URL_ENV];
  if (!redisUrl) return null;
  const rc = registryConfigOf({
    redisUrl,
    keyPrefix: flags.redisPrefix,
    heartbeatSeconds: flags.heartbeatSeconds,
    ttlSeconds: flags.ttlSeconds,
  });
  const wildcard = ['0.0.0.0', '::', '[::]'].includes(flags.host);
  const host = wildcard ? hostname() : flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  const address = flags.advertise ?? `grpc://${host}:${port}`;
  const registry = await openRegistry(rc);
  const startedAt = Date.now();
  const heartbeat = new ExecutorHeartbeat(
    registry,
    () => ({
      id: server.id,
      address,
      running: server.status().running,
      slots: flags.slots ?? 2,
      files: server.recentFiles.digests(),
      version: SKEIN_VERSION,
      startedAt,
    }),
    { intervalMs: rc.heartbeatSeconds * 1000, ttlMs: rc.ttlSeconds * 1000 },
  );
  await heartbeat.start();
  log.info({ executor: server.id, address, redis: redactUrl(redisUrl) }, 'executor registered');
  return async () => {
    await heartbeat.stop();
    await registry.close();
  };
}

function secretOf(flags: ExecutorFlags, env: NodeJS.ProcessEnv): string {
  let secret: string | undefined;
  if (flags.secretFile) {
    try {
      secret = readFileSync(flags.secretFile, 'utf8').trim();
    } catch (e) {
      throw new ConfigError(`cannot read --secret-file ${flags.secretFile}: ${(e as Error).message}`);
    }
  } else {
    secret = env[EXECUTOR_SECRET_ENV];
  }
  if (!secret) {
    throw new ConfigError(`an executor needs the coordinator's secret: --secret-file <file> or ${EXECUTOR_SECRET_ENV}`);
  }
  if (secret.length < 16) throw new ConfigError('the executor secret must be at least 16 characters');
  return secret;
}

export async function executorCommand(flags: ExecutorFlags, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secret = secretOf(flags, env);
  // object-store files are read through this executor's own partition cache
  const cache = await openExecutorCache(storeConfigFromEnv(env), flags.id ?? `executor-${process.pid}`);
  let server: ExecutorServer;
  try {
    server = await ExecutorServer.open({
      id: flags.id,
      secret,
      threads: flags.threads,
      memoryLimit: flags.memoryLimit,
      allowedDirectories: flags.sandbox ? flags.allowedDir.map((d) => resolve(d)) : null,
      cache: cache.cache,
    });
  } catch (e) {
    await cache.close();
    throw e;
  }
  let port: number;
  try {
    port = await server.listen(flags.host, flags.port);
  } catch (e) {
    await server.close();
    await cache.close();
    throw e;
  }
  let deregister: (() => Promise<void>) | null;
  try {
    deregister = await register(server, flags, port, env);
  } catch (e) {
    await server.close();
    await cache.close();
    throw e;
  }
  const host = flags.host.includes(':') ? `[${flags.host}]` : flags.host;
  process.stdout.write(`${READY_LINE}grpc://${host}:${port}\n`);
  log.info({ executor: server.id, host: flags.host, port, threads: flags.threads, sandbox: flags.sandbox }, 'executor ready');

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ executor: server.id, why }, 'executor stopping');
    setTimeout(() => process.exit(1), 5000).unref();
    // leave the registry first, so coordinators stop sending fragments here
    (deregister ?? (async () => undefined))().then(() => server.close()).then(() => cache.close()).then(
      () => process.exit(0),
      (e: unknown) => {
        log.error({ err: e }, 'executor shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (flags.exitWithStdin) {
    // the parent holds our stdin open; when it dies (even by SIGKILL) the pipe closes
    process.stdin.on('end', () => stop('parent gone'));
    process.stdin.on('close', () => stop('parent gone'));
    process.stdin.resume();
  }
}

function seconds(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0)) throw new CliArgError(`${name} must be a positive number of seconds`);
    return n;
  };
}

function int(name: string, min: number, max = 1 << 30) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new CliArgError(`${name} must be an integer from ${min} to ${max}`);
    }
    return Number(v);
  };
}

export function addExecutorCommand(program: Command): void {
  program
    .command('executor')
    .description(
      'run an executor: an Arrow Flight server that runs fragments signed by a coordinator. It checks only ' +
        'the fragment signature, so keep it on a private network that only coordinators reach',
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on, 0 for any free port', int('--port', 0, 65535), 31338)
    .option('--threads <n>', 'DuckDB threads', int('--threads', 1), 1)
    .option('--id <id>', 'executor id (default: random)')
    .option('--secret-file <file>', `file holding the coordinator's signing secret (else env ${EXECUTOR_SECRET_ENV})`)
    .option('--allowed-dir <dir>', 'directory DuckDB may read (repeat for several)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--no-sandbox', 'let DuckDB read any file and load extensions')
    .option('--memory-limit <size>', "DuckDB memory_limit (e.g. '2GB'); beyond it DuckDB spills")
    .option('--exit-with-stdin', 'exit when stdin closes (used by a coordinator that starts local executors)')
    .option('--redis <url>', `register in this Redis with heartbeats, for coordinators to discover (env ${REDIS_URL_ENV})`)
    .option('--redis-prefix <prefix>', 'prefix of the registry keys (default "skein:"; env SKEIN_REDIS_PREFIX)', process.env.SKEIN_REDIS_PREFIX)
    .option('--heartbeat-seconds <s>', 'seconds between heartbeats (default 5)', seconds('--heartbeat-seconds'))
    .option('--ttl-seconds <s>', 'the registration expires this long after the last heartbeat (default 15)', seconds('--ttl-seconds'))
    .option('--advertise <address>', 'address coordinators reach this executor at (default grpc://<host>:<port>)')
    .option('--slots <n>', 'fragments this executor takes at once, advertised to coordinators', int('--slots', 1), 2)
    .action((o: ExecutorFlags) => executorCommand(o));
}
