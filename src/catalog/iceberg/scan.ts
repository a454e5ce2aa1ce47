// The SQL that reads an Iceberg snapshot's data files (or any subset of them): read_parquet with
// the field-id schema, minus the rows its delete files remove. Position deletes are an anti-join on
// (file, row number); equality deletes an anti-join on the equality columns (NULL equals NULL),
// each applied only to the data files it covers: a position delete to files of a data sequence
// number at most its own, an equality delete to files of a smaller one, both within their
// partition unless the delete's spec is unpartitioned. So a fragment over a few files reads exactly
// the delete files that can touch them.
import { fileURLToPath } from 'node:url';
import { quoteIdent, quoteLiteral } from '../../duckdb/sql';
import { UnimplementedError } from '../../errors';
import { TableScan } from '../catalog';
import { Column, fieldIdSchema } from './schema';

export interface ScanFile {
  /** What DuckDB reads: a local path for file:// URIs, else the URI. */
  path: string;
  /** As the manifest writes it (position deletes name data files by this). */
  uri: string;
  sequenceNumber: bigint;
  /** partitionKey(spec, tuple). */
  partition: string;
}

export interface DeleteFile extends ScanFile {
  kind: 'position' | 'equality';
  /** Applies to every partition (its spec is unpartitioned). */
  global: boolean;
  equalityIds: number[];
  /** Position deletes: the range of data file paths it names, when its metrics say. */
  pathRange: { lower: string; upper: string } | null;
}

/** A manifest path as a path DuckDB can read. */
export function readPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri.startsWith('file://') ? uri : `file://${uri.slice(5)}`) : uri;
}

// DuckDB's virtual columns: the position of a row's file in read_parquet's list, and of the row in
// its file. Position deletes are matched on the index, not on the file name DuckDB read: an executor
// reads a cached local copy of an s3:// file, whose name the delete file (which names the manifest's
// URI) cannot know.
const FILE_COLUMN = 'file_index';
const ROW_COLUMN = 'file_row_number';

const list = (paths: readonly string[]): string => `[${paths.map((p) => quoteLiteral(p)).join(', ')}]`;

export class IcebergScan implements TableScan {
  private readonly byPath = new Map<string, ScanFile>();
  private readonly deletesOf = new Map<string, DeleteFile[]>();

  constructor(
    private readonly table: string,
    private readonly columns: readonly Column[],
    data: readonly ScanFile[],
    deletes: readonly DeleteFile[],
  ) {
    const scoped = new Map<string, DeleteFile[]>();
    const global: DeleteFile[] = [];
    for (const d of deletes) {
      if (d.global) global.push(d);
      else scoped.set(d.partition, [...(scoped.get(d.partition) ?? []), d]);
    }
    for (const f of data) {
      this.byPath.set(f.path, f);
      const applies = [...(scoped.get(f.partition) ?? []), ...global].filter((d) =>
        d.kind === 'position'
          ? d.sequenceNumber >= f.sequenceNumber && (!d.pathRange || (f.uri >= d.pathRange.lower && f.uri <= d.pathRange.upper))
          : d.sequenceNumber > f.sequenceNumber,
      );
      if (applies.length > 0) this.deletesOf.set(f.path, applies);
    }
    const clash = columns.find((c) => c.name === FILE_COLUMN || c.name === ROW_COLUMN);
    if (clash && this.deletesOf.size > 0) {
      throw new UnimplementedError(`iceberg table ${table}: a column named ${clash.name} cannot be read together with delete files`);
    }
  }

  /** The delete files the scan of `files` reads. */
  extraFiles(files: readonly string[]): string[] {
    const out = new Set<string>();
    for (const f of files) for (const d of this.deletesOf.get(f) ?? []) out.add(d.path);
    return [...out].sort();
  }

  sql(files: readonly string[]): string {
    const schema = fieldIdSchema(this.columns);
    if (files.length === 0) {
      const shape = this.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
      return `(SELECT ${shape} WHERE false)`;
    }
    for (const f of files) if (!this.byPath.has(f)) throw new RangeError(`${f} is not a data file of ${this.table}`);
    if (files.every((f) => !this.deletesOf.has(f))) return `read_parquet(${list(files)}, schema = ${schema})`;
    // files sharing the same delete files are read together
    const groups = new Map<string, string[]>();
    for (const f of files) {
      const key = (this.deletesOf.get(f) ?? []).map((d) => d.path).join('\0');
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const parts = [...groups.values()].map((g) => this.groupSql(g, this.deletesOf.get(g[0]) ?? [], schema));
    return `(${parts.join(' UNION ALL ')})`;
  }

  private groupSql(files: string[], deletes: readonly DeleteFile[], schema: string): string {
    const select = `SELECT ${this.columns.map((c) => `__d.${quoteIdent(c.name)}`).join(', ')}`;
    if (deletes.length === 0) return `${select} FROM read_parquet(${list(files)}, schema = ${schema}) AS __d`;
    let sql = `${select} FROM read_parquet(${list(files)}, schema = ${schema}, file_row_number = true) AS __d`;
    const positions = deletes.filter((d) => d.kind === 'position').map((d) => d.path);
    if (positions.length > 0) {
      // delete files name data files as the manifest does: map those names to their index in the list read here
      const data = files.map((f) => this.byPath.get(f)!);
      const index = `CASE file_path ${data.map((f, i) => `WHEN ${quoteLiteral(f.uri)} THEN ${i}`).join(' ')} END`;
      sql += ` ANTI JOIN (SELECT ${index} AS __file, pos AS __pos FROM read_parquet(${list(positions)})
        WHERE file_path IN (${data.map((f) => quoteLiteral(f.uri)).join(', ')})) AS __p
        ON __d.${FILE_COLUMN} = __p.__file AND __d.${ROW_COLUMN} = __p.__pos`;
    }
    const bySet = new Map<string, DeleteFile[]>();
    for (const d of deletes) {
      if (d.kind !== 'equality') continue;
      const key = d.equalityIds.join(',');
      bySet.set(key, [...(bySet.get(key) ?? []), d]);
    }
    let n = 0;
    for (const group of bySet.values()) {
      const ids = group[0].equalityIds;
      const cols = ids.map((id) => {
        const c = this.columns.find((x) => x.id === id);
        if (!c) throw new UnimplementedError(`iceberg table ${this.table}: an equality delete on field ${id}, which the read schema does not have`);
        return c;
      });
      const alias = `__e${n++}`;
      const keys = cols.map((c, i) => ({ id: c.id, name: `__k${i}`, type: c.type }));
      const on = cols.map((c, i) => `__d.${quoteIdent(c.name)} IS NOT DISTINCT FROM ${alias}.__k${i}`).join(' AND ');
      sql += ` ANTI JOIN (SELECT DISTINCT ${keys.map((k) => k.name).join(', ')} FROM read_parquet(${list(group.map((d) => d.path))}, schema = ${fieldIdSchema(keys)})) AS ${alias} ON ${on}`;
    }
    return sql;
  }
}
