// The table-function call that reads a lake table's files (read_parquet / read_csv / read_json), so
// the catalog's DESCRIBE, the registered views and the planner's fragments all read files alike.
import { quoteLiteral } from '../duckdb/sql';
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

/** The scan of a catalog table, over all its files or the given subset of them. */
export function tableScanSql(table: TableInfo, files: readonly string[] = table.files.map((f) => f.path)): string {
  const partition = new Set(table.partitionColumns);
  const hiveTypes = Object.fromEntries(table.columns.filter((c) => partition.has(c.name)).map((c) => [c.name, c.type]));
  return scanSql({
    format: table.format,
    files,
    hive: table.partitionColumns.length > 0,
    hiveTypes,
    unionByName: table.unionByName,
  });
}
