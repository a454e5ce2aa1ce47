// DuckDB logical types → Arrow types, following DuckDB's own Arrow export (the `duckdb` Python
// package's to_arrow_table with default settings), so an answer through Skein has exactly DuckDB's types.
import * as A from 'apache-arrow';
import {
  DuckDBArrayType,
  DuckDBDecimalType,
  DuckDBEnumType,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  DuckDBType,
  DuckDBTypeId,
  DuckDBUnionType,
} from '@duckdb/node-api';

/** Assigns dictionary ids in schema order, so the schema and the dictionary batches agree. */
export class DictionaryIds {
  private next = 0;
  take(): number {
    return this.next++;
  }
}

const OPAQUE_EXTENSION = 'arrow.opaque';

/**
 * DuckDB names the child of a fixed-size list "". apache-arrow leaves a falsy name out of the IPC
 * schema, which the Java reader then sees as null (and fails on); an empty byte array is written
 * as a present, empty name (flatbuffers takes bytes as UTF-8).
 */
const EMPTY_NAME = new Uint8Array(0) as unknown as string;

export function arrowTypeOf(t: DuckDBType, timeZone: string, dicts: DictionaryIds): A.DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new A.Bool();
    case DuckDBTypeId.TINYINT:
      return new A.Int8();
    case DuckDBTypeId.SMALLINT:
      return new A.Int16();
    case DuckDBTypeId.INTEGER:
      return new A.Int32();
    case DuckDBTypeId.BIGINT:
      return new A.Int64();
    case DuckDBTypeId.UTINYINT:
      return new A.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new A.Uint16();
    case DuckDBTypeId.UINTEGER:
      return new A.Uint32();
    case DuckDBTypeId.UBIGINT:
      return new A.Uint64();
    case DuckDBTypeId.FLOAT:
      return new A.Float32();
    case DuckDBTypeId.DOUBLE:
      return new A.Float64();
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return new A.Decimal(0, 38, 128);
    case DuckDBTypeId.DECIMAL: {
      const d = t as DuckDBDecimalType;
      return new A.Decimal(d.scale, d.width, 128);
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.UUID:
      return new A.Utf8();
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
      return new A.Binary();
    case DuckDBTypeId.DATE:
      return new A.DateDay();
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_TZ:
      return new A.TimeMicrosecond();
    case DuckDBTypeId.TIME_NS:
      return new A.TimeNanosecond();
    case DuckDBTypeId.TIMESTAMP:
      return new A.TimestampMicrosecond();
    case DuckDBTypeId.TIMESTAMP_S:
      return new A.TimestampSecond();
    case DuckDBTypeId.TIMESTAMP_MS:
      return new A.TimestampMillisecond();
    case DuckDBTypeId.TIMESTAMP_NS:
      return new A.TimestampNanosecond();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new A.TimestampMicrosecond(timeZone);
    case DuckDBTypeId.INTERVAL:
      return new A.IntervalMonthDayNano();
    case DuckDBTypeId.ENUM: {
      const e = t as DuckDBEnumType;
      return new A.Dictionary(new A.Utf8(), enumIndexType(e), dicts.take(), false);
    }
    case DuckDBTypeId.LIST: {
      const l = t as DuckDBListType;
      return new A.List(new A.Field('l', arrowTypeOf(l.valueType, timeZone, dicts), true));
    }
    case DuckDBTypeId.ARRAY: {
      const a = t as DuckDBArrayType;
      return new A.FixedSizeList(a.length, new A.Field(EMPTY_NAME, arrowTypeOf(a.valueType, timeZone, dicts), true));
    }
    case DuckDBTypeId.STRUCT: {
      const s = t as DuckDBStructType;
      return new A.Struct(
        s.entryNames.map((n, i) => new A.Field(n, arrowTypeOf(s.entryTypes[i], timeZone, dicts), true)),
      );
    }
    case DuckDBTypeId.MAP: {
      const m = t as DuckDBMapType;
      const entries = new A.Struct([
        new A.Field('key', arrowTypeOf(m.keyType, timeZone, dicts), false),
        new A.Field('value', arrowTypeOf(m.valueType, timeZone, dicts), true),
      ]);
      return new A.Map_(new A.Field('entries', entries, false), false);
    }
    case DuckDBTypeId.UNION: {
      const u = t as DuckDBUnionType;
      const children = u.memberTags.map(
        (n, i) => new A.Field(n, arrowTypeOf(u.memberTypes[i], timeZone, dicts), true),
      );
      return new A.SparseUnion(
        children.map((_, i) => i),
        children,
      );
    }
    case DuckDBTypeId.SQLNULL:
      return new A.Null();
    default:
      // GEOMETRY, VARIANT and anything newer travel as their DuckDB text form.
      return new A.Utf8();
  }
}

export function enumIndexType(e: DuckDBEnumType): A.Uint8 | A.Uint16 | A.Uint32 {
  switch (e.internalTypeId) {
    case DuckDBTypeId.UTINYINT:
      return new A.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new A.Uint16();
    default:
      return new A.Uint32();
  }
}

/** Field metadata DuckDB attaches (BIGNUM is an opaque extension type over binary). */
export function fieldMetadataOf(t: DuckDBType): Map<string, string> | undefined {
  if (t.typeId === DuckDBTypeId.BIGNUM) {
    return new Map([
      ['ARROW:extension:name', OPAQUE_EXTENSION],
      ['ARROW:extension:metadata', '{"type_name":"bignum","vendor_name":"DuckDB"}'],
    ]);
  }
  return undefined;
}

export function arrowSchemaOf(
  names: readonly string[],
  types: readonly DuckDBType[],
  timeZone: string,
): A.Schema {
  const dicts = new DictionaryIds();
  const fields = names.map(
    (n, i) => new A.Field(n, arrowTypeOf(types[i], timeZone, dicts), true, fieldMetadataOf(types[i])),
  );
  return new A.Schema(fields);
}
