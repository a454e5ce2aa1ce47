// Chooses the appender for a column from its DuckDB type and the Arrow type chosen for it, and
// knows each type's fixed width (used for raw copies and batch sizing).
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
import {
  Appender,
  BoolAppender,
  decimalAppender,
  FixedAppender,
  intervalAppender,
  StringAppender,
  TextAppender,
  timeTzAppender,
  UuidAppender,
} from './column-appenders';
import { FixedListAppender, ListAppender, NullAppender, StructAppender, UnionAppender } from './nested-appenders';

export const FIXED_WIDTH: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.TINYINT]: 1,
  [DuckDBTypeId.UTINYINT]: 1,
  [DuckDBTypeId.SMALLINT]: 2,
  [DuckDBTypeId.USMALLINT]: 2,
  [DuckDBTypeId.INTEGER]: 4,
  [DuckDBTypeId.UINTEGER]: 4,
  [DuckDBTypeId.FLOAT]: 4,
  [DuckDBTypeId.DATE]: 4,
  [DuckDBTypeId.BIGINT]: 8,
  [DuckDBTypeId.UBIGINT]: 8,
  [DuckDBTypeId.DOUBLE]: 8,
  [DuckDBTypeId.TIME]: 8,
  [DuckDBTypeId.TIME_NS]: 8,
  [DuckDBTypeId.TIMESTAMP]: 8,
  [DuckDBTypeId.TIMESTAMP_S]: 8,
  [DuckDBTypeId.TIMESTAMP_MS]: 8,
  [DuckDBTypeId.TIMESTAMP_NS]: 8,
  [DuckDBTypeId.TIMESTAMP_TZ]: 8,
  [DuckDBTypeId.HUGEINT]: 16,
  [DuckDBTypeId.UHUGEINT]: 16,
};

/** Bytes DuckDB stores a DECIMAL of this precision in (its physical type: SMALLINT, INTEGER, BIGINT, HUGEINT). */
export function decimalStorageWidth(precision: number): 2 | 4 | 8 | 16 {
  return precision <= 4 ? 2 : precision <= 9 ? 4 : precision <= 18 ? 8 : 16;
}

/** Bytes per row a column costs in Arrow, for sizing batches (variable parts measured separately). */
export function fixedBytesPerRow(t: DuckDBType): number {
  const w = FIXED_WIDTH[t.typeId];
  if (w !== undefined) return w;
  switch (t.typeId) {
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.INTERVAL:
      return 16;
    case DuckDBTypeId.BOOLEAN:
      return 1;
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
      return 4;
    case DuckDBTypeId.UUID:
      return 40;
    case DuckDBTypeId.ENUM:
      return 4;
    default:
      return 32;
  }
}

/** Makes the appender for one column, given its DuckDB type and the Arrow type chosen for it. */
export function makeAppender(duck: DuckDBType, arrow: A.DataType, hint: number): Appender {
  const w = FIXED_WIDTH[duck.typeId];
  if (w !== undefined) return new FixedAppender(arrow, w, hint);
  switch (duck.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new BoolAppender();
    case DuckDBTypeId.DECIMAL: {
      const w = decimalStorageWidth((duck as DuckDBDecimalType).width);
      return w === 16 ? new FixedAppender(arrow, 16, hint) : decimalAppender(arrow, w, hint);
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
      return new StringAppender(arrow as A.Utf8 | A.Binary, hint);
    case DuckDBTypeId.UUID:
      return new UuidAppender(new A.Utf8(), hint);
    case DuckDBTypeId.INTERVAL:
      return intervalAppender(hint);
    case DuckDBTypeId.TIME_TZ:
      return timeTzAppender(hint);
    case DuckDBTypeId.ENUM: {
      const e = duck as DuckDBEnumType;
      const dictType = arrow as A.Dictionary;
      const width = dictType.indices.bitWidth / 8;
      const values = A.vectorFromArray([...e.values], new A.Utf8());
      return new FixedAppender(arrow, width, hint, values);
    }
    case DuckDBTypeId.LIST: {
      const l = arrow as A.List;
      return new ListAppender(l, makeAppender((duck as DuckDBListType).valueType, l.children[0].type, hint));
    }
    case DuckDBTypeId.MAP: {
      const m = arrow as A.Map_;
      const mt = duck as DuckDBMapType;
      const entries = m.children[0].type as A.Struct;
      const child = new StructAppender(entries, [
        makeAppender(mt.keyType, entries.children[0].type, hint),
        makeAppender(mt.valueType, entries.children[1].type, hint),
      ]);
      return new ListAppender(m, child);
    }
    case DuckDBTypeId.ARRAY: {
      const f = arrow as A.FixedSizeList;
      return new FixedListAppender(f, makeAppender((duck as DuckDBArrayType).valueType, f.children[0].type, hint));
    }
    case DuckDBTypeId.STRUCT: {
      const s = arrow as A.Struct;
      const st = duck as DuckDBStructType;
      return new StructAppender(
        s,
        st.entryTypes.map((t, i) => makeAppender(t, s.children[i].type, hint)),
      );
    }
    case DuckDBTypeId.UNION: {
      const u = arrow as A.SparseUnion;
      const ut = duck as DuckDBUnionType;
      return new UnionAppender(
        u,
        ut.memberTypes.map((t, i) => makeAppender(t, u.children[i].type, hint)),
      );
    }
    case DuckDBTypeId.SQLNULL:
      return new NullAppender();
    default:
      return new TextAppender(duck, hint);
  }
}
