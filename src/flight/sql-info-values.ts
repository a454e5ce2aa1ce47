// The SqlInfo entries Skein reports (ids from FlightSql.proto's SqlInfo enum). Only standard ids,
// because the JDBC driver cannot key an unknown id. Clients change behaviour on the capability
// entries (the Python DBAPI opens a transaction at connect when 8 says transactions exist).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type SqlInfoValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'bigint'; value: number }
  | { kind: 'bitmask'; value: number }
  | { kind: 'strings'; value: string[] }
  | { kind: 'map'; value: Record<number, number[]> };

const s = (value: string): SqlInfoValue => ({ kind: 'string', value });
const b = (value: boolean): SqlInfoValue => ({ kind: 'bool', value });
const n = (value: number): SqlInfoValue => ({ kind: 'bigint', value });
const bits = (...set: number[]): SqlInfoValue => ({ kind: 'bitmask', value: set.reduce((m, i) => m | (1 << i), 0) });

function arrowVersion(): string {
  try {
    const main = require.resolve('apache-arrow');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

// Read from the database instead (sql-info-database.ts): 507 NULL ordering, 508 keywords,
// 509–512 function lists, 517 supported CASTs.

export const SQL_INFO_STATIC: ReadonlyArray<[number, SqlInfoValue]> = [
  [0, s('Skein')],
  [1, s('0.0.0')],
  [2, s(arrowVersion())],
  [3, b(false)], // read only
  [4, b(true)], // SQL
  [5, b(false)], // Substrait
  [8, { kind: 'bitmask', value: 1 }], // transactions (SqlSupportedTransaction.TRANSACTION), no savepoints
  [9, b(true)], // CancelFlightInfo (and PollFlightInfo for long queries)
  [10, b(true)], // bulk ingestion (CommandStatementIngest)
  [11, b(true)], // ingest inside a transaction (a failure part-way rolls the transaction back)
  [100, { kind: 'bitmask', value: 0 }], // statement timeout ms (0 = none)
  [101, { kind: 'bitmask', value: 0 }],
  [500, b(false)], // DDL catalog
  [501, b(true)], // DDL schema
  [502, b(true)], // DDL table
  [503, n(1)], // identifier case: case-insensitive
  [504, s('"')],
  [505, n(1)], // quoted identifiers: case-insensitive too
  [506, b(true)],
  [513, s('\\')],
  [514, s('$')], // a$b is an unquoted identifier
  [515, b(true)], // column aliasing
  [516, b(true)], // NULL + NULL is NULL
  [518, b(true)], // table correlation names
  [519, b(false)],
  [520, b(true)], // expressions in ORDER BY
  [521, b(true)], // ORDER BY unrelated
  [522, bits(0, 1)], // GROUP BY unrelated, beyond select
  [523, b(true)], // LIKE escape
  [524, b(true)], // non-nullable columns
  [525, bits(0, 1, 2)], // SQL grammar minimum, core, extended
  [526, bits(0, 1)], // ANSI92 entry, intermediate
  [527, b(true)], // integrity enhancement: PRIMARY KEY, UNIQUE, FOREIGN KEY, CHECK, DEFAULT
  // Outer joins: limited and full. The proto calls this an ordinal, but the Java reference server,
  // the JDBC driver and the ODBC driver all treat it as a bitmask of SqlOuterJoinsSupportLevel.
  [528, bits(1, 2)],
  [529, s('schema')],
  [530, s('procedure')],
  [531, s('catalog')],
  [532, b(true)], // catalog at start
  [533, bits(1)], // schemas and catalogs name tables in CREATE INDEX; no procedures, no GRANT
  [534, bits(1)],
  [535, { kind: 'bitmask', value: 0 }], // positioned delete/update
  [536, b(false)], // SELECT FOR UPDATE
  [537, b(false)], // stored procedures
  [538, bits(0, 1, 2, 3)], // subqueries in comparisons, EXISTS, IN, quantified
  [539, b(true)], // correlated subqueries
  [540, bits(0, 1)], // UNION, UNION ALL
  [541, n(0)], [542, n(0)], [543, n(0)], [544, n(0)], [545, n(0)], [546, n(0)], [547, n(0)],
  [548, n(0)], [549, n(0)], [550, n(0)], [551, n(0)], [552, n(0)], [553, n(0)], [554, n(0)],
  [555, n(0)], [557, n(0)], [558, n(0)], [559, n(0)], [560, n(0)], [561, n(0)],
  [556, b(true)], // max row size includes blobs
  [562, n(4)], // default isolation: serializable (DuckDB's MVCC aborts conflicting commits)
  [563, b(true)], // transactions supported (BeginTransaction / EndTransaction)
  [564, bits(4)], // supported isolation levels: serializable only
  [565, b(false)],
  [566, b(false)],
  [567, bits(1)], // result sets: forward only
  [568, bits(1)], [569, bits(1)], // read-only concurrency for unspecified and forward-only results
  [570, bits()], [571, bits()], // scrollable results do not exist
  [572, b(true)], // batch updates
  [573, b(false)], // savepoints
  [574, b(false)], // named parameters
  [575, b(false)],
  [576, b(false)],
];
