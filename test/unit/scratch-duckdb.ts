// A scratch DuckDB for unit tests: an in-memory instance, one connection and a temp dir, made before
// the calling file's tests and removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface ScratchDuckDB {
  /** A temp dir for the test's files (valid once the tests run). */
  readonly dir: string;
  readonly conn: DuckDBConnection;
  /** `sql`'s rows as JS values. */
  rows(sql: string): Promise<unknown[][]>;
}

/** Registers beforeAll/afterAll hooks; `prefix` names the temp dir. */
export function scratchDuckDB(prefix: string): ScratchDuckDB {
  let dir = '';
  let db: DuckDBInstance | undefined;
  let conn: DuckDBConnection | undefined;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    db = await DuckDBInstance.create(':memory:');
    conn = await db.connect();
  });
  afterAll(() => {
    conn?.closeSync();
    db?.closeSync();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const connection = (): DuckDBConnection => {
    if (!conn) throw new Error('scratch DuckDB used outside a test');
    return conn;
  };
  return {
    get dir() {
      return dir;
    },
    get conn() {
      return connection();
    },
    rows: async (sql) => (await connection().runAndReadAll(sql)).getRowsJS() as unknown[][],
  };
}
