// Arrow types → DuckDB column types for bulk ingest: the reverse of arrow-types.ts, making the choices
// DuckDB's own Arrow scan makes, so an ingested table has the types `CREATE TABLE t AS SELECT * FROM
// arrow_table` would give it. Dictionaries become their value type (as DuckDB reads them), not ENUMs:
// a stream may change its dictionary between batches, and an ENUM column would then refuse values.
// The canonical arrow.uuid and arrow.json extensions become UUID and JSON, as in DuckDB's scan.
import * as A from 'apache-arrow';
import {
  ARRAY,
  BIGINT,
  BLOB,
  BOOLEAN,
  DECIMAL,
  DOUBLE,
  DATE,
  DuckDBType,
  DuckDBTypeId,
  DuckDBVarCharType,
  FLOAT,
  INTEGER,
  INTERVAL,
  LIST,
  MAP,
  SMALLINT,
  STRUCT,
  TIME,
  TIME_NS,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMP_NS,
  TIMESTAMP_S,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  UUID,
  VARCHAR,
  DuckDBArrayType,
  DuckDBDecimalType,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
} from '@duckdb/node-api';
import { InvalidArgumentError } from '../errors';
import { quoteIdent } from './sql';

/** DuckDB DECIMAL holds at most 38 digits. */
export const MAX_DECIMAL_DIGITS = 38;

/** DuckDB's JSON type: VARCHAR under the alias its json extension gives it. */
const JSON_TYPE = DuckDBVarCharType.create('JSON');

/** Arrow canonical extension types DuckDB's Arrow scan reads as its own types. */
export type Extension = 'uuid' | 'json' | null;

export function extensionOf(f: A.Field): Extension {
  const name = f.metadata?.get('ARROW:extension:name');
  const t = f.type;
  if (name === 'arrow.uuid' && t.typeId === A.Type.FixedSizeBinary && (t as A.FixedSizeBinary).byteWidth === 16) {
    return 'uuid';
  }
  if (name === 'arrow.json' && (t.typeId === A.Type.Utf8 || t.typeId === A.Type.LargeUtf8)) return 'json';
  return null;
}

/** The DuckDB column type for an Arrow field (its type, or the extension type it carries). */
export function duckdbTypeOfField(f: A.Field, where: string): DuckDBType {
  const ext = extensionOf(f);
  if (ext === 'uuid') return UUID;
  if (ext === 'json') return JSON_TYPE;
  return duckdbTypeOfArrow(f.type, where);
}

function unsupported(where: string, t: A.DataType, why = 'is not supported for ingest'): InvalidArgumentError {
  return new InvalidArgumentError(`column ${where}: Arrow type ${String(t)} ${why}`);
}

function intType(t: A.Int): DuckDBType {
  switch (t.bitWidth) {
    case 8:
      return t.isSigned ? TINYINT : UTINYINT;
    case 16:
      return t.isSigned ? SMALLINT : USMALLINT;
    case 32:
      return t.isSigned ? INTEGER : UINTEGER;
    default:
      return t.isSigned ? BIGINT : UBIGINT;
  }
}

function timestampType(t: A.Timestamp): DuckDBType {
  // DuckDB has one instant type (µs); the zone name itself is not kept, as in DuckDB's Arrow scan
  if (t.timezone) return TIMESTAMPTZ;
  switch (t.unit) {
    case A.TimeUnit.SECOND:
      return TIMESTAMP_S;
    case A.TimeUnit.MILLISECOND:
      return TIMESTAMP_MS;
    case A.TimeUnit.MICROSECOND:
      return TIMESTAMP;
    default:
      return TIMESTAMP_NS;
  }
}

/** Value types a dictionary may have: those the leaf writers can gather by index. */
export function isGatherable(t: A.DataType): boolean {
  switch (t.typeId) {
    case A.Type.Utf8:
    case A.Type.LargeUtf8:
    case A.Type.Binary:
    case A.Type.LargeBinary:
    case A.Type.Int:
      return true;
    case A.Type.Float:
      return (t as A.Float).precision !== A.Precision.HALF;
    case A.Type.Date:
      return (t as A.Date_).unit === A.DateUnit.DAY;
    case A.Type.Timestamp:
      return !(t as A.Timestamp).timezone;
    case A.Type.Time:
      return (t as A.Time).bitWidth === 64;
    default:
      return false;
  }
}

