// The `executors` configuration (defaults, environment, file + env merge, validation) and the pool
// start-up built from it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { startExecutorPool } from '../../../src/executors/start';
import { arrowRows } from './parquet-fixture';

describe('executors configuration', () => {
  it('defaults to no executors', () => {
    expect(loadConfig({ env: {} }).executors).toEqual({
      count: 0,
      mode: 'in-process',
      threads: 1,
      fragmentTimeoutSeconds: 300,
      slots: 2,
      discover: false,
      broadcastLimitBytes: 64 << 20,
      monostore: false,
      smallStatementBytes: 24 << 20,
    });
  });

  it('reads SKEIN_EXECUTORS, SKEIN_EXECUTOR_MODE, SKEIN_EXECUTOR_THREADS and SKEIN_EXECUTOR_SECRET', () => {
    const c = loadConfig({
      env: {
        SKEIN_EXECUTORS: '4',
        SKEIN_EXECUTOR_MODE: 'child-process',
        SKEIN_EXECUTOR_THREADS: '2',
        SKEIN_EXECUTOR_SECRET: 'sixteen-chars-secret',
      },
    });
    expect(c.executors).toMatchObject({ count: 4, mode: 'child-process', threads: 2, secret: 'sixteen-chars-secret' });
  });

  it('merges file, environment and flags key by key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-cfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ executors: { count: 2, slots: 3, fragmentTimeoutSeconds: 30 } }));
      const c = loadConfig({ file, env: { SKEIN_EXECUTOR_MODE: 'child-process' }, overrides: { executors: { count: 5 } } });
      expect(c.executors).toMatchObject({ count: 5, mode: 'child-process', slots: 3, fragmentTimeoutSeconds: 30 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad values with a message naming the option', () => {
    expect(() => loadConfig({ env: { SKEIN_EXECUTOR_MODE: 'carrier-pigeon' } })).toThrow(/executors\.mode/);
    expect(() => loadConfig({ env: { SKEIN_EXECUTORS: 'two' } })).toThrow(/SKEIN_EXECUTORS/);
    expect(() => loadConfig({ env: { SKEIN_EXECUTOR_SECRET: 'short' } })).toThrow(/executors\.secret/);
  });
});

describe('startExecutorPool', () => {
  it('is null for count 0', async () => {
    expect(await startExecutorPool(loadConfig({ env: {} }))).toBeNull();
  });

  it('starts N in-process executors sharing a random secret', async () => {
    const pool = await startExecutorPool(loadConfig({ env: { SKEIN_EXECUTORS: '3' } }));
    try {
      expect(pool?.size).toBe(3);
      expect(pool?.status().map((s) => s.id)).toEqual(['executor-1', 'executor-2', 'executor-3']);
      const fragments = [1, 2, 3].map((i) => ({ id: `f${i}`, stage: 's', sql: `SELECT ${i} * 10 AS v`, inputs: [] }));
      const values: unknown[] = [];
      for await (const o of pool!.runAll(fragments)) values.push(...arrowRows(o.batches).map((r) => r[0]));
      expect(values.sort()).toEqual([10, 20, 30]);
    } finally {
      await pool?.close();
    }
  });
});
