// The SQL that reads a subset of a Delta table's data files (the TableInfo.scan hook). Delta keeps
// partition values in the log, not in the files: files with equal values share one read_parquet
// and get them as typed constants. Rows a deletion vector removes are filtered by their position
// (file_row_number), each such file read on its own. A typed empty row set ahead of the groups,
// combined BY NAME, gives every subset the table's columns (older files may lack added columns);
// the outer projection renames physical (column-mapped) names to the table's names.
import { quoteIdent, quoteLiteral } from '../../duckdb/sql';
import { TableScan } from '../catalog';
import { Runs } from './roaring';

export interface ScanColumn {
  name: string;
  physical: string;
  type: string;
}

export interface ScanFile {
  /** Partition column physical name → the value as DuckDB renders it (null = NULL). */
  partition: Readonly<Record<string, string | null>>;
  /** Deleted row positions (deletion vector), or null. */
  deleted: Runs | null;
}

const ROW = 'file_row_number';

/** `file_row_number NOT IN (…)`: single positions as one list, longer runs expanded by range(). */
function deletedFilter(runs: Runs): string {
  const singles = runs.filter(([a, b]) => a === b).map(([a]) => a);
  const ranges = runs.filter(([a, b]) => a !== b);
  const parts: string[] = [];
  if (singles.length > 0) parts.push(`SELECT unnest([${singles.join(', ')}]::BIGINT[])`);
  if (ranges.length > 0) {
    parts.push(`SELECT unnest(range(r[1], r[2] + 1)) FROM (SELECT unnest([${ranges.map(([a, b]) => `[${a}, ${b}]`).join(', ')}]::BIGINT[][]) AS r)`);
  }
  return `${ROW} NOT IN (${parts.join(' UNION ALL ')})`;
}

export class DeltaScan implements TableScan {
  private readonly partitionPhysical: string[];

  constructor(
    private readonly columns: readonly ScanColumn[],
    partitionColumns: readonly string[],
    private readonly files: ReadonlyMap<string, ScanFile>,
    private readonly table: string,
  ) {
    const phys = new Map(columns.map((c) => [c.name, c]));
    this.partitionPhysical = partitionColumns.map((p) => phys.get(p)!.physical);
  }

  sql(paths: readonly string[]): string {
    const shape = this.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.physical)}`).join(', ');
    const groups = this.groups(paths).map((g) => `UNION ALL BY NAME (${g})`);
    const outer = this.columns.map((c) => `CAST(${quoteIdent(c.physical)} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
    return `(SELECT ${outer} FROM (SELECT ${shape} WHERE false ${groups.join(' ')}))`;
  }

  /** One SELECT per run of files that read alike. */
  private groups(paths: readonly string[]): string[] {
    const byKey = new Map<string, { file: ScanFile; paths: string[] }>();
    let solo = 0;
    for (const p of paths) {
      const file = this.files.get(p);
      if (!file) throw new RangeError(`${p} is not a data file of Delta table ${this.table}`);
      const key = file.deleted ? `dv\0${solo++}` : JSON.stringify(this.partitionPhysical.map((c) => file.partition[c] ?? null));
      const g = byKey.get(key) ?? { file, paths: [] };
      g.paths.push(p);
      byKey.set(key, g);
    }
    return [...byKey.values()].map(({ file, paths: ps }) => {
      // partition columns come from the log; a copy inside the files (some writers keep one) is dropped
      const hidden = [...this.partitionPhysical, ...(file.deleted ? [ROW] : [])];
      const data = hidden.length > 0 ? `COLUMNS(c -> c NOT IN (${hidden.map((h) => quoteLiteral(h)).join(', ')}))` : '*';
      const typeOf = new Map(this.columns.map((c) => [c.physical, c.type]));
      const constants = this.partitionPhysical.map((c) => {
        const v = file.partition[c];
        return `CAST(${v === null || v === undefined ? 'NULL' : quoteLiteral(v)} AS ${typeOf.get(c)}) AS ${quoteIdent(c)}`;
      });
      const args = [`[${ps.map((p) => quoteLiteral(p)).join(', ')}]`, 'union_by_name = true', 'hive_partitioning = false', ...(file.deleted ? ['file_row_number = true'] : [])];
      const where = file.deleted && file.deleted.length > 0 ? ` WHERE ${deletedFilter(file.deleted)}` : '';
      return `SELECT ${[data, ...constants].join(', ')} FROM read_parquet(${args.join(', ')})${where}`;
    });
  }
}
