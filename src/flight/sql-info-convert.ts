// SQL_SUPPORTS_CONVERT (SqlInfo 517) probed from DuckDB itself: for each pair of the JDBC types
// Flight SQL names, whether DuckDB has an explicit CAST between the DuckDB types they stand for.
import { DuckDBConnection } from '@duckdb/node-api';

/** SqlSupportsConvert id → the DuckDB type it stands for and a literal of that type. */
const CONVERT_TYPES: ReadonlyArray<[number, string, string]> = [
  [0, 'BIGINT', '1::BIGINT'],
  [1, 'BLOB', "'\\x01'::BLOB"], // BINARY
  [2, 'BOOLEAN', 'true'], // BIT
  [3, 'VARCHAR', "'1'"], // CHAR
  [4, 'DATE', "DATE '2024-01-02'"],
  [5, 'DECIMAL(18,3)', '1.5::DECIMAL(18,3)'],
  [6, 'DOUBLE', '1.5::DOUBLE'], // FLOAT is double precision in JDBC
  [7, 'INTEGER', '1::INTEGER'],
  [8, 'INTERVAL', "INTERVAL '1 day 2 hours'"], // INTERVAL_DAY_TIME
  [9, 'INTERVAL', "INTERVAL '1 year 2 months'"], // INTERVAL_YEAR_MONTH
  [10, 'BLOB', "'\\x01'::BLOB"], // LONGVARBINARY
  [11, 'VARCHAR', "'1'"], // LONGVARCHAR
  [12, 'DECIMAL(18,3)', '1.5::DECIMAL(18,3)'], // NUMERIC
  [13, 'FLOAT', '1.5::FLOAT'], // REAL
  [14, 'SMALLINT', '1::SMALLINT'],
  [15, 'TIME', "TIME '10:11:12'"],
  [16, 'TIMESTAMP', "TIMESTAMP '2024-01-02 10:11:12'"],
  [17, 'TINYINT', '1::TINYINT'],
  [18, 'BLOB', "'\\x01'::BLOB"], // VARBINARY
  [19, 'VARCHAR', "'1'"],
];

/** True unless DuckDB has no cast at all; a value the target cannot hold still means "supported". */
async function castExists(conn: DuckDBConnection, literal: string, target: string): Promise<boolean> {
  try {
    await conn.runAndReadAll(`SELECT CAST(${literal} AS ${target})`);
    return true;
  } catch (e) {
    return !/Unimplemented type for cast/i.test(String((e as Error).message ?? e));
  }
}

/** The SqlSupportsConvert map: from-type id → the ids it can be CAST to (itself included). */
export async function supportedConversions(conn: DuckDBConnection): Promise<Record<number, number[]>> {
  const byPair = new Map<string, boolean>();
  const out: Record<number, number[]> = {};
  for (const [from, fromType, literal] of CONVERT_TYPES) {
    const to: number[] = [];
    for (const [id, target] of CONVERT_TYPES) {
      const key = `${fromType}->${target}`;
      let ok = byPair.get(key);
      if (ok === undefined) {
        ok = fromType === target || (await castExists(conn, literal, target));
        byPair.set(key, ok);
      }
      if (ok) to.push(id);
    }
    out[from] = to;
  }
  return out;
}
