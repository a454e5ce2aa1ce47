// A Delta table schema (the `schemaString` of the metaData action, Spark's JSON schema) as DuckDB
// types, with each top-level column's physical name in the data files under column mapping.
import { quoteIdent } from '../../duckdb/sql';

export type ColumnMappingMode = 'none' | 'name' | 'id';

export interface DeltaField {
  name: string;
  type: DeltaType;
  nullable?: boolean;
  metadata?: Record<string, unknown>;
}

export type DeltaType =
  | string
  | { type: 'struct'; fields: DeltaField[] }
  | { type: 'array'; elementType: DeltaType; containsNull?: boolean }
  | { type: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull?: boolean };

export interface DeltaColumn {
  /** The name users see. */
  name: string;
  /** The name in data files, stats and partition values (= name without column mapping). */
  physical: string;
  /** Column mapping id (`delta.columnMapping.id`), when set. */
  fieldId: number | null;
  /** DuckDB type name. */
  type: string;
  /** The Delta type name of a primitive column (stats and partition values need it), else null. */
  primitive: string | null;
}

/** A schema the reader cannot represent; the reader turns it into an error naming the table. */
export class UnsupportedSchema extends Error {}

const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  timestamp_ntz: 'TIMESTAMP',
};

const physicalName = (f: DeltaField, mode: ColumnMappingMode): string => {
  const p = f.metadata?.['delta.columnMapping.physicalName'];
  if (mode === 'none') return f.name;
  if (typeof p !== 'string' || p === '') throw new UnsupportedSchema(`column ${f.name} has no physical name under column mapping`);
  return p;
};

/**
 * The DuckDB type of a Delta type. Under column mapping, nested struct fields carry physical names
 * too; renaming them back needs per-field expressions this reader does not build yet.
 */
export function duckdbType(t: DeltaType, mode: ColumnMappingMode, where: string): string {
  if (typeof t === 'string') {
    const p = PRIMITIVES[t];
    if (p) return p;
    const d = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
    if (d && Number(d[1]) >= 1 && Number(d[1]) <= 38 && Number(d[2]) <= Number(d[1])) return `DECIMAL(${d[1]},${d[2]})`;
    throw new UnsupportedSchema(`column ${where} has type ${t}, which Skein cannot read`);
  }
  switch (t.type) {
    case 'array':
      return `${duckdbType(t.elementType, mode, `${where}.element`)}[]`;
    case 'map':
      return `MAP(${duckdbType(t.keyType, mode, `${where}.key`)}, ${duckdbType(t.valueType, mode, `${where}.value`)})`;
    case 'struct': {
      if (t.fields.length === 0) throw new UnsupportedSchema(`column ${where} is an empty struct`);
      const fields = t.fields.map((f) => {
        if (mode !== 'none' && physicalName(f, mode) !== f.name) {
          throw new UnsupportedSchema(`nested field ${where}.${f.name} is renamed by column mapping, which Skein cannot read yet`);
        }
        return `${quoteIdent(f.name)} ${duckdbType(f.type, mode, `${where}.${f.name}`)}`;
      });
      return `STRUCT(${fields.join(', ')})`;
    }
    default:
      throw new UnsupportedSchema(`column ${where} has an unknown type ${JSON.stringify(t)}`);
  }
}

/** The top-level columns of a schemaString. */
export function parseSchema(schemaString: string, mode: ColumnMappingMode): DeltaColumn[] {
  let schema: unknown;
  try {
    schema = JSON.parse(schemaString);
  } catch (e) {
    throw new UnsupportedSchema(`schemaString is not JSON: ${(e as Error).message}`);
  }
  const s = schema as { type?: unknown; fields?: unknown };
  if (s.type !== 'struct' || !Array.isArray(s.fields)) throw new UnsupportedSchema('schemaString is not a struct type');
  const seen = new Set<string>();
  return (s.fields as DeltaField[]).map((f) => {
    if (typeof f?.name !== 'string' || f.type === undefined) throw new UnsupportedSchema(`schema field ${JSON.stringify(f)} is malformed`);
    const key = f.name.toLowerCase();
    if (seen.has(key)) throw new UnsupportedSchema(`column ${f.name} appears twice in the schema`);
    seen.add(key);
    const id = f.metadata?.['delta.columnMapping.id'];
    return {
      name: f.name,
      physical: physicalName(f, mode),
      fieldId: typeof id === 'number' ? id : null,
      type: duckdbType(f.type, mode, f.name),
      primitive: typeof f.type === 'string' ? f.type : null,
    };
  });
}
