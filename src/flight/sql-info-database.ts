// SqlInfo entries read from the running DuckDB instead of written down: its keywords, its scalar
// functions sorted into the JDBC/ODBC families (numeric, string, system, date/time), its NULL
// ordering and the CASTs it supports. Read once per database, on the first GetSqlInfo.
import { Database } from '../duckdb/database';
import { duckdbError } from '../duckdb/errors';
import { supportedConversions } from './sql-info-convert';

export interface DatabaseSqlInfo {
  keywords: string[];
  numericFunctions: string[];
  stringFunctions: string[];
  systemFunctions: string[];
  datetimeFunctions: string[];
  /** SqlNullOrdering: HIGH 0, LOW 1, AT_START 2, AT_END 3. */
  nullOrdering: number;
  /** SqlSupportsConvert id → ids it can be CAST to. */
  conversions: Record<number, number[]>;
}

// Names the parser turns into expressions, so duckdb_functions() does not list them.
const SYNTAX_SYSTEM = ['COALESCE', 'IFNULL'];
const SYNTAX_DATETIME = ['CURRENT_TIME', 'CURRENT_TIMESTAMP', 'EXTRACT', 'LOCALTIME', 'LOCALTIMESTAMP'];

// System functions have no telling signature: every current_* that is not a date/time plus these.
const SYSTEM_NAMES = [
  'currval', 'error', 'gen_random_uuid', 'getvariable', 'hash', 'in_search_path', 'nextval', 'nullif',
  'session_user', 'txid_current', 'typeof', 'user', 'uuid', 'version',
];

const NUMERIC_TYPES = [
  'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT',
  'UHUGEINT', 'FLOAT', 'DOUBLE', 'DECIMAL',
];
const TEMPORAL_TYPES = [
  'DATE', 'TIME', 'TIME_NS', 'TIME WITH TIME ZONE', 'TIMESTAMP', 'TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS',
  'TIMESTAMP WITH TIME ZONE', 'INTERVAL',
];

const sqlList = (items: string[]): string => `[${items.map((s) => `'${s}'`).join(', ')}]`;

/**
 * One row per function name with its family. A name is date/time if every overload takes or returns
 * a temporal type (that rules out +, range and isinf); numeric if every overload maps numbers to a
 * number or a flag; string if an overload maps a VARCHAR (or a number) to text, or DuckDB files it
 * under string/regex. Operators, collations and generic helpers (json_, list_, …) are left out.
 */
const FUNCTIONS_SQL = `
WITH f AS (
  SELECT function_name AS name, function_type AS kind, parameter_types AS p, return_type AS r,
         coalesce(categories, []) AS cats,
         list_transform(list_append(parameter_types, return_type), x -> regexp_replace(x, '\\(.*', '')) AS ts
  FROM duckdb_functions()
  WHERE database_name = 'system' AND schema_name = 'main' AND function_type IN ('scalar', 'macro')
    AND regexp_full_match(function_name, '[a-z][a-z0-9_]*') AND NOT starts_with(function_name, 'icu_')
), g AS (
  SELECT name,
    bool_or(kind = 'scalar') AS scalar,
    bool_or(list_has_any(ts, ${sqlList(TEMPORAL_TYPES)})) AS temporal,
    bool_and(list_has_any(ts, ${sqlList(TEMPORAL_TYPES)})) AS only_temporal,
    bool_and(kind = 'scalar' AND len(list_filter(p, x -> NOT list_contains(${sqlList(NUMERIC_TYPES)}, x))) = 0
      AND list_contains(${sqlList([...NUMERIC_TYPES, 'BOOLEAN'])}, ts[-1])) AS all_numeric,
    bool_or(len(p) > 0) AS has_params,
    bool_or(len(p) > 0 AND (
      p[1] = 'VARCHAR' AND r IN ('VARCHAR', 'VARCHAR[]', 'BOOLEAN', 'BIGINT', 'INTEGER', 'UBIGINT')
      OR r = 'VARCHAR' AND list_contains(${sqlList(NUMERIC_TYPES)}, ts[1]))
      OR list_has_any(cats, ['string', 'regex']) AND NOT list_has_any(cats, ['date', 'timestamp'])) AS stringy
  FROM f GROUP BY name
), c AS (
  SELECT upper(name) AS name, CASE
    WHEN NOT temporal AND (starts_with(name, 'current_') OR list_contains(${sqlList(SYSTEM_NAMES)}, name))
      THEN 'system'
    WHEN NOT scalar THEN NULL
    WHEN only_temporal THEN 'datetime'
    WHEN temporal THEN NULL
    WHEN all_numeric AND (has_params OR name IN ('pi', 'random')) THEN 'numeric'
    WHEN stringy AND NOT all_numeric AND NOT regexp_matches(name, '^(json|list|array|map|struct)_') THEN 'string'
  END AS family
  FROM g
)
SELECT family, list(name ORDER BY name) FROM c WHERE family IS NOT NULL GROUP BY family`;

/** DuckDB's default_null_order setting as a SqlNullOrdering value. */
function nullOrderingOf(setting: string): number {
  switch (setting.toLowerCase()) {
    case 'nulls_first':
      return 2;
    case 'nulls_first_on_asc_last_on_desc':
      return 1;
    case 'nulls_last_on_asc_first_on_desc':
      return 0;
    default:
      return 3; // nulls_last, DuckDB's default
  }
}

const merged = (a: string[], b: string[]): string[] => [...new Set([...a, ...b])].sort();

async function read(db: Database): Promise<DatabaseSqlInfo> {
  return db.withConnection(async (conn) => {
    try {
      const keywords = (
        await conn.runAndReadAll('SELECT DISTINCT upper(keyword_name) FROM duckdb_keywords() ORDER BY 1')
      ).getRows().map((row) => String(row[0]));
      const families = new Map<string, string[]>();
      for (const [family, names] of (await conn.runAndReadAll(FUNCTIONS_SQL)).getRowsJS() as [string, string[]][]) {
        families.set(family, names);
      }
      const nullOrder = (await conn.runAndReadAll("SELECT current_setting('default_null_order')")).getRows()[0][0];
      return {
        keywords,
        numericFunctions: families.get('numeric') ?? [],
        stringFunctions: families.get('string') ?? [],
        systemFunctions: merged(families.get('system') ?? [], SYNTAX_SYSTEM),
        datetimeFunctions: merged(families.get('datetime') ?? [], SYNTAX_DATETIME),
        nullOrdering: nullOrderingOf(String(nullOrder)),
        conversions: await supportedConversions(conn),
      };
    } catch (e) {
      throw duckdbError(e);
    }
  });
}

const cache = new WeakMap<Database, Promise<DatabaseSqlInfo>>();

/** The database's SqlInfo entries, read on first use; a failed read is retried next time. */
export function databaseSqlInfo(db: Database): Promise<DatabaseSqlInfo> {
  let p = cache.get(db);
  if (!p) {
    p = read(db);
    cache.set(db, p);
    p.catch(() => cache.delete(db));
  }
  return p;
}
