// Metadata commands for database browsers and ADBC get_objects: catalogs (DuckDB databases),
// schemas, tables and views (optionally with their Arrow schemas), table types, primary and foreign
// keys, and XDBC type info. Filters are bound as query parameters, never spliced into SQL.
import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBType, DuckDBValue, LIST, listValue as listValueOf, VARCHAR } from '@duckdb/node-api';
import { arrowTypeOf, DictionaryIds, fieldMetadataOf } from '../duckdb/arrow-types';
import { duckdbError } from '../duckdb/errors';
import { quoteIdent } from '../duckdb/sql';
import { CommandTable, metadataCommand } from './command-table';
import { CallContext, staticSource } from './context';
import { schemaToBytes } from './ipc';
import {
  batchOf,
  CATALOGS_SCHEMA,
  DB_SCHEMAS_SCHEMA,
  FOREIGN_KEYS_SCHEMA,
  PRIMARY_KEYS_SCHEMA,
  TABLE_TYPES_SCHEMA,
  TABLES_SCHEMA,
  TABLES_WITH_SCHEMA_SCHEMA,
  XDBC_TYPE_INFO_SCHEMA,
} from './metadata-schemas';
import { CommandGetCrossReference, sql, TableRef } from './proto';
import { xdbcTypeInfo } from './xdbc-types';

export const TABLE_TYPES = ['BASE TABLE', 'LOCAL TEMPORARY', 'VIEW'];
const NO_ACTION = 3; // DuckDB foreign keys neither cascade nor set null

/** Internal catalogs and schemas that browsers should not see. */
const HIDDEN = `database_name NOT IN ('system', 'temp') AND schema_name NOT IN ('information_schema', 'pg_catalog')`;

/** Runs a catalog query; parameters are typed explicitly (NULL means "no filter"). */
async function rows(
  ctx: CallContext,
  query: string,
  params: DuckDBValue[] = [],
  types: DuckDBType[] = params.map(() => VARCHAR),
): Promise<unknown[][]> {
  return ctx.state.db.withConnection(async (conn) => {
    try {
      return (await conn.runAndReadAll(query, params, types)).getRowsJS() as unknown[][];
    } catch (e) {
      throw duckdbError(e);
    }
  });
}

function columns(r: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, i) => r.map((row) => row[i]));
}

/** Optional filters: an absent field matches everything. */
const opt = (v: string | undefined): string | null => (v === undefined ? null : v);

async function catalogs(ctx: CallContext): Promise<A.RecordBatch> {
  const r = await rows(ctx, 'SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1');
  return batchOf(CATALOGS_SCHEMA, columns(r, 1));
}

async function dbSchemas(ctx: CallContext, catalog: string | null, pattern: string | null): Promise<A.RecordBatch> {
  const r = await rows(
    ctx,
    `SELECT database_name, schema_name FROM duckdb_schemas()
     WHERE ${HIDDEN} AND ($1::VARCHAR IS NULL OR database_name = $1)
       AND ($2::VARCHAR IS NULL OR schema_name LIKE $2 ESCAPE '\\')
     ORDER BY 1, 2`,
    [catalog, pattern],
  );
  return batchOf(DB_SCHEMAS_SCHEMA, columns(r, 2));
}

async function tables(ctx: CallContext, value: Buffer): Promise<A.RecordBatch> {
  const cmd = sql.CommandGetTables.decode(value);
  const types = cmd.table_types ?? [];
  const r = await rows(
    ctx,
    `SELECT * FROM (
       SELECT database_name, schema_name, table_name,
              CASE WHEN temporary THEN 'LOCAL TEMPORARY' ELSE 'BASE TABLE' END AS table_type
       FROM duckdb_tables() WHERE NOT internal AND (temporary OR ${HIDDEN})
       UNION ALL
       -- lake tables are views over their files to DuckDB, but tables to the people browsing them
       SELECT database_name, schema_name, view_name,
              CASE WHEN temporary THEN 'LOCAL TEMPORARY'
                   WHEN starts_with(coalesce(comment, ''), 'lake table') THEN 'BASE TABLE' ELSE 'VIEW' END
       FROM duckdb_views() WHERE NOT internal AND (temporary OR ${HIDDEN})
     ) t
     WHERE ($1::VARCHAR IS NULL OR database_name = $1)
       AND ($2::VARCHAR IS NULL OR schema_name LIKE $2 ESCAPE '\\')
       AND ($3::VARCHAR IS NULL OR table_name LIKE $3 ESCAPE '\\')
       AND (len($4::VARCHAR[]) = 0 OR list_contains($4::VARCHAR[], table_type))
     ORDER BY 1, 2, 3, 4`,
    [opt(cmd.catalog), opt(cmd.db_schema_filter_pattern), opt(cmd.table_name_filter_pattern), listValue(types)],
    [VARCHAR, VARCHAR, VARCHAR, LIST(VARCHAR)],
  );
  const cols = columns(r, 4);
  if (!cmd.include_schema) return batchOf(TABLES_SCHEMA, cols);
  const schemas = await ctx.state.db.withConnection(async (conn) => {
    const out: Uint8Array[] = [];
    for (const row of r) out.push(schemaToBytes(await tableSchema(conn, ctx, row as string[])));
    return out;
  });
  return batchOf(TABLES_WITH_SCHEMA_SCHEMA, [...cols, schemas]);
}

