// The SqlInfo entries Skein reports (ids from FlightSql.proto's SqlInfo enum). Only standard ids,
// because the JDBC driver cannot key an unknown id. Transactions, cancellation and bulk ingestion
// are reported as unsupported until the server implements them: clients change behaviour on them.
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
const list = (value: string[]): SqlInfoValue => ({ kind: 'strings', value });

function arrowVersion(): string {
  try {
    const main = require.resolve('apache-arrow');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

const NUMERIC = 'abs,acos,asin,atan,atan2,cbrt,ceil,ceiling,cos,cot,degrees,even,exp,factorial,floor,gcd,greatest,lcm,least,ln,log,log10,log2,mod,pi,pow,power,radians,random,round,sign,sin,sqrt,tan,trunc';
const STRING = 'ascii,chr,concat,concat_ws,contains,ends_with,format,instr,lcase,left,length,like_escape,lower,lpad,ltrim,md5,position,regexp_extract,regexp_matches,regexp_replace,repeat,replace,reverse,right,rpad,rtrim,split_part,starts_with,strpos,substr,substring,trim,ucase,upper';
const SYSTEM = 'coalesce,current_catalog,current_database,current_schema,current_setting,current_user,ifnull,nullif,typeof,version';
const DATETIME = 'age,current_date,current_time,current_timestamp,date_add,date_diff,date_part,date_sub,date_trunc,datediff,datepart,datetrunc,day,dayname,dayofweek,dayofyear,epoch,epoch_ms,extract,hour,last_day,make_date,make_time,make_timestamp,minute,month,monthname,now,quarter,second,strftime,strptime,time_bucket,to_timestamp,today,week,year';

// SqlSupportsConvert ids: BIGINT 0, BINARY 1, BIT 2, CHAR 3, DATE 4, DECIMAL 5, FLOAT 6, INTEGER 7,
// INTERVAL_DAY_TIME 8, INTERVAL_YEAR_MONTH 9, LONGVARBINARY 10, LONGVARCHAR 11, NUMERIC 12, REAL 13,
// SMALLINT 14, TIME 15, TIMESTAMP 16, TINYINT 17, VARBINARY 18, VARCHAR 19
const NUMBERS = [0, 2, 3, 5, 6, 7, 11, 12, 13, 14, 17, 19];
const CONVERT: Record<number, number[]> = {
  0: NUMBERS, 2: NUMBERS, 5: NUMBERS, 6: NUMBERS, 7: NUMBERS, 12: NUMBERS, 13: NUMBERS, 14: NUMBERS, 17: NUMBERS,
  3: [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  19: [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  11: [3, 11, 19],
  4: [3, 4, 11, 16, 19],
  15: [3, 11, 15, 19],
  16: [3, 4, 11, 15, 16, 19],
  1: [1, 10, 18, 3, 11, 19],
  18: [1, 10, 18, 3, 11, 19],
  10: [1, 10, 18],
};

export const SQL_INFO_STATIC: ReadonlyArray<[number, SqlInfoValue]> = [
  [0, s('Skein')],
  [1, s('0.0.0')],
  [2, s(arrowVersion())],
  [3, b(false)], // read only
  [4, b(true)], // SQL
  [5, b(false)], // Substrait
  [8, { kind: 'bitmask', value: 0 }], // transactions: none (yet)
  [9, b(false)], // CancelFlightInfo: clients cancel the gRPC call instead
  [10, b(false)], // bulk ingestion
  [11, b(false)],
  [100, { kind: 'bitmask', value: 0 }], // statement timeout ms (0 = none)
  [101, { kind: 'bitmask', value: 0 }],
  [500, b(false)], // DDL catalog
  [501, b(true)], // DDL schema
  [502, b(true)], // DDL table
  [503, n(1)], // identifier case: case-insensitive
  [504, s('"')],
  [505, n(1)], // quoted identifiers: case-insensitive too
  [506, b(true)],
  [507, n(3)], // NULLs sort at the end
  [509, list(NUMERIC.split(','))],
  [510, list(STRING.split(','))],
  [511, list(SYSTEM.split(','))],
  [512, list(DATETIME.split(','))],
  [513, s('\\')],
  [514, s('')],
  [515, b(true)], // column aliasing
  [516, b(true)], // NULL + NULL is NULL
  [517, { kind: 'map', value: CONVERT }],
  [518, b(true)], // table correlation names
  [519, b(false)],
  [520, b(true)], // expressions in ORDER BY
  [521, b(true)], // ORDER BY unrelated
  [522, bits(0, 1)], // GROUP BY unrelated, beyond select
  [523, b(true)], // LIKE escape
  [524, b(true)], // non-nullable columns
  [525, bits(0, 1, 2)], // SQL grammar minimum, core, extended
  [526, bits(0, 1)], // ANSI92 entry, intermediate
  [527, b(false)], // integrity enhancement facility
  [528, { kind: 'bitmask', value: 2 }], // outer joins: full
  [529, s('schema')],
  [530, s('procedure')],
  [531, s('catalog')],
  [532, b(true)], // catalog at start
  [533, bits(0, 1, 2)],
  [534, bits(0, 1, 2)],
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
  [562, n(4)], // default isolation: serializable (one statement per transaction)
  [563, b(false)], // transactions supported
  [564, { kind: 'bitmask', value: 0 }],
  [565, b(false)],
  [566, b(false)],
  [567, bits(1)], // result sets: forward only
  [568, bits(1)], [569, bits(1)], [570, bits(1)], [571, bits(1)], // read-only concurrency
  [572, b(true)], // batch updates
  [573, b(false)], // savepoints
  [574, b(false)], // named parameters
  [575, b(false)],
  [576, b(false)],
];
