// CommandGetXdbcTypeInfo data: DuckDB's SQL types described for ODBC/JDBC tools (XdbcDataType codes,
// sizes, literal syntax, searchability), ordered by data type then name as the spec asks.
import * as A from 'apache-arrow';
import { batchOf, XDBC_TYPE_INFO_SCHEMA } from './metadata-schemas';

// XdbcDataType / XdbcDatetimeSubcode values from FlightSql.proto
const X = {
  DECIMAL: 3, INTEGER: 4, SMALLINT: 5, REAL: 7, DOUBLE: 8, DATETIME: 9, INTERVAL: 10, VARCHAR: 12,
  DATE: 91, TIME: 92, TIMESTAMP: 93, VARBINARY: -3, BIGINT: -5, TINYINT: -6, BIT: -7, NUMERIC: 2,
} as const;
const SEARCH_BASIC = 2;
const SEARCH_FULL = 3;

interface TypeRow {
  name: string;
  dataType: number;
  size: number | null;
  prefix?: string;
  suffix?: string;
  params?: string[];
  caseSensitive?: boolean;
  searchable?: number;
  unsigned?: boolean | null;
  fixedPrecScale?: boolean;
  minScale?: number | null;
  maxScale?: number | null;
  sqlDataType?: number;
  subcode?: number | null;
  radix?: number | null;
}

const num = (name: string, dataType: number, size: number, unsigned = false): TypeRow => ({
  name, dataType, size, unsigned, radix: 10, minScale: 0, maxScale: 0,
});

const ROWS: TypeRow[] = [
  { name: 'BOOLEAN', dataType: X.BIT, size: 1, unsigned: null },
  num('TINYINT', X.TINYINT, 3),
  num('UTINYINT', X.TINYINT, 3, true),
  num('BIGINT', X.BIGINT, 19),
  num('UBIGINT', X.BIGINT, 20, true),
  num('HUGEINT', X.NUMERIC, 39),
  num('UHUGEINT', X.NUMERIC, 39, true),
  { name: 'DECIMAL', dataType: X.DECIMAL, size: 38, params: ['precision', 'scale'], unsigned: false, fixedPrecScale: true, minScale: 0, maxScale: 38, radix: 10 },
  num('INTEGER', X.INTEGER, 10),
  num('UINTEGER', X.INTEGER, 10, true),
  num('SMALLINT', X.SMALLINT, 5),
  num('USMALLINT', X.SMALLINT, 5, true),
  { name: 'FLOAT', dataType: X.REAL, size: 24, unsigned: false, radix: 2 },
  { name: 'DOUBLE', dataType: X.DOUBLE, size: 53, unsigned: false, radix: 2 },
  { name: 'INTERVAL', dataType: X.INTERVAL, size: null, prefix: "INTERVAL '", suffix: "'", sqlDataType: X.INTERVAL },
  { name: 'UUID', dataType: X.VARCHAR, size: 36, prefix: "'", suffix: "'::UUID" },
  { name: 'VARCHAR', dataType: X.VARCHAR, size: null, prefix: "'", suffix: "'", caseSensitive: true, searchable: SEARCH_FULL },
  { name: 'DATE', dataType: X.DATE, size: 10, prefix: "DATE '", suffix: "'", sqlDataType: X.DATETIME, subcode: 1 },
  { name: 'TIME', dataType: X.TIME, size: 15, prefix: "TIME '", suffix: "'", sqlDataType: X.DATETIME, subcode: 2 },
  { name: 'TIMESTAMP', dataType: X.TIMESTAMP, size: 26, prefix: "TIMESTAMP '", suffix: "'", sqlDataType: X.DATETIME, subcode: 3 },
  { name: 'TIMESTAMP WITH TIME ZONE', dataType: X.TIMESTAMP, size: 32, prefix: "TIMESTAMPTZ '", suffix: "'", sqlDataType: X.DATETIME, subcode: 5 },
  { name: 'BLOB', dataType: X.VARBINARY, size: null, prefix: "'", suffix: "'::BLOB" },
].sort((a, b) => a.dataType - b.dataType || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export function xdbcTypeInfo(dataType: number | undefined): A.RecordBatch {
  const rows = ROWS.filter((r) => dataType === undefined || r.dataType === dataType);
  const col = <T>(f: (r: TypeRow) => T): T[] => rows.map(f);
  return batchOf(XDBC_TYPE_INFO_SCHEMA, [
    col((r) => r.name),
    col((r) => r.dataType),
    col((r) => r.size),
    col((r) => r.prefix ?? null),
    col((r) => r.suffix ?? null),
    col((r) => r.params ?? null),
    col(() => 1), // nullable
    col((r) => r.caseSensitive ?? false),
    col((r) => r.searchable ?? SEARCH_BASIC),
    col((r) => (r.unsigned === undefined ? null : r.unsigned)),
    col((r) => r.fixedPrecScale ?? false),
    col(() => false), // auto increment
    col((r) => r.name),
    col((r) => r.minScale ?? null),
    col((r) => r.maxScale ?? null),
    col((r) => r.sqlDataType ?? r.dataType),
    col((r) => r.subcode ?? null),
    col((r) => r.radix ?? null),
    col(() => null),
  ]);
}
