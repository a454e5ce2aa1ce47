// The catalog interface the planner reads: which tables exist, their columns, and the data files
// behind each with the statistics pruning needs. The embedded default is a directory of tables
// (directory-catalog.ts); table formats (Iceberg, Delta) come from format-catalog.ts, and
// multi-catalog.ts puts several catalogs behind this one interface.

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
  /** Compressed bytes of each top-level column over the file (Parquet); absent: unknown. */
  columnBytes?: Readonly<Record<string, number>>;
}

export interface ColumnInfo {
  name: string;
  /** DuckDB type name, as duckdb_columns().data_type spells it. */
  type: string;
}

/**
 * A point in a table's history, from SQL `FROM t AT (VERSION => 123)` or `AT (TIMESTAMP => …)`.
 * VERSION: the expression as DuckDB renders it (`CAST(e AS VARCHAR)`: an Iceberg snapshot id, a
 * Delta version). TIMESTAMP: the instant in UTC as DuckDB renders a TIMESTAMP
 * (`CAST(CAST(e AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS VARCHAR)`: '2024-05-01 12:00:00.123'); see
 * atMillis in table-formats.ts.
 */
export interface TableAt {
  unit: 'VERSION' | 'TIMESTAMP';
  value: string;
}

/**
 * How to read a table whose rows are not simply its data files (Iceberg, Delta: columns mapped by
 * field id, delete files applied). Absent: tableScanSql reads the files with read_parquet & co.
 */
export interface TableScan {
  /**
   * A FROM-clause item (a table function call or a parenthesised subquery) reading exactly these
   * data files (a subset of TableInfo.files, by path) with the table's columns and types, deletes
   * applied. No files: an empty relation with the table's columns.
   */
  sql(files: readonly string[]): string;
  /** Other files that sql(files) reads (delete files…), so fragments list them as inputs. */
  extraFiles?(files: readonly string[]): string[];
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
  /** Present for table formats (Iceberg, Delta): the SQL that reads the files; see TableScan. */
  scan?: TableScan;
  /**
   * Present when whole groups of files (Iceberg manifests) carry column bounds of their own: the
   * table over only the groups whose bounds `mayMatch` (a group without bounds always matches).
   * Its files are a subset of `files`, its scan reads them, its version names the subset.
   */
  narrow?(mayMatch: (columns: Readonly<Record<string, ColumnStats>>) => boolean): Promise<NarrowedTable>;
}

export interface NarrowedTable {
  table: TableInfo;
  /** Groups (manifests) of the table, and how many of them the narrowed table reads. */
  manifestsTotal: number;
  manifestsRead: number;
  /** Of those read, how many had to be fetched now (the rest were cached). */
  manifestsFetched: number;
}

export interface TableName {
  schema: string;
  name: string;
}

export interface Catalog {
  /** Every table, sorted by schema then name. */
  tables(): Promise<TableName[]>;
  /**
   * One table with its files and statistics (refreshed when files change), or null. `at` asks for
   * an older version; a table without versions throws InvalidArgumentError, an unknown version
   * NotFoundError.
   */
  table(schema: string, name: string, at?: TableAt): Promise<TableInfo | null>;
  /** Directories DuckDB must be allowed to read for these tables (the sandbox's allowed_directories). */
  readonly roots: readonly string[];
  close(): Promise<void>;
}
