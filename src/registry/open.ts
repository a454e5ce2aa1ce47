// Opens the registry the configuration asks for: Redis when a URL is set, else in-process memory.
import { RegistryConfig, registrySchema } from '../config';
import { ConfigError } from '../errors';
import { MemoryRegistry } from './memory-registry';
import { Registry } from './registry';

const DAY_MS = 24 * 3600 * 1000;

/** The Redis registry and ioredis, loaded only when a Redis URL is configured. */
const redisModule = (): typeof import('./redis-registry') => require('./redis-registry');

/** `requireConnection`: fail now when Redis is unreachable (CLI tools); servers keep retrying instead. */
export async function openRegistry(c: RegistryConfig, opts: { requireConnection?: boolean } = {}): Promise<Registry> {
  const retentionMs = c.queryLogRetentionDays * DAY_MS;
  if (!c.redisUrl) return new MemoryRegistry({ retentionMs, maxEntries: c.queryLogMaxEntries });
  return redisModule().RedisRegistry.open({
    url: c.redisUrl,
    keyPrefix: c.keyPrefix,
    commandTimeoutMs: c.commandTimeoutMs,
    retentionMs,
    maxEntries: c.queryLogMaxEntries,
    requireConnection: opts.requireConnection,
  });
}

/** Registry settings from command-line flags (over the defaults), validated like the config file. */
export function registryConfigOf(input: Partial<Record<keyof RegistryConfig, unknown>>): RegistryConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const parsed = registrySchema.safeParse(defined);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  registry.${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid registry settings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
