import { Database } from '../../../src/duckdb/database';
import { databaseSqlInfo, DatabaseSqlInfo } from '../../../src/flight/sql-info-database';

// SqlSupportsConvert ids used below.
const BIGINT = 0, BINARY = 1, BIT = 2, CHAR = 3, DATE = 4, DECIMAL = 5, INTEGER = 7, INTERVAL_DAY_TIME = 8;
const TIME = 15, TIMESTAMP = 16, VARBINARY = 18, VARCHAR = 19;

describe('SqlInfo read from DuckDB', () => {
  let db: Database;
  let info: DatabaseSqlInfo;

  beforeAll(async () => {
    db = await Database.open({ path: ':memory:' });
    info = await databaseSqlInfo(db);
  });
  afterAll(async () => db.close());

  test('is read once per database', async () => {
    expect(await databaseSqlInfo(db)).toBe(info);
  });

  test('keywords are every DuckDB keyword, upper case and sorted', async () => {
    const all = await db.withConnection(async (c) =>
      (await c.runAndReadAll('SELECT DISTINCT upper(keyword_name) FROM duckdb_keywords() ORDER BY 1')).getRows(),
    );
    expect(info.keywords).toEqual(all.map((r) => r[0]));
    expect(info.keywords).toEqual(expect.arrayContaining(['SELECT', 'FROM', 'QUALIFY', 'PIVOT']));
  });

  test('functions land in the families a BI tool expects', () => {
    expect(info.numericFunctions).toEqual(expect.arrayContaining(['ABS', 'CEILING', 'FLOOR', 'LOG10', 'PI', 'POWER', 'ROUND', 'SQRT']));
    expect(info.stringFunctions).toEqual(expect.arrayContaining(['CONCAT', 'LOWER', 'LTRIM', 'REPLACE', 'SUBSTRING', 'UPPER', 'CHR']));
    expect(info.datetimeFunctions).toEqual(
      expect.arrayContaining(['CURRENT_DATE', 'CURRENT_TIMESTAMP', 'DATE_TRUNC', 'DAYNAME', 'EXTRACT', 'NOW', 'YEAR']),
    );
    expect(info.systemFunctions).toEqual(
      expect.arrayContaining(['COALESCE', 'CURRENT_DATABASE', 'CURRENT_SCHEMA', 'IFNULL', 'TYPEOF', 'VERSION']),
    );
    // arithmetic that also takes dates is not a date function; JSON and list helpers are not string functions
    for (const name of ['ADD', 'RANGE', 'ISINF']) expect(info.datetimeFunctions).not.toContain(name);
    for (const name of ['JSON_EXTRACT_STRING', 'LIST_EXTRACT', 'GREATEST']) expect(info.stringFunctions).not.toContain(name);
  });

  test('the four function families are sorted and disjoint', () => {
    const lists = [info.numericFunctions, info.stringFunctions, info.systemFunctions, info.datetimeFunctions];
    for (const l of lists) expect(l).toEqual([...l].sort());
    const all = lists.flat();
    expect(new Set(all).size).toBe(all.length);
  });

  test('NULL ordering follows default_null_order (nulls last)', () => {
    expect(info.nullOrdering).toBe(3);
  });

  test('conversions are the CASTs DuckDB has', () => {
    const c = info.conversions;
    expect(Object.keys(c).map(Number).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(c[VARCHAR]).toEqual(expect.arrayContaining([BIGINT, DATE, TIME, TIMESTAMP, INTERVAL_DAY_TIME, VARBINARY]));
    expect(c[INTEGER]).toEqual(expect.arrayContaining([BIGINT, BIT, CHAR, DECIMAL, VARCHAR]));
    expect(c[DATE]).toEqual(expect.arrayContaining([DATE, TIMESTAMP, VARCHAR]));
    expect(c[DATE]).not.toContain(INTEGER);
    expect(c[TIME]).not.toContain(TIMESTAMP);
    expect(c[INTEGER]).not.toContain(BINARY);
    expect(c[BINARY]).toEqual(expect.arrayContaining([BINARY, VARBINARY, VARCHAR]));
    for (const [from, to] of Object.entries(c)) expect(to).toContain(Number(from));
  });
});