function listValue(items: string[]): DuckDBValue {
  return listValueOf(items);
}

interface DeclaredColumn {
  /** The type name as DuckDB itself spells it (`duckdb_columns().data_type`). */
  typeName: string;
  /** False for NOT NULL (and PRIMARY KEY) columns: JDBC getColumns and ADBC report it. */
  nullable: boolean;
}

async function declaredColumns(
  conn: DuckDBConnection,
  cat: string,
  schema: string,
  table: string,
): Promise<Map<string, DeclaredColumn>> {
  const r = await conn.runAndReadAll(
    `SELECT column_name, data_type, is_nullable FROM duckdb_columns()
     WHERE database_name = $1 AND schema_name = $2 AND table_name = $3`,
    [cat, schema, table],
    [VARCHAR, VARCHAR, VARCHAR],
  );
  const rowsOf = r.getRowsJS() as [string, string, boolean][];
  return new Map(rowsOf.map(([name, typeName, nullable]) => [name, { typeName, nullable }]));
}

/** A table's columns as an Arrow schema with the Flight SQL column metadata keys. */
async function tableSchema(conn: DuckDBConnection, ctx: CallContext, [cat, schema, table]: string[]): Promise<A.Schema> {
  let stmt;
  try {
    stmt = await conn.prepare(`SELECT * FROM ${quoteIdent(cat)}.${quoteIdent(schema)}.${quoteIdent(table)}`);
  } catch (e) {
    throw duckdbError(e);
  }
  try {
    const declared = await declaredColumns(conn, cat, schema, table);
    const dicts = new DictionaryIds();
    const fields: A.Field[] = [];
    for (let c = 0; c < stmt.columnCount; c++) {
      const t = stmt.columnType(c);
      const column = declared.get(stmt.columnName(c));
      const md = new Map<string, string>([
        ['ARROW:FLIGHT:SQL:CATALOG_NAME', cat],
        ['ARROW:FLIGHT:SQL:SCHEMA_NAME', schema],
        ['ARROW:FLIGHT:SQL:TABLE_NAME', table],
        ['ARROW:FLIGHT:SQL:TYPE_NAME', column?.typeName ?? t.toString()],
        ['ARROW:FLIGHT:SQL:IS_AUTO_INCREMENT', '0'],
        ['ARROW:FLIGHT:SQL:IS_CASE_SENSITIVE', /VARCHAR|UUID/.test(t.toString()) ? '1' : '0'],
        ['ARROW:FLIGHT:SQL:IS_READ_ONLY', '0'],
        ['ARROW:FLIGHT:SQL:IS_SEARCHABLE', '1'],
      ]);
      const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t.toString());
      if (decimal) {
        md.set('ARROW:FLIGHT:SQL:PRECISION', decimal[1]);
        md.set('ARROW:FLIGHT:SQL:SCALE', decimal[2]);
      }
      for (const [k, v] of fieldMetadataOf(t) ?? []) md.set(k, v);
      const nullable = column?.nullable ?? true;
      fields.push(new A.Field(stmt.columnName(c), arrowTypeOf(t, ctx.state.db.timeZone, dicts), nullable, md));
    }
    return new A.Schema(fields);
  } finally {
    stmt.destroySync();
  }
}

async function primaryKeys(ctx: CallContext, ref: TableRef): Promise<A.RecordBatch> {
  const r = await rows(
    ctx,
    `SELECT database_name, schema_name, table_name, unnest(constraint_column_names),
            generate_subscripts(constraint_column_names, 1)::INTEGER, constraint_name
     FROM duckdb_constraints()
     WHERE constraint_type = 'PRIMARY KEY' AND table_name = $3
       AND ($1::VARCHAR IS NULL OR database_name = $1) AND ($2::VARCHAR IS NULL OR schema_name = $2)
     ORDER BY 1, 2, 3, 5`,
    [opt(ref.catalog), opt(ref.db_schema), ref.table],
  );
  return batchOf(PRIMARY_KEYS_SCHEMA, columns(r, 6));
}

interface KeyFilter {
  pkCatalog: string | null;
  pkSchema: string | null;
  pkTable: string | null;
  fkCatalog: string | null;
  fkSchema: string | null;
  fkTable: string | null;
}

