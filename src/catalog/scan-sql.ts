// The table-function call that reads a lake table's files (read_parquet / read_csv / read_json), so
// the catalog's DESCRIBE, the registered views and the planner's fragments all read files alike.
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { FileFormat, TableInfo } from './catalog';

export interface ScanSpec {
  format: FileFormat;
  files: readonly string[];
  /** Hive partitioning is on when the files sit under `key=value/` directories. */
  hive: boolean;
  /** Fixed types of the partition columns, so any subset of the files reads with the same types. */
  hiveTypes?: Readonly<Record<string, string>>;
  unionByName: boolean;
}

const READERS: Record<FileFormat, string> = { parquet: 'read_parquet', csv: 'read_csv', json: 'read_json' };

/** `read_parquet(['/a.parquet', …], hive_partitioning = true, …)`; file paths are SQL literals. */
export function scanSql(spec: ScanSpec): string {
  if (spec.files.length === 0) throw new RangeError('a scan needs at least one file');
  const args = [`[${spec.files.map((f) => quoteLiteral(f)).join(', ')}]`];
  args.push(`hive_partitioning = ${spec.hive}`);
  const typed = Object.entries(spec.hiveTypes ?? {});
  if (spec.hive && typed.length > 0) {
    args.push(`hive_types = {${typed.map(([k, t]) => `${quoteLiteral(k)}: ${quoteLiteral(t)}`).join(', ')}}`);
  }
  args.push(`union_by_name = ${spec.unionByName}`);
  return `${READERS[spec.format]}(${args.join(', ')})`;
}

/**
 * The scan of a catalog table, over all its files or the given subset of them, always with the
 * table's columns and types. Files that differ in columns or types are read with union_by_name,
 * which shapes its result from the files it reads: a subset alone may lack a column, or read it
 * narrower (an INTEGER the table widens to BIGINT, a CSV column sniffed as BIGINT in one file and
 * DOUBLE in the table). A typed empty row set ahead of the subset, combined BY NAME, restores the
 * table's shape: `(SELECT CAST(NULL AS T) AS c, … WHERE false UNION ALL BY NAME SELECT * FROM read_…)`.
 */
export function tableScanSql(table: TableInfo, files: readonly string[] = table.files.map((f) => f.path)): string {
  if (table.scan) return table.scan.sql(files);
  const partition = new Set(table.partitionColumns);
  const hiveTypes = Object.fromEntries(table.columns.filter((c) => partition.has(c.name)).map((c) => [c.name, c.type]));
  const scan = scanSql({
    format: table.format,
    files,
    hive: table.partitionColumns.length > 0,
    hiveTypes,
    unionByName: table.unionByName,
  });
  if (!table.unionByName || files.length >= table.files.length) return scan;
  // type names come from DuckDB's DESCRIBE of the files, which quotes what needs quoting
  const shape = table.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
  return `(SELECT ${shape} WHERE false UNION ALL BY NAME SELECT * FROM ${scan})`;
}

/** Every file the scan of `files` reads: the data files, then the extra ones (delete files) in order. */
export function tableScanFiles(table: TableInfo, files: readonly string[]): string[] {
  const extra = table.scan?.extraFiles?.(files) ?? [];
  return [...files, ...extra.filter((f) => !files.includes(f))];
}
