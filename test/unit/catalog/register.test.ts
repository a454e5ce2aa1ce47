// Lake-table views on a sandboxed coordinator DuckDB: created, re-created when files change, a
// broken table reported without stopping the others, and views a previous run left behind adopted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DirectoryCatalog } from '../../../src/catalog/directory-catalog';
import { CatalogViews } from '../../../src/catalog/register';
import { Database } from '../../../src/duckdb/database';
import { sandboxPolicy } from '../../../src/duckdb/sandbox';
import { quoteLiteral } from '../../../src/duckdb/sql';

let dir: string;
let root: string;
let writer: DuckDBInstance;

async function openAll(): Promise<{ db: Database; catalog: DirectoryCatalog; views: CatalogViews }> {
  const catalog = await DirectoryCatalog.open({ root, minRefreshMs: 0 });
  const db = await Database.open({ path: join(dir, 'coord.duckdb'), sandbox: sandboxPolicy([...catalog.roots], []) });
  const views = await CatalogViews.start(db, catalog, 0);
  return { db, catalog, views };
}

async function rows(db: Database, sql: string): Promise<unknown[][]> {
  return db.withConnection(async (c) => (await c.runAndReadAll(sql)).getRowsJS() as unknown[][]);
}

/** Files are written by a separate, unsandboxed DuckDB, as another program would. */
async function write(sql: string, path: string): Promise<void> {
  const conn = await writer.connect();
  try {
    await conn.run(`COPY (${sql}) TO ${quoteLiteral(path)} (FORMAT parquet)`);
  } finally {
    conn.closeSync();
  }
}

beforeAll(async () => {
  writer = await DuckDBInstance.create(':memory:');
  dir = mkdtempSync(join(tmpdir(), 'skein-views-'));
  root = join(dir, 'lake');
  for (const d of ['s1/a', 's1/b', 's2/c']) mkdirSync(join(root, d), { recursive: true });
});

afterAll(() => {
  writer?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

describe('CatalogViews', () => {
  it('registers, refreshes, reports a broken table, and adopts views from an earlier run', async () => {
    let { db, catalog, views } = await openAll();
    try {
      await write('SELECT 1 AS x', join(root, 's1/a/1.parquet'));
      await write('SELECT 2 AS y', join(root, 's1/b/1.parquet'));
      await write('SELECT 3 AS z', join(root, 's2/c/1.parquet'));
      expect(await views.refresh()).toEqual({ created: ['s1.a', 's1.b', 's2.c'], dropped: [], failed: [] });
      expect(await rows(db, 'SELECT (SELECT x FROM s1.a) + (SELECT y FROM s1.b) + (SELECT z FROM s2.c)')).toEqual([[6]]);
      expect(await views.refresh()).toEqual({ created: [], dropped: [], failed: [] }); // nothing changed
      const kinds = await rows(db, `SELECT view_name, starts_with(comment, 'lake table:') FROM duckdb_views() WHERE schema_name = 's1' ORDER BY 1`);
      expect(kinds).toEqual([['a', true], ['b', true]]);

      await write('SELECT 10 AS x', join(root, 's1/a/2.parquet'));
      writeFileSync(join(root, 's1/b/2.parquet'), 'not parquet');
      const r = await views.refresh();
      expect(r.created).toEqual(['s1.a']);
      expect(r.failed).toEqual([{ table: 's1.b', error: expect.stringContaining('cannot be read') }]);
      expect(await rows(db, 'SELECT sum(x)::INTEGER FROM s1.a')).toEqual([[11]]);
      rmSync(join(root, 's1/b/2.parquet'));
    } finally {
      views.close();
      await catalog.close();
      await db.close();
    }

    // the database file keeps the views; s2.c is gone by the time the server starts again
    rmSync(join(root, 's2'), { recursive: true });
    ({ db, catalog, views } = await openAll());
    try {
      const left = await rows(db, `SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1, 2`);
      expect(left).toEqual([['s1', 'a'], ['s1', 'b']]);
      expect(await rows(db, `SELECT count(*)::INTEGER FROM duckdb_schemas() WHERE schema_name = 's2'`)).toEqual([[0]]);
    } finally {
      views.close();
      await catalog.close();
      await db.close();
    }
  });
});