/** The DuckDB column type for an Arrow type; `where` names the column in error messages. */
export function duckdbTypeOfArrow(t: A.DataType, where: string): DuckDBType {
  switch (t.typeId) {
    case A.Type.Null:
      return INTEGER; // what DuckDB makes of an all-NULL column in CREATE TABLE … AS
    case A.Type.Bool:
      return BOOLEAN;
    case A.Type.Int:
      return intType(t as A.Int);
    case A.Type.Float:
      return (t as A.Float).precision === A.Precision.DOUBLE ? DOUBLE : FLOAT;
    case A.Type.Decimal: {
      const d = t as A.Decimal;
      if (d.precision < 1 || d.precision > MAX_DECIMAL_DIGITS || d.scale < 0 || d.scale > d.precision) {
        throw unsupported(where, t, `does not fit DuckDB's DECIMAL (1 to ${MAX_DECIMAL_DIGITS} digits, scale 0 to precision)`);
      }
      return DECIMAL(d.precision, d.scale);
    }
    case A.Type.Utf8:
    case A.Type.LargeUtf8:
    case A.Type.Utf8View:
      return VARCHAR;
    case A.Type.Binary:
    case A.Type.LargeBinary:
    case A.Type.FixedSizeBinary:
    case A.Type.BinaryView:
      return BLOB;
    case A.Type.Date:
      return DATE;
    case A.Type.Time:
      return (t as A.Time).unit === A.TimeUnit.NANOSECOND ? TIME_NS : TIME;
    case A.Type.Timestamp:
      return timestampType(t as A.Timestamp);
    case A.Type.Interval:
    case A.Type.Duration:
      return INTERVAL;
    case A.Type.List:
    case A.Type.LargeList:
      return LIST(duckdbTypeOfField(t.children[0] as A.Field, `${where}[]`));
    case A.Type.FixedSizeList: {
      const l = t as A.FixedSizeList;
      if (l.listSize < 1) throw unsupported(where, t, 'has no elements, which DuckDB ARRAY cannot hold');
      return ARRAY(duckdbTypeOfField(l.children[0], `${where}[]`), l.listSize);
    }
    case A.Type.Struct: {
      const fields = (t as A.Struct).children;
      if (fields.length === 0) throw unsupported(where, t, 'has no fields, which DuckDB STRUCT cannot hold');
      const entries: Record<string, DuckDBType> = {};
      for (const f of fields) {
        if (f.name in entries) throw unsupported(where, t, `has two fields named ${quoteIdent(f.name)}`);
        entries[f.name] = duckdbTypeOfField(f, `${where}.${f.name}`);
      }
      return STRUCT(entries);
    }
    case A.Type.Map: {
      const [key, value] = (t as A.Map_).children[0].type.children as A.Field[];
      return MAP(duckdbTypeOfField(key, `${where}.key`), duckdbTypeOfField(value, `${where}.value`));
    }
    case A.Type.Dictionary: {
      const values = (t as A.Dictionary).dictionary;
      if (!isGatherable(values)) throw unsupported(where, t, 'has a dictionary type Skein cannot decode');
      return duckdbTypeOfArrow(values, where);
    }
    default:
      throw unsupported(where, t);
  }
}

/** The column type as DuckDB SQL; struct field names are quoted with the one quoting helper. */
export function typeSql(t: DuckDBType): string {
  if (t.alias) return t.alias; // only JSON_TYPE has one
  switch (t.typeId) {
    case DuckDBTypeId.LIST:
      return `${typeSql((t as DuckDBListType).valueType)}[]`;
    case DuckDBTypeId.ARRAY: {
      const a = t as DuckDBArrayType;
      return `${typeSql(a.valueType)}[${a.length}]`;
    }
    case DuckDBTypeId.STRUCT: {
      const s = t as DuckDBStructType;
      return `STRUCT(${s.entryNames.map((n, i) => `${quoteIdent(n)} ${typeSql(s.entryTypes[i])}`).join(', ')})`;
    }
    case DuckDBTypeId.MAP: {
      const m = t as DuckDBMapType;
      return `MAP(${typeSql(m.keyType)}, ${typeSql(m.valueType)})`;
    }
    case DuckDBTypeId.DECIMAL: {
      const d = t as DuckDBDecimalType;
      return `DECIMAL(${d.width}, ${d.scale})`;
    }
    default:
      return t.toString();
  }
}
