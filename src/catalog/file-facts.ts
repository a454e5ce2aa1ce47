// What the catalog learns from inside a file: rows, row groups and per-column min/max/null counts
// from Parquet footers (DuckDB's parquet_schema / parquet_metadata), row counts of CSV/JSON files.
import { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from '../duckdb/sql';
import { ColumnStats, FileFormat, RowGroupStats } from './catalog';

export interface FileFacts {
  rows: number;
  /** The file's own top-level columns and DuckDB types (empty for CSV/JSON). */
  types: Record<string, string>;
  columns: Record<string, ColumnStats>;
  rowGroups: RowGroupStats[];
  /** Compressed bytes per top-level column (Parquet). */
  columnBytes?: Record<string, number>;
}

/**
 * Types whose footer min/max DuckDB can turn back into a value: anything else (nested, INTERVAL,
 * GEOMETRY…) gets no stats. Type names come from DuckDB, and only these ever reach the SQL text.
 */
const STATS_TYPE =
  /^(BOOLEAN|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\)|VARCHAR|BLOB|UUID|DATE|TIME|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$/;

const list = (paths: readonly string[]): string => `[${paths.map((p) => quoteLiteral(p)).join(', ')}]`;

async function rowsOf(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

interface SchemaRow {
  file: string;
  name: string;
  type: string | null;
  children: number;
}

/** Top-level columns per file: parquet_schema lists the schema tree in pre-order under a root. */
async function topLevelTypes(conn: DuckDBConnection, paths: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const r = await rowsOf(
    conn,
    `SELECT file_name, name, duckdb_type, coalesce(num_children, 0) FROM parquet_schema(${list(paths)}) ORDER BY file_name, column_id`,
  );
  const byFile = new Map<string, SchemaRow[]>();
  for (const [file, name, type, children] of r as [string, string, string | null, bigint][]) {
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file)!.push({ file, name, type, children: Number(children) });
  }
  const out = new Map<string, Record<string, string>>();
  for (const [file, rows] of byFile) {
    const types: Record<string, string> = {};
    const skip = (i: number): number => {
      let next = i + 1;
      for (let c = 0; c < rows[i].children; c++) next = skip(next);
      return next;
    };
    for (let c = 0, i = 1; c < rows[0].children && i < rows.length; c++) {
      types[rows[i].name] = rows[i].type ?? '';
      i = skip(i);
    }
    out.set(file, types);
  }
  return out;
}

/**
 * One column's stats per row group and over the file. min/max are re-rendered as DuckDB's VARCHAR
 * of the typed value (a cast that fails leaves them unknown). The legacy footer min/max (signed
 * order) are used only when the new ones are absent and the type sorts signed.
 */
function columnStatsSql(column: string, type: string): string {
  const signed = !/^U(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(type);
  const bound = (which: 'min' | 'max'): string => {
    const legacy = signed ? `CASE WHEN type IN ('BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE') THEN stats_${which} END` : 'NULL';
    return `TRY_CAST(coalesce(stats_${which}_value, ${legacy}) AS ${type})`;
  };
  // a row group's bound is missing legitimately only when all its values are NULL
  const known = (v: string): string => `coalesce(${v} IS NOT NULL OR nulls = rows, false)`;
  return `SELECT file_name, row_group_id, ${quoteLiteral(column)}, nulls, lo::VARCHAR, hi::VARCHAR,
      CASE WHEN bool_and(${known('lo')}) OVER (PARTITION BY file_name) THEN (min(lo) OVER (PARTITION BY file_name))::VARCHAR END,
      CASE WHEN bool_and(${known('hi')}) OVER (PARTITION BY file_name) THEN (max(hi) OVER (PARTITION BY file_name))::VARCHAR END,
      CASE WHEN count(nulls) OVER (PARTITION BY file_name) = count(*) OVER (PARTITION BY file_name) THEN sum(nulls) OVER (PARTITION BY file_name) END
    FROM (SELECT file_name, row_group_id, row_group_num_rows AS rows, stats_null_count AS nulls,
                 ${bound('min')} AS lo, ${bound('max')} AS hi
          FROM m WHERE path_in_schema = ${quoteLiteral(column)})`;
}

/** Footer facts of Parquet files, read in a few queries for all of them. */
export async function parquetFacts(conn: DuckDBConnection, paths: readonly string[]): Promise<Map<string, FileFacts>> {
  const out = new Map<string, FileFacts>();
  if (paths.length === 0) return out;
  const types = await topLevelTypes(conn, paths);
  for (const p of paths) out.set(p, { rows: 0, types: types.get(p) ?? {}, columns: {}, rowGroups: [] });
  const groups = await rowsOf(
    conn,
    `SELECT file_name, row_group_id, any_value(row_group_num_rows),
            coalesce(any_value(row_group_compressed_bytes), sum(total_compressed_size))
     FROM parquet_metadata(${list(paths)}) GROUP BY ALL ORDER BY 1, 2`,
  );
  const rowGroupAt = new Map<string, Map<number, RowGroupStats & { columns: Record<string, ColumnStats> }>>();
  for (const [file, id, rows, bytes] of groups as [string, bigint, bigint, bigint | null][]) {
    const facts = out.get(file)!;
    const rg = { rows: Number(rows), bytes: Number(bytes ?? 0), columns: {} };
    facts.rowGroups.push(rg);
    facts.rows += rg.rows;
    if (!rowGroupAt.has(file)) rowGroupAt.set(file, new Map());
    rowGroupAt.get(file)!.set(Number(id), rg);
  }
  // compressed bytes per top-level column (nested columns: the sum of their leaves)
  const sizes = await rowsOf(
    conn,
    `SELECT file_name, split_part(path_in_schema, ', ', 1), sum(total_compressed_size)
     FROM parquet_metadata(${list(paths)}) GROUP BY ALL`,
  );
  for (const [file, col, bytes] of sizes as [string, string, bigint | null][]) {
    const facts = out.get(file);
    if (!facts) continue;
    facts.columnBytes ??= {};
    facts.columnBytes[col] = Number(bytes ?? 0);
  }
  // files with the same columns and types share one stats query
  const bySchema = new Map<string, string[]>();
  for (const p of paths) {
    const key = JSON.stringify(Object.entries(out.get(p)!.types));
    bySchema.set(key, [...(bySchema.get(key) ?? []), p]);
  }
  for (const [key, files] of bySchema) {
    const cols = (JSON.parse(key) as [string, string][]).filter(([, t]) => STATS_TYPE.test(t));
    if (cols.length === 0) continue;
    // the footers are read once, then each column picks its rows
    const r = await rowsOf(
      conn,
      `WITH m AS MATERIALIZED (SELECT * FROM parquet_metadata(${list(files)}))
       ${cols.map(([c, t]) => columnStatsSql(c, t)).join('\nUNION ALL\n')}`,
    );
    for (const [file, id, col, nulls, lo, hi, fileLo, fileHi, fileNulls] of r as [
      string, bigint, string, bigint | null, string | null, string | null, string | null, string | null, unknown,
    ][]) {
      rowGroupAt.get(file)!.get(Number(id))!.columns[col] = { min: lo, max: hi, nullCount: num(nulls) };
      out.get(file)!.columns[col] = { min: fileLo, max: fileHi, nullCount: num(fileNulls) };
    }
  }
  return out;
}

/** Row counts of CSV or JSON files (a scan of each; the catalog caches the answer per file version). */
export async function textFacts(
  conn: DuckDBConnection,
  format: Exclude<FileFormat, 'parquet'>,
  paths: readonly string[],
): Promise<Map<string, FileFacts>> {
  const out = new Map<string, FileFacts>();
  for (const p of paths) out.set(p, { rows: 0, types: {}, columns: {}, rowGroups: [] });
  if (paths.length === 0) return out;
  const reader = format === 'csv' ? 'read_csv' : 'read_json';
  const r = await rowsOf(
    conn,
    `SELECT "__skein_file", count(*) FROM ${reader}(${list(paths)}, filename = '__skein_file',
       union_by_name = true, hive_partitioning = false) GROUP BY 1`,
  );
  for (const [file, n] of r as [string, bigint][]) out.get(file)!.rows = Number(n);
  return out;
}
