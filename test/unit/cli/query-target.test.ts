import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryTarget } from '../../../src/cli/query-target';
import { ConfigError } from '../../../src/errors';

describe('skein query target', () => {
  const base = { host: '127.0.0.1', port: 31337 };

  it('uses --host/--port, or a grpc:// / grpc+tls:// URI', () => {
    expect(queryTarget(base)).toEqual({ host: '127.0.0.1', port: 31337 });
    expect(queryTarget({ ...base, uri: 'grpc+tcp://db.example:4000' })).toEqual({ host: 'db.example', port: 4000 });
    expect(queryTarget({ ...base, uri: 'grpc+tls://[::1]:4001' })).toEqual({
      host: '[::1]',
      port: 4001,
      tls: { rootCerts: undefined, certChain: undefined, privateKey: undefined },
    });
    expect(() => queryTarget({ ...base, uri: 'http://x:1' })).toThrow(ConfigError);
  });

  it('reads the TLS files and checks the flags go together', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-query-target-'));
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, 'CA');
      expect(queryTarget({ ...base, tlsCa: ca }).tls?.rootCerts?.toString()).toBe('CA');
      expect(() => queryTarget({ ...base, tlsCa: join(dir, 'missing.pem') })).toThrow(/cannot read --tls-ca file/);
      expect(() => queryTarget({ ...base, tlsCert: ca })).toThrow(/--tls-cert and --tls-key go together/);
      expect(() => queryTarget({ ...base, uri: 'grpc://h:1', tlsCa: ca })).toThrow(/need a grpc\+tls:\/\/ URI/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
