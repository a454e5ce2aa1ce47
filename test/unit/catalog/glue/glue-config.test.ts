// catalog.glue from the config file and SKEIN_GLUE_* variables: defaults, env over file, bad values named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../../src/config';

describe('catalog.glue config', () => {
  it('is off by default, and on with any SKEIN_GLUE_* variable', () => {
    expect(loadConfig({ env: {} }).catalog.glue).toBeUndefined();
    expect(loadConfig({ env: { SKEIN_GLUE_REGION: 'eu-west-1' } }).catalog.glue).toEqual({ region: 'eu-west-1', ttlSeconds: 30 });
    expect(
      loadConfig({ env: { SKEIN_GLUE_ENDPOINT: 'http://127.0.0.1:5000', SKEIN_GLUE_DATABASES: 'sales, ops', SKEIN_GLUE_TTL_SECONDS: '5' } }).catalog.glue,
    ).toEqual({ region: 'us-east-1', endpoint: 'http://127.0.0.1:5000', databases: ['sales', 'ops'], ttlSeconds: 5 });
  });

  it('takes the file, with the environment on top', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-glue-config-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ catalog: { root: dir, glue: { region: 'us-west-2', catalogId: '123456789012' } } }));
      const c = loadConfig({ file, env: { SKEIN_GLUE_REGION: 'eu-central-1' } }).catalog;
      expect(c.root).toBe(dir);
      expect(c.glue).toEqual({ region: 'eu-central-1', catalogId: '123456789012', ttlSeconds: 30 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names bad values', () => {
    expect(() => loadConfig({ env: { SKEIN_GLUE_ENDPOINT: 'not a url' } })).toThrow(/catalog\.glue\.endpoint/);
    expect(() => loadConfig({ env: { SKEIN_GLUE_CATALOG_ID: 'abc' } })).toThrow(/catalog\.glue\.catalogId: a 12-digit AWS account id/);
    expect(() => loadConfig({ env: { SKEIN_GLUE_TTL_SECONDS: 'soon' } })).toThrow(/SKEIN_GLUE_TTL_SECONDS must be an integer/);
    expect(() => loadConfig({ env: {}, overrides: { catalog: { glue: { accessKeyId: 'a' } } } })).toThrow(/accessKeyId and secretAccessKey go together/);
  });
});
