// Iceberg schemas: the JSON types of table metadata as DuckDB types, and the `schema` parameter of
// read_parquet that maps Parquet field ids to the table's current names and types — so renamed,
// added, dropped and promoted columns read correctly from files written under older schemas.
import { quoteIdent, quoteLiteral } from '../../duckdb/sql';
import { UnimplementedError } from '../../errors';

export type IcebergType =
  | string
  | { type: 'struct'; fields: IcebergField[] }
  | { type: 'list'; 'element-id': number; element: IcebergType; 'element-required': boolean }
  | { type: 'map'; 'key-id': number; key: IcebergType; 'value-id': number; value: IcebergType; 'value-required': boolean };

export interface IcebergField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  'initial-default'?: unknown;
}

export interface IcebergSchema {
  'schema-id': number;
  type?: 'struct';
  fields: IcebergField[];
}

const PRIMITIVES: Record<string, string> = {
  boolean: 'BOOLEAN',
  int: 'INTEGER',
  long: 'BIGINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  date: 'DATE',
  time: 'TIME',
  timestamp: 'TIMESTAMP',
  timestamptz: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
  uuid: 'UUID',
  binary: 'BLOB',
};

/** The DuckDB type of an Iceberg type; `what` names the column in errors. */
export function duckdbType(t: IcebergType, what: string): string {
  if (typeof t === 'string') {
    const p = PRIMITIVES[t];
    if (p) return p;
    const dec = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t);
    if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
    if (/^fixed\[\d+\]$/.test(t)) return 'BLOB';
    throw new UnimplementedError(`${what}: Iceberg type ${t} is not supported`);
  }
  switch (t.type) {
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type, `${what}.${f.name}`)}`).join(', ')})`;
    case 'list':
      return `${duckdbType(t.element, `${what}[]`)}[]`;
    case 'map':
      return `MAP(${duckdbType(t.key, `${what} key`)}, ${duckdbType(t.value, `${what} value`)})`;
    default:
      throw new UnimplementedError(`${what}: Iceberg type ${JSON.stringify(t)} is not supported`);
  }
}

/** Checks every field's type (and default) before any SQL is built. */
export function checkSchema(schema: IcebergSchema, table: string): void {
  for (const f of schema.fields) {
    duckdbType(f.type, `${table} column ${f.name}`);
    if (f['initial-default'] !== undefined && f['initial-default'] !== null) {
      throw new UnimplementedError(`${table} column ${f.name}: Iceberg column defaults (format v3) are not supported`);
    }
  }
}

export interface Column {
  id: number;
  name: string;
  type: string;
  iceberg: IcebergType;
}

export function columnsOf(schema: IcebergSchema, table: string): Column[] {
  return schema.fields.map((f) => ({ id: f.id, name: f.name, type: duckdbType(f.type, `${table} column ${f.name}`), iceberg: f.type }));
}

/**
 * `MAP {1: {name: 'id', type: 'BIGINT', default_value: NULL}, …}`: read_parquet then reads each
 * file's columns by Parquet field id, under these names and types, in this order; a column a file
 * lacks (added later) reads as NULL. Type names come from duckdbType only.
 */
export function fieldIdSchema(columns: readonly { id: number; name: string; type: string }[]): string {
  const entries = columns.map((c) => `${c.id}: {name: ${quoteLiteral(c.name)}, type: ${quoteLiteral(c.type)}, default_value: NULL}`);
  return `MAP {${entries.join(', ')}}`;
}
