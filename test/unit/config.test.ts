import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

describe('config', () => {
  it('has safe defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(31337);
    expect(c.database).toBe(':memory:');
    expect(c.users).toEqual([]);
    expect(c.maxMessageBytes).toBe(4 << 20);
    expect(c.duckdb.streamingBufferSize).toBe('64MB');
  });

  it('reads SKEIN_* variables, and CLI overrides beat them', () => {
    const c = loadConfig({
      env: { SKEIN_PORT: '4000', SKEIN_HOST: '0.0.0.0', SKEIN_USERS: 'alice:pw,bob:x:y', SKEIN_THREADS: '2' },
      overrides: { port: 5000 },
    });
    expect(c.port).toBe(5000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.users).toEqual([
      { username: 'alice', password: 'pw' },
      { username: 'bob', password: 'x:y' },
    ]);
    expect(c.duckdb.threads).toBe(2);
  });

  it('names the bad option in its message', () => {
    expect(() => loadConfig({ env: { SKEIN_PORT: 'abc' } })).toThrow(/SKEIN_PORT must be an integer/);
    expect(() => loadConfig({ env: { SKEIN_PORT: '70000' } })).toThrow(/port/);
    expect(() => loadConfig({ env: { SKEIN_USERS: 'nopassword' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: {}, overrides: { batchBytes: 12 } })).toThrow(/batchBytes/);
  });

  it('rejects an unreadable or invalid config file clearly', () => {
    expect(() => loadConfig({ env: {}, file: '/nonexistent/skein.json' })).toThrow(/cannot read config file/);
  });
});
