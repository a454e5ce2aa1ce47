// The plan cache: a plan comes back (under the new query's prefix) only while every table it
// resolved is the object the catalog hands out now; clock- or random-dependent statements and
// local plans are never kept; the oldest entries go first.
import { Catalog, TableInfo } from '../../../src/catalog/catalog';
import { Plan } from '../../../src/planner/plan';
import { PlanCache } from '../../../src/planner/plan-cache';

function table(name: string): TableInfo {
  return { schema: 'main', name, format: 'parquet', columns: [], files: [] } as unknown as TableInfo;
}

function catalogOf(tables: Map<string, TableInfo>): Catalog {
  return {
    tables: async () => [],
    table: async (_schema: string, name: string) => tables.get(name) ?? null,
    roots: [],
    close: async () => undefined,
  };
}

function plan(prefix: string): Plan {
  return {
    kind: 'distributed',
    sql: 'SELECT 1',
    stages: [{ id: 's0', kind: 'scan', table: 'main.t', output: `${prefix}_s0`, fragments: [], pruning: { filesTotal: 0, filesKept: 0, bytesTotal: 0, bytesKept: 0, rowGroupsTotal: 0, rowGroupsKept: 0, reasons: [] }, pushed: { columns: '*', filters: [] } }],
    merge: `SELECT * FROM ${prefix}_s0`,
    notes: [],
    scratch: `/tmp/scratch/${prefix}`,
  };
}

async function planned(cache: PlanCache, catalog: Catalog, key: string, sql: string, prefix: string): Promise<void> {
  const rec = PlanCache.recording(catalog);
  await rec.catalog.table('main', 't');
  cache.put(key, sql, plan(prefix), prefix, rec.tables);
}

describe('PlanCache', () => {
  it('gives the plan back under the new prefix while the table is unchanged', async () => {
    const tables = new Map([['t', table('t')]]);
    const catalog = catalogOf(tables);
    const cache = new PlanCache();
    await planned(cache, catalog, 'k', 'SELECT * FROM t', '__skein_aaaa1111');
    const again = await cache.get<Plan>('k', catalog, '__skein_bbbb2222');
    expect(again?.merge).toBe('SELECT * FROM __skein_bbbb2222_s0');
    expect(again?.stages[0].output).toBe('__skein_bbbb2222_s0');
    expect(again?.scratch).toBe('/tmp/scratch/__skein_bbbb2222');
    // a copy: changing it does not change the cached one
    (again as { merge: string }).merge = 'changed';
    expect((await cache.get<Plan>('k', catalog, '__skein_cccc3333'))?.merge).toBe('SELECT * FROM __skein_cccc3333_s0');
  });

  it('drops the plan once the catalog hands out a new table object (files changed)', async () => {
    const tables = new Map([['t', table('t')]]);
    const catalog = catalogOf(tables);
    const cache = new PlanCache();
    await planned(cache, catalog, 'k', 'SELECT * FROM t', '__skein_aaaa1111');
    tables.set('t', table('t'));
    expect(await cache.get('k', catalog, '__skein_bbbb2222')).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('keeps no plan that depends on the clock or randomness, nor one whose text holds the prefix', async () => {
    const catalog = catalogOf(new Map([['t', table('t')]]));
    const cache = new PlanCache();
    await planned(cache, catalog, 'a', 'SELECT * FROM t WHERE d > current_date - 7', '__skein_aaaa1111');
    await planned(cache, catalog, 'b', 'SELECT * FROM t WHERE random() < 0.5', '__skein_aaaa1111');
    await planned(cache, catalog, 'c', "SELECT '__skein_aaaa1111' FROM t", '__skein_aaaa1111');
    expect(cache.size).toBe(0);
  });

  it('forgets the least recently used plan beyond its size', async () => {
    const catalog = catalogOf(new Map([['t', table('t')]]));
    const cache = new PlanCache(2);
    await planned(cache, catalog, 'a', 'SELECT 1 FROM t', '__skein_aaaa1111');
    await planned(cache, catalog, 'b', 'SELECT 2 FROM t', '__skein_aaaa1111');
    await cache.get('a', catalog, '__skein_x'); // a is now the most recent
    await planned(cache, catalog, 'c', 'SELECT 3 FROM t', '__skein_aaaa1111');
    expect(await cache.get('b', catalog, '__skein_x')).toBeNull();
    expect(await cache.get('a', catalog, '__skein_x')).not.toBeNull();
    expect(await cache.get('c', catalog, '__skein_x')).not.toBeNull();
  });
});
