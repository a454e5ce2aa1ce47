import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { tlsFlags } from '../../src/cli/serve';

describe('config: TLS and login limits', () => {
  it('is plaintext with login limits of 5 per 60 s by default', () => {
    const c = loadConfig({ env: {} });
    expect(c.tls).toBeUndefined();
    expect(c.loginMaxFailures).toBe(5);
    expect(c.loginWindowSeconds).toBe(60);
  });

  it('builds tls from the file, SKEIN_TLS_* and CLI flags, each adding to the one before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-config-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ tls: { certFile: 'file.pem', keyFile: 'file.key', requireClientCert: false } }));
      const c = loadConfig({
        file,
        env: { SKEIN_TLS_KEY: 'env.key', SKEIN_TLS_CLIENT_CA: 'env-ca.pem', SKEIN_LOGIN_MAX_FAILURES: '0' },
        overrides: { tls: tlsFlags({ tlsCert: 'flag.pem' }) },
      });
      expect(c.tls).toEqual({ certFile: 'flag.pem', keyFile: 'env.key', clientCaFile: 'env-ca.pem', requireClientCert: false });
      expect(c.loginMaxFailures).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(tlsFlags({})).toBeUndefined();
  });

  it('names the missing half of a certificate/key pair', () => {
    expect(() => loadConfig({ env: { SKEIN_TLS_CERT: 'a.pem' } })).toThrow(/tls.keyFile: TLS needs keyFile/);
    expect(() => loadConfig({ env: {}, overrides: { tls: { keyFile: 'k' } } })).toThrow(/tls.certFile: TLS needs certFile/);
    expect(() => loadConfig({ env: { SKEIN_LOGIN_WINDOW_SECONDS: '0' } })).toThrow(/loginWindowSeconds/);
  });
});
