// The partition cache an executor process owns: its directory (config.store.cache.directory/<name>,
// kept across restarts, or a temp directory removed on close), the stores it downloads through, and
// how a coordinator hands the store config to its `skein executor` children (by environment, since it
// may hold credentials).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { PartitionCache } from './partition-cache';
import { STORE_DEFAULTS, StoreConfig, storeEnvKeys, storeSchema } from './store-config';
import { openStores } from './stores';

/** Environment variable carrying the coordinator's store config (JSON) to executor children. */
export const STORE_CONFIG_ENV = 'SKEIN_STORE_CONFIG';

export interface ExecutorCache {
  cache: PartitionCache;
  close(): Promise<void>;
}

export async function openExecutorCache(config: StoreConfig, name: string): Promise<ExecutorCache> {
  const configured = config.cache.directory;
  const directory = configured ? join(resolve(configured), name) : mkdtempSync(join(tmpdir(), `skein-cache-${name}-`));
  const stores = openStores(config);
  try {
    const cache = await PartitionCache.open({ directory, maxBytes: config.cache.maxBytes, stores });
    return {
      cache,
      close: async () => {
        await cache.close();
        await stores.close();
        if (!configured) rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await stores.close();
    throw e;
  }
}

/** The store config of an executor: the coordinator's (SKEIN_STORE_CONFIG), else SKEIN_S3_* / SKEIN_CACHE_*. */
export function storeConfigFromEnv(env: NodeJS.ProcessEnv): StoreConfig {
  let raw: Record<string, unknown> = {};
  if (env[STORE_CONFIG_ENV]) {
    try {
      raw = JSON.parse(env[STORE_CONFIG_ENV]!) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`${STORE_CONFIG_ENV} is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    const into: Record<string, unknown> = {};
    const keys = storeEnvKeys(
      (n, v) => {
        if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${n} must be an integer, got "${v}"`);
        return Number(v);
      },
      (n, v) => {
        if (/^(1|true|yes|on)$/i.test(v)) return true;
        if (/^(0|false|no|off)$/i.test(v)) return false;
        throw new ConfigError(`${n} must be true or false, got "${v}"`);
      },
    );
    for (const [k, apply] of Object.entries(keys)) if (env[k]) apply(env[k]!, into);
    raw = (into.store as Record<string, unknown>) ?? {};
  }
  const parsed = storeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`invalid store config for the executor: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data ?? STORE_DEFAULTS;
}
