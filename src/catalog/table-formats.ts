// The contract of table formats (Iceberg, Delta): a reader turns a table's root (its metadata and
// logs) into a TableInfo with a TableScan, at its current version or at a chosen one (`AT`).
// format-readers.ts maps each format name to its reader; FormatCatalog (format-catalog.ts) serves
// the catalog file's format entries through them, and the Glue catalog can reuse them.
import { InvalidArgumentError } from '../errors';
import { ObjectStore } from '../store/object-store';
import { TableAt, TableInfo } from './catalog';

export type TableFormatName = 'iceberg' | 'delta';

export interface FormatTableSource {
  schema: string;
  name: string;
  /** The table's root: an absolute local directory or a URI (`s3://bucket/prefix`, `file:///…`). */
  location: string;
  /** Iceberg: a metadata JSON file to read instead of finding the newest under `<location>/metadata/`. */
  metadata?: string;
}

export interface TableFormatContext {
  /** The object store for a URI (local paths and file:// included). */
  store(uri: string): ObjectStore;
}

export interface TableFormatReader {
  /**
   * What identifies the table's current version cheaply (the newest metadata file's name and etag,
   * the last log entry…): FormatCatalog re-opens the table only when it changes.
   */
  currentVersion(source: FormatTableSource, ctx: TableFormatContext): Promise<string>;
  /**
   * The table at `at` (its current version when absent). Errors name the table and the cause:
   * NotFoundError (metadata, version or file gone), FailedPreconditionError (corrupt metadata),
   * UnimplementedError (a feature the reader does not support). Never a partial table.
   */
  open(source: FormatTableSource, at: TableAt | undefined, ctx: TableFormatContext): Promise<TableInfo>;
}

/** The epoch milliseconds of an `AT (TIMESTAMP => …)` value (a UTC TIMESTAMP as DuckDB renders it). */
export function atMillis(at: TableAt, table: string): number {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/.exec(at.value.trim());
  if (!m) throw new InvalidArgumentError(`${table}: AT (TIMESTAMP => ${at.value}) is not a timestamp`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0), +(m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`${table}: AT (TIMESTAMP => ${at.value}) is out of range`);
  return ms;
}

/** The `AT (VERSION => …)` value as an integer (snapshot ids are 64-bit: kept as bigint). */
export function atVersion(at: TableAt, table: string): bigint {
  if (!/^-?\d+$/.test(at.value.trim())) throw new InvalidArgumentError(`${table}: AT (VERSION => ${at.value}) is not an integer version`);
  return BigInt(at.value.trim());
}

/** How an `at` reads in messages: `AT (VERSION => 3)`. */
export function describeAt(at: TableAt | undefined): string {
  return at ? `AT (${at.unit} => ${at.value})` : 'current version';
}
