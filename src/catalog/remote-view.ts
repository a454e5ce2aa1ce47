// The coordinator's view of a lake table whose files are on an object store. This DuckDB build
// cannot read s3:// (no httpfs), so only executors read such tables (through their partition cache);
// the view still carries the table's real columns and types (Flight SQL metadata, binding) and fails
// loudly — naming the table — whenever its rows are asked for on the coordinator, never reading as empty.
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { isLocalUri } from '../store/object-store';
import { TableInfo } from './catalog';

export function isRemoteTable(info: TableInfo): boolean {
  return !isLocalUri(info.location) || info.files.some((f) => !isLocalUri(f.path));
}

/** `SELECT CAST(error(…) AS T) AS c, … FROM range(1) WHERE error(…) IS NULL`: columns bind, rows fail. */
export function remoteViewSql(info: TableInfo): string {
  const message = quoteLiteral(
    `lake table ${info.schema}.${info.name} is on the object store (${info.location}); only executors read it, ` +
      'and this statement ran on the coordinator (inside a transaction, or with session state executors lack)',
  );
  const fail = `error(${message})`;
  // type names come from DuckDB's DESCRIBE of the files, which quotes what needs quoting
  const columns = info.columns.map((c) => `CAST(${fail} AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
  return `SELECT ${columns} FROM range(1) WHERE ${fail} IS NULL`;
}

/**
 * Whether the catalog config names tables on an object store (an s3:// root, catalog-file locations,
 * or Glue): the coordinator then needs an executor even when executors.count is 0.
 */
export function configNamesRemoteTables(c: { root?: string; file?: string; glue?: unknown }, fileLocations: readonly string[]): boolean {
  if (c.glue) return true;
  if (c.root && !isLocalUri(c.root)) return true;
  return fileLocations.some((l) => !isLocalUri(l));
}
