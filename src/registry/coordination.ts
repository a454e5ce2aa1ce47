// The coordinator's side of the registry, started by `skein serve`: the registry itself (Redis or
// memory), the background query log writer, and, with `executors.discover`, executor discovery.
import { Config } from '../config';
import { ExecutorPool } from '../executors/pool';
import { log } from '../log';
import { ExecutorDiscovery } from './discovery';
import { openRegistry } from './open';
import { QueryLogWriter } from './query-log-writer';
import { Registry } from './registry';
import { redactUrl } from './redact-url';

export interface Coordination {
  registry: Registry;
  queryLog: QueryLogWriter;
  discovery: ExecutorDiscovery | null;
  /** Stops discovery (call before closing the pool). */
  stopDiscovery(): Promise<void>;
  /** Stops discovery, writes the queued log entries (briefly) and closes the registry. */
  close(): Promise<void>;
}

export async function startCoordination(config: Config, pool: ExecutorPool | null): Promise<Coordination> {
  const rc = config.registry;
  const registry = await openRegistry(rc);
  const queryLog = new QueryLogWriter(registry);
  let discovery: ExecutorDiscovery | null = null;
  try {
    if (pool && config.executors.discover) {
      discovery = await ExecutorDiscovery.start(pool, registry, {
        intervalMs: rc.heartbeatSeconds * 1000,
        ttlMs: rc.ttlSeconds * 1000,
        // the pool's own timeout stops a fragment first; the gRPC deadline is a backstop
        fragmentTimeoutMs: config.executors.fragmentTimeoutSeconds * 1000 + 5000,
      });
    }
  } catch (e) {
    await registry.close();
    throw e;
  }
  log.info(
    { registry: registry.kind, redis: rc.redisUrl ? redactUrl(rc.redisUrl) : undefined, discovered: discovery?.discovered },
    'registry ready',
  );
  const stopDiscovery = async (): Promise<void> => {
    await discovery?.stop();
  };
  return {
    registry,
    queryLog,
    discovery,
    stopDiscovery,
    close: async () => {
      await stopDiscovery();
      await queryLog.close(rc.commandTimeoutMs);
      await registry.close();
    },
  };
}
