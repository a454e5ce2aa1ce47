// The `registry` section of the configuration: documented defaults, SKEIN_REDIS_URL and friends,
// and clear messages for settings that cannot work.
import { loadConfig } from '../../../src/config';
import { registryConfigOf } from '../../../src/registry/open';
import { MemoryRegistry } from '../../../src/registry/memory-registry';
import { openRegistry } from '../../../src/registry/open';

describe('registry configuration', () => {
  it('defaults to the in-memory registry', async () => {
    const c = loadConfig({ env: {} });
    expect(c.registry).toEqual({
      keyPrefix: 'skein:',
      heartbeatSeconds: 5,
      ttlSeconds: 15,
      commandTimeoutMs: 2000,
      queryLogRetentionDays: 7,
      queryLogMaxEntries: 100_000,
    });
    expect(c.executors.discover).toBe(false);
    const r = await openRegistry(c.registry);
    expect(r).toBeInstanceOf(MemoryRegistry);
    await r.close();
  });

  it('reads SKEIN_REDIS_URL, SKEIN_REDIS_PREFIX and SKEIN_DISCOVER_EXECUTORS', () => {
    const c = loadConfig({
      env: { SKEIN_REDIS_URL: 'redis://r:6379/2', SKEIN_REDIS_PREFIX: 'prod:', SKEIN_DISCOVER_EXECUTORS: 'true', SKEIN_EXECUTOR_SECRET: 's'.repeat(20) },
    });
    expect(c.registry).toMatchObject({ redisUrl: 'redis://r:6379/2', keyPrefix: 'prod:' });
    expect(c.executors.discover).toBe(true);
  });

  it('refuses settings that cannot work, naming the option', () => {
    expect(() => loadConfig({ env: {}, overrides: { executors: { discover: true } } })).toThrow(
      /executors\.discover: discovering executors needs registry\.redisUrl[\s\S]*executors\.secret/,
    );
    expect(() => loadConfig({ env: { SKEIN_REDIS_URL: 'localhost:6379' } })).toThrow(/registry\.redisUrl: a Redis URL/);
    expect(() => loadConfig({ env: {}, overrides: { registry: { heartbeatSeconds: 10, ttlSeconds: 5 } } })).toThrow(/ttlSeconds must be longer/);
    expect(() => registryConfigOf({ redisUrl: 'redis://x:1', ttlSeconds: 1, heartbeatSeconds: 2 })).toThrow(/registry\.\(root\)|ttlSeconds must be longer/);
  });
});
