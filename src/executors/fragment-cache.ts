// Before a verified fragment runs: every object-store file it reads (its inputs' s3://… URIs) is put
// in the partition cache, and the SQL is rewritten — on DuckDB's parse tree, only string constants
// exactly equal to an input URI in the file argument of a table reader — to read the local copies.
// Local files are read where they are.
import { DuckDBConnection } from '@duckdb/node-api';
import { CancelledError, InvalidArgumentError, NotFoundError, SkeinError } from '../errors';
import { isNode, parse, render, walk } from '../planner/ast';
import { Fragment } from '../planner/plan';
import { isLocalUri } from '../store/object-store';
import { CachedFile, CacheStats, emptyCacheStats, PartitionCache } from '../store/partition-cache';

export interface LocalizedFragment {
  fragment: Fragment;
  stats: CacheStats | null;
  /** Unpins the cached files: call once the fragment's query is closed. */
  release(): void;
}

/** Downloads at once per fragment: enough to overlap round trips, few enough to stay polite. */
const PARALLEL = 4;

/** The remote files of a fragment, each with the table that reads it (for error messages). */
function remoteInputs(fragment: Fragment): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of fragment.inputs) for (const f of i.files) if (!isLocalUri(f) && !out.has(f)) out.set(f, i.table);
  return out;
}

export async function localizeFragment(
  fragment: Fragment,
  cache: PartitionCache | null,
  conn: DuckDBConnection,
  signal: AbortSignal,
): Promise<LocalizedFragment> {
  const remote = remoteInputs(fragment);
  if (remote.size === 0) return { fragment, stats: null, release: () => undefined };
  if (!cache) {
    throw new InvalidArgumentError(`fragment ${fragment.id} reads object-store files but this executor has no partition cache`);
  }
  const stats = emptyCacheStats();
  const held: CachedFile[] = [];
  const release = (): void => {
    for (const f of held.splice(0)) f.release();
  };
  try {
    const queue = [...remote.keys()];
    let failure: unknown = null;
    const worker = async (): Promise<void> => {
      for (let uri = queue.shift(); uri !== undefined && failure === null && !signal.aborted; uri = queue.shift()) {
        try {
          held.push(await cache.acquire(uri, stats));
        } catch (e) {
          failure ??= named(e, remote.get(uri)!, uri);
        }
      }
    };
    // every worker settles before we go on, so no pin is taken after a failure released the rest
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
    if (failure !== null) throw failure;
    if (signal.aborted) throw new CancelledError('fragment cancelled while its files were being fetched');
    const paths = new Map(held.map((f) => [f.uri, f.path]));
    const sql = await rewrite(conn, fragment.sql, paths);
    const inputs = fragment.inputs.map((i) => ({ ...i, files: i.files.map((f) => paths.get(f) ?? f) }));
    return { fragment: { ...fragment, sql, inputs }, stats, release };
  } catch (e) {
    release();
    throw e;
  }
}

/** The failure, saying which table's file it was. */
function named(e: unknown, table: string, uri: string): unknown {
  if (e instanceof NotFoundError) {
    return new NotFoundError(`table ${table}: data file ${uri} is gone from the object store (${e.message})`, { cause: e });
  }
  if (e instanceof SkeinError && !e.message.includes(table)) {
    return new SkeinError(e.code, `table ${table}: ${e.message}`, { cause: e });
  }
  return e;
}

const TABLE_READERS = new Set(['read_parquet', 'parquet_scan', 'read_csv', 'read_csv_auto', 'read_json', 'read_json_auto', 'read_ndjson']);

/**
 * `sql` with every string constant equal to a key of `paths` in the file argument of a table reader
 * (`read_parquet(['s3://…', …], …)`) replaced by its local path. Other constants keep the URI: an
 * Iceberg position delete file's `file_path` is compared with the data files' URIs as the manifest
 * names them, which must not turn into cache paths.
 */
export async function rewrite(conn: DuckDBConnection, sql: string, paths: ReadonlyMap<string, string>): Promise<string> {
  const statements = await parse(conn, sql);
  if (!statements || statements.length !== 1) throw new InvalidArgumentError('fragment SQL is not one SELECT statement');
  let replaced = 0;
  walk(statements[0].node, (n) => {
    if (n.type !== 'TABLE_FUNCTION' || !isNode(n.function) || !TABLE_READERS.has(String(n.function.function_name))) return;
    // positional arguments only: named parameters (schema = MAP{…}, …) parse as comparisons
    for (const arg of (n.function.children as unknown[] | undefined) ?? []) {
      walk(arg, (c) => {
        if (c.class === 'COMPARISON') return false;
        if (c.class !== 'CONSTANT') return;
        const v = c.value as { type?: { id?: string }; is_null?: boolean; value?: unknown } | undefined;
        if (!v || v.is_null || v.type?.id !== 'VARCHAR' || typeof v.value !== 'string') return;
        const local = paths.get(v.value);
        if (local !== undefined) {
          v.value = local;
          replaced++;
        }
      });
    }
  });
  if (replaced === 0) throw new InvalidArgumentError('fragment lists object-store files its SQL does not read');
  return render(conn, statements[0]);
}

/** The cache report a remote executor sends as app_metadata of its first (schema) FlightData message. */
export function cacheMetadata(stats: CacheStats | null): Buffer | undefined {
  return stats ? Buffer.from(JSON.stringify({ cache: stats })) : undefined;
}

/** The report back out of app_metadata; null when there is none (or it is something else). */
export function cacheStatsOf(appMetadata: Buffer | null | undefined): CacheStats | null {
  if (!appMetadata || appMetadata.length === 0) return null;
  try {
    const c = (JSON.parse(appMetadata.toString('utf8')) as { cache?: Partial<CacheStats> }).cache;
    if (!c || typeof c.hits !== 'number' || typeof c.misses !== 'number' || typeof c.bytesFetched !== 'number') return null;
    return { hits: c.hits, misses: c.misses, bytesFetched: c.bytesFetched };
  } catch {
    return null;
  }
}