/** Foreign keys (DuckDB keeps the referenced table in the referencing table's schema). */
async function foreignKeys(ctx: CallContext, f: KeyFilter): Promise<A.RecordBatch> {
  const r = await rows(
    ctx,
    `SELECT database_name, schema_name, referenced_table, pk_column, database_name, schema_name, table_name,
            fk_column, key_sequence, constraint_name, NULL::VARCHAR, ${NO_ACTION}::UTINYINT, ${NO_ACTION}::UTINYINT
     FROM (
       SELECT database_name, schema_name, table_name, referenced_table, constraint_name,
              unnest(constraint_column_names) AS fk_column, unnest(referenced_column_names) AS pk_column,
              generate_subscripts(constraint_column_names, 1)::INTEGER AS key_sequence
       FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY'
     ) k
     WHERE ($1::VARCHAR IS NULL OR database_name = $1) AND ($2::VARCHAR IS NULL OR schema_name = $2)
       AND ($3::VARCHAR IS NULL OR referenced_table = $3)
       AND ($4::VARCHAR IS NULL OR database_name = $4) AND ($5::VARCHAR IS NULL OR schema_name = $5)
       AND ($6::VARCHAR IS NULL OR table_name = $6)
     ORDER BY 1, 2, 3, 9`,
    [f.pkCatalog, f.pkSchema, f.pkTable, f.fkCatalog, f.fkSchema, f.fkTable],
  );
  return batchOf(FOREIGN_KEYS_SCHEMA, columns(r, 13));
}

const none = { pkCatalog: null, pkSchema: null, pkTable: null, fkCatalog: null, fkSchema: null, fkTable: null };

function single(schema: A.Schema, make: (ctx: CallContext, value: Buffer) => Promise<A.RecordBatch>) {
  return async (ctx: CallContext, value: Buffer) => staticSource(schema, [await make(ctx, value)]);
}

export const metadataCommands: CommandTable = {
  CommandGetCatalogs: metadataCommand('CommandGetCatalogs', () => CATALOGS_SCHEMA, single(CATALOGS_SCHEMA, catalogs)),
  CommandGetDbSchemas: metadataCommand(
    'CommandGetDbSchemas',
    () => DB_SCHEMAS_SCHEMA,
    single(DB_SCHEMAS_SCHEMA, (ctx, value) => {
      const cmd = sql.CommandGetDbSchemas.decode(value);
      return dbSchemas(ctx, opt(cmd.catalog), opt(cmd.db_schema_filter_pattern));
    }),
  ),
  CommandGetTables: metadataCommand(
    'CommandGetTables',
    (value) => (sql.CommandGetTables.decode(value).include_schema ? TABLES_WITH_SCHEMA_SCHEMA : TABLES_SCHEMA),
    async (ctx, value) => {
      const batch = await tables(ctx, value);
      return staticSource(batch.schema, [batch]);
    },
  ),
  CommandGetTableTypes: metadataCommand(
    'CommandGetTableTypes',
    () => TABLE_TYPES_SCHEMA,
    single(TABLE_TYPES_SCHEMA, async () => batchOf(TABLE_TYPES_SCHEMA, [TABLE_TYPES])),
  ),
  CommandGetPrimaryKeys: metadataCommand(
    'CommandGetPrimaryKeys',
    () => PRIMARY_KEYS_SCHEMA,
    single(PRIMARY_KEYS_SCHEMA, (ctx, value) => primaryKeys(ctx, sql.CommandGetPrimaryKeys.decode(value))),
  ),
  CommandGetImportedKeys: metadataCommand(
    'CommandGetImportedKeys',
    () => FOREIGN_KEYS_SCHEMA,
    single(FOREIGN_KEYS_SCHEMA, (ctx, value) => {
      const t = sql.CommandGetImportedKeys.decode(value);
      return foreignKeys(ctx, { ...none, fkCatalog: opt(t.catalog), fkSchema: opt(t.db_schema), fkTable: t.table });
    }),
  ),
  CommandGetExportedKeys: metadataCommand(
    'CommandGetExportedKeys',
    () => FOREIGN_KEYS_SCHEMA,
    single(FOREIGN_KEYS_SCHEMA, (ctx, value) => {
      const t = sql.CommandGetExportedKeys.decode(value);
      return foreignKeys(ctx, { ...none, pkCatalog: opt(t.catalog), pkSchema: opt(t.db_schema), pkTable: t.table });
    }),
  ),
  CommandGetCrossReference: metadataCommand(
    'CommandGetCrossReference',
    () => FOREIGN_KEYS_SCHEMA,
    single(FOREIGN_KEYS_SCHEMA, (ctx, value) => {
      const x: CommandGetCrossReference = sql.CommandGetCrossReference.decode(value);
      return foreignKeys(ctx, {
        pkCatalog: opt(x.pk_catalog),
        pkSchema: opt(x.pk_db_schema),
        pkTable: x.pk_table,
        fkCatalog: opt(x.fk_catalog),
        fkSchema: opt(x.fk_db_schema),
        fkTable: x.fk_table,
      });
    }),
  ),
  CommandGetXdbcTypeInfo: metadataCommand(
    'CommandGetXdbcTypeInfo',
    () => XDBC_TYPE_INFO_SCHEMA,
    single(XDBC_TYPE_INFO_SCHEMA, async (_ctx, value) => xdbcTypeInfo(sql.CommandGetXdbcTypeInfo.decode(value).data_type)),
  ),
};
