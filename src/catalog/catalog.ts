// The catalog interface the planner reads: which tables exist, their columns, and the data files
// behind each with the statistics pruning needs. The embedded default is a directory of tables
// (directory-catalog.ts); AWS Glue and Iceberg come later behind the same interface.

export type FileFormat = 'parquet' | 'csv' | 'json';

/**
 * Min/max/null count of one column over a file or a row group. min and max are DuckDB's VARCHAR
 * rendering of the value (`CAST(v AS VARCHAR)`: '1994-01-01', '12.50', 'abc'); `null` = unknown.
 */
export interface ColumnStats {
  min: string | null;
  max: string | null;
  nullCount: number | null;
}

export interface RowGroupStats {
  rows: number;
  /** Compressed bytes of the row group. */
  bytes: number;
  columns: Readonly<Record<string, ColumnStats>>;
}

export interface DataFile {
  /** Absolute path (or object-store URI later). */
  path: string;
  bytes: number;
  rows: number;
  /**
   * Hive partition values from the path (`year=1995/month=3/…`), as strings, percent-decoded as
   * DuckDB decodes them. A NULL partition (`__HIVE_DEFAULT_PARTITION__`) has no entry.
   */
  partition: Readonly<Record<string, string>>;
  /** File-level stats (over all row groups); empty when the format has none (CSV, JSON). */
  columns: Readonly<Record<string, ColumnStats>>;
  rowGroups: readonly RowGroupStats[];
}

export interface ColumnInfo {
  name: string;
  /** DuckDB type name, as duckdb_columns().data_type spells it. */
  type: string;
}

export interface TableInfo {
  /** The schema the table is exposed under (to DuckDB and to Flight SQL metadata). */
  schema: string;
  name: string;
  format: FileFormat;
  /** The table's directory (or prefix). */
  location: string;
  /** Data columns then hive partition columns, in DuckDB's order for `SELECT *` over the files. */
  columns: readonly ColumnInfo[];
  partitionColumns: readonly string[];
  /** The files do not all have the same columns: read them with `union_by_name = true`. */
  unionByName: boolean;
  files: readonly DataFile[];
  /** Changes whenever any file changes (for caches keyed by table version). */
  version: string;
}

export interface TableName {
  schema: string;
  name: string;
}

export interface Catalog {
  /** Every table, sorted by schema then name. */
  tables(): Promise<TableName[]>;
  /** One table with its files and statistics (refreshed when files change), or null. */
  table(schema: string, name: string): Promise<TableInfo | null>;
  /** Directories DuckDB must be allowed to read for these tables (the sandbox's allowed_directories). */
  readonly roots: readonly string[];
  close(): Promise<void>;
}
