// The table a bulk ingest writes to: where it is (catalog, schema, name resolved against the
// connection's current ones), whether it exists, the DDL that creates it from an Arrow schema, and
// how the columns of the data line up with an existing table's. Names are quoted, values bound.
import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { typeSql } from '../duckdb/arrow-import-types';
import { quoteIdent } from '../duckdb/sql';
import { AlreadyExistsError } from '../errors';

export interface TargetTable {
  catalog: string;
  schema: string;
  table: string;
  temporary: boolean;
}

/** DuckDB keeps temporary tables in the connection's own catalog. */
const TEMP_CATALOG = 'temp';
const DEFAULT_SCHEMA = 'main';

async function firstRow(conn: DuckDBConnection, sql: string, params: string[] = []): Promise<unknown[] | undefined> {
  const reader = await conn.runAndReadAll(sql, params);
  return reader.getRows()[0];
}

/** Fills in the current catalog/schema for whatever the client left out. */
export async function resolveTarget(
  conn: DuckDBConnection,
  table: string,
  catalog: string | undefined,
  schema: string | undefined,
  temporary: boolean,
): Promise<TargetTable> {
  if (temporary) return { catalog: TEMP_CATALOG, schema: DEFAULT_SCHEMA, table, temporary };
  const [db, current] = (await firstRow(conn, 'SELECT current_database(), current_schema()')) as [string, string];
  // `cat.t` means the catalog's default schema, whatever the current schema is
  return { catalog: catalog ?? db, schema: schema ?? (catalog ? DEFAULT_SCHEMA : current), table, temporary };
}

export function qualifiedName(t: TargetTable): string {
  if (t.temporary) return quoteIdent(t.table);
  return `${quoteIdent(t.catalog)}.${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/** The table as DuckDB spells it (names are case-insensitive), or null when there is none. */
export async function findTable(conn: DuckDBConnection, t: TargetTable): Promise<TargetTable | null> {
  const row = await firstRow(
    conn,
    `SELECT database_name, schema_name, table_name FROM duckdb_tables()
     WHERE lower(database_name) = lower($1) AND lower(schema_name) = lower($2) AND lower(table_name) = lower($3)`,
    [t.catalog, t.schema, t.table],
  );
  if (!row) return null;
  const [catalog, schema, table] = row as [string, string, string];
  return { catalog, schema, table, temporary: t.temporary };
}

export function createTableSql(t: TargetTable, fields: readonly A.Field[], types: readonly DuckDBType[], replace: boolean): string {
  const columns = fields.map((f, i) => `${quoteIdent(f.name)} ${typeSql(types[i])}`).join(', ');
  const kind = `${replace ? 'OR REPLACE ' : ''}${t.temporary ? 'TEMPORARY ' : ''}`;
  return `CREATE ${kind}TABLE ${qualifiedName(t)} (${columns})`;
}

/**
 * For appending: which Arrow column feeds each table column. Columns are matched by name
 * (case-insensitively, as DuckDB compares names), in any order; every table column needs one, and
 * each data type must cast implicitly to the column's type (DuckDB's own rule, so no value is
 * silently truncated to fit). A mismatch is ALREADY_EXISTS, as ADBC specifies for append.
 */
export async function matchColumns(
  conn: DuckDBConnection,
  t: TargetTable,
  fields: readonly A.Field[],
  types: readonly DuckDBType[],
): Promise<number[]> {
  const reader = await conn.runAndReadAll(
    `SELECT column_name, data_type FROM duckdb_columns()
     WHERE database_name = $1 AND schema_name = $2 AND table_name = $3 ORDER BY column_index`,
    [t.catalog, t.schema, t.table],
  );
  const columns = reader.getRows() as [string, string][];
  const mismatch = (why: string): AlreadyExistsError =>
    new AlreadyExistsError(`table ${qualifiedName(t)} exists with a different schema than the data: ${why}`);
  const byName = new Map<string, number>();
  fields.forEach((f, i) => {
    const key = f.name.toLowerCase();
    if (byName.has(key)) throw mismatch(`the data has two columns named ${quoteIdent(f.name)}`);
    byName.set(key, i);
  });
  const missing = columns.filter(([name]) => !byName.has(name.toLowerCase())).map(([n]) => quoteIdent(n));
  if (missing.length > 0) throw mismatch(`no data for column(s) ${missing.join(', ')}`);
  if (fields.length !== columns.length) {
    const known = new Set(columns.map(([n]) => n.toLowerCase()));
    const extra = fields.filter((f) => !known.has(f.name.toLowerCase())).map((f) => quoteIdent(f.name));
    throw mismatch(`the table has no column(s) ${extra.join(', ')}`);
  }
  const order = columns.map(([name]) => byName.get(name.toLowerCase()) as number);
  const checks = columns.map(
    ([name], i) =>
      `can_cast_implicitly(NULL::${typeSql(types[order[i]])}, (SELECT ${quoteIdent(name)} FROM ${qualifiedName(t)} LIMIT 0))`,
  );
  const ok = (await firstRow(conn, `SELECT ${checks.join(', ')}`)) as boolean[];
  const bad = columns
    .map(([name, type], i) => (ok[i] ? null : `column ${quoteIdent(name)} is ${type}, the data is ${typeSql(types[order[i]])}`))
    .filter((m): m is string => m !== null);
  if (bad.length > 0) throw mismatch(bad.join('; '));
  return order;
}
