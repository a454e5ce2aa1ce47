// The Delta Lake table reader: the log replayed to the current version or an `AT` one, the protocol
// checked, every data file's partition values, stats and deletion vector resolved, and a TableInfo
// whose scan reads exactly the live rows. Errors name the table and the cause.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../../duckdb/sql';
import { FailedPreconditionError, NotFoundError, SkeinError, UnimplementedError } from '../../errors';
import { isLocalUri, ObjectStore } from '../../store/object-store';
import { DataFile, TableAt, TableInfo } from '../catalog';
import { atMillis, atVersion, FormatTableSource, TableFormatContext, TableFormatReader } from '../table-formats';
import { DeletionVectorDescriptor, dvByteRange, dvFileUri, fileDeletedRows, inlineDeletedRows } from './deletion-vectors';
import { Action, AddAction, listLog, loadSnapshot, LogListing, versionAtTime } from './log';
import { checkProtocol } from './protocol';
import { Runs } from './roaring';
import { DeltaScan, ScanFile } from './scan';
import { DeltaColumn, parseSchema, UnsupportedSchema } from './schema';
import { fileStats, partitionValues } from './stats';

let instance: Promise<DuckDBInstance> | null = null;

/** A private DuckDB for checkpoints and stats: never waits behind queries, renders times in UTC. */
async function withConnection<T>(f: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  instance ??= (async () => {
    const db = await DuckDBInstance.create(':memory:', {
      threads: '1',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const c = await db.connect();
    try {
      await c.run(`SET GLOBAL TimeZone = 'UTC'`);
    } finally {
      c.closeSync();
    }
    return db;
  })();
  const conn = await (await instance).connect();
  try {
    return await f(conn);
  } finally {
    conn.closeSync();
  }
}

const root = (location: string): string => location.replace(/\/+$/, '');

/** A path from the log (relative and URI-encoded, or an absolute URI) as a store URI / local path. */
function resolver(location: string): (p: string) => string {
  const base = root(location);
  const local = isLocalUri(base);
  return (p: string): string => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return p.startsWith('file:') ? fileURLToPath(p) : p;
    const rel = decodeURIComponent(p);
    return `${local && base.startsWith('file://') ? fileURLToPath(base) : base}/${rel}`;
  };
}

/** Reads checkpoint Parquet parts as actions (remote parts through a temp file). */
function checkpointReader(store: ObjectStore): (uris: readonly string[]) => Promise<Action[]> {
  return async (uris) => {
    let tmp: string | null = null;
    try {
      const paths: string[] = [];
      for (const [i, u] of uris.entries()) {
        if (isLocalUri(u)) paths.push(u.startsWith('file://') ? fileURLToPath(u) : u);
        else {
          tmp ??= await mkdtemp(join(tmpdir(), 'skein-delta-'));
          const p = join(tmp, `part-${i}.parquet`);
          await writeFile(p, await store.get(u));
          paths.push(p);
        }
      }
      return await withConnection(async (conn) => {
        const r = await conn.runAndReadAll(
          `SELECT to_json(t)::VARCHAR FROM read_parquet([${paths.map((p) => quoteLiteral(p)).join(', ')}], union_by_name = true, hive_partitioning = false) t`,
        );
        return (r.getRowsJS() as [string][]).map(([j]) => {
          const row = JSON.parse(j) as Record<string, unknown>;
          const action: Record<string, unknown> = {};
          for (const k of ['add', 'remove', 'protocol', 'metaData', 'sidecar']) if (row[k] !== null && row[k] !== undefined) action[k] = row[k];
          return action as Action;
        });
      });
    } finally {
      if (tmp) await rm(tmp, { recursive: true, force: true });
    }
  };
}

/** The version `at` names, checked against the log. */
function targetVersion(listing: LogListing, at: TableAt | undefined, table: string): number {
  if (!at) return listing.latest;
  if (at.unit === 'TIMESTAMP') return versionAtTime(listing, atMillis(at, table), table, `TIMESTAMP ${at.value}`);
  const v = atVersion(at, table);
  if (v < 0n || v > BigInt(listing.latest)) throw new NotFoundError(`Delta table ${table} has no version ${v} (the latest is ${listing.latest})`);
  return Number(v);
}

/** Deleted positions of each file with a deletion vector (null without one). */
async function deletedRows(store: ObjectStore, files: readonly AddAction[], resolve: (p: string) => string, table: string): Promise<(Runs | null)[]> {
  return Promise.all(
    files.map(async (f) => {
      const dv = f.deletionVector as DeletionVectorDescriptor | null | undefined;
      if (!dv) return null;
      const uri = dvFileUri(dv, resolve);
      try {
        if (uri === null) return inlineDeletedRows(dv);
        const [head, range] = await Promise.all([store.get(uri, { start: 0, end: 1 }), store.get(uri, dvByteRange(dv))]);
        return fileDeletedRows(dv, range, head[0]);
      } catch (e) {
        const where = uri ? `deletion vector file ${uri}` : 'its inline deletion vector';
        if (e instanceof NotFoundError) throw new NotFoundError(`Delta table ${table}: ${where} of data file ${f.path} is missing`, { cause: e });
        if (e instanceof SkeinError) throw e;
        throw new FailedPreconditionError(`Delta table ${table}: ${where} of data file ${f.path} is corrupt: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
}

/** Every data file the log names must exist: a vanished one is an error now, not a failed scan later. */
async function checkFilesExist(store: ObjectStore, location: string, paths: readonly string[], table: string, version: number): Promise<void> {
  if (paths.length === 0) return;
  const present = new Set((await store.list(`${root(location)}/`)).map((o) => o.uri));
  const local = isLocalUri(location);
  const missing = paths.filter((p) => !present.has(p) && !(local && present.has(`file://${p}`)));
  // files outside the table's directory (absolute paths) are looked at one by one
  const gone: string[] = [];
  for (const p of missing) if (!(await store.head(p))) gone.push(p);
  if (gone.length > 0) {
    throw new NotFoundError(`Delta table ${table}: data file ${gone[0]} named by the log at version ${version} is missing${gone.length > 1 ? ` (and ${gone.length - 1} more)` : ''}`);
  }
}

async function open(source: FormatTableSource, at: TableAt | undefined, ctx: TableFormatContext): Promise<TableInfo> {
  const table = `${source.schema}.${source.name}`;
  const store = ctx.store(source.location);
  const resolve = resolver(source.location);
  const listing = await listLog(store, source.location, table);
  const version = targetVersion(listing, at, table);
  const snap = await loadSnapshot(store, source.location, listing, version, checkpointReader(store), table);
  const mode = checkProtocol(snap.protocol, snap.metadata, table);
  let columns: DeltaColumn[];
  try {
    columns = parseSchema(snap.metadata.schemaString, mode);
  } catch (e) {
    if (e instanceof UnsupportedSchema) {
      const unsupported = /Skein cannot read|renamed by column mapping/.test(e.message);
      throw unsupported ? new UnimplementedError(`Delta table ${table}: ${e.message}`) : new FailedPreconditionError(`Delta table ${table}: ${e.message}`);
    }
    throw e;
  }
  if (columns.length === 0) throw new FailedPreconditionError(`Delta table ${table} has no columns`);
  const partitionColumns = snap.metadata.partitionColumns ?? [];
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const p of partitionColumns) {
    if (!byName.has(p)) throw new FailedPreconditionError(`Delta table ${table}: partition column ${p} is not in the schema`);
  }
  const paths = snap.files.map((f) => resolve(f.path));
  await checkFilesExist(store, source.location, paths, table, version);
  const deleted = await deletedRows(store, snap.files, resolve, table);
  const prefix = Number(snap.metadata.configuration?.['delta.dataSkippingStringPrefixLength'] ?? 32);
  const { types, stats, parts } = await withConnection(async (conn) => {
    // DuckDB's own spelling of each type, as catalogs report them
    const described = await conn.runAndReadAll(`DESCRIBE SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ')}`);
    const types = (described.getRowsJS() as [string, string][]).map(([, t]) => t);
    const typed = columns.map((c, i) => ({ ...c, type: types[i] }));
    const dvRows = deleted.map((runs, i) => (runs ? Number(snap.files[i].deletionVector!.cardinality) : 0));
    const stats = await fileStats(conn, snap.files, dvRows, typed, new Set(partitionColumns), Number.isFinite(prefix) ? prefix : 32);
    const parts = await partitionValues(conn, snap.files, partitionColumns.map((p) => typed[columns.indexOf(byName.get(p)!)]));
    return { types, stats, parts };
  });
  if (parts.bad) {
    const { file, column, raw } = parts.bad;
    throw new FailedPreconditionError(`Delta table ${table}: partition value '${raw}' of column ${column} in ${snap.files[file].path} is not a valid ${types[columns.indexOf(byName.get(column)!)]}`);
  }
  const scanFiles = new Map<string, ScanFile>();
  const files: DataFile[] = snap.files.map((f, i) => {
    const values = parts.values[i];
    scanFiles.set(paths[i], {
      partition: Object.fromEntries(partitionColumns.map((p) => [byName.get(p)!.physical, values[p] ?? null])),
      deleted: deleted[i],
    });
    // a NULL partition has no entry (the pruner's convention), nor a value it would read as NULL
    const partition = Object.fromEntries(
      Object.entries(values).filter((e): e is [string, string] => e[1] !== null && e[1] !== 'NULL' && e[1] !== '__HIVE_DEFAULT_PARTITION__'),
    );
    return { path: paths[i], bytes: Number(f.size), rows: stats[i].rows, partition, columns: stats[i].columns, rowGroups: [] };
  });
  const scanColumns = columns.map((c, i) => ({ name: c.name, physical: c.physical, type: types[i] }));
  return {
    schema: source.schema,
    name: source.name,
    format: 'parquet',
    location: source.location,
    columns: scanColumns.map((c) => ({ name: c.name, type: c.type })),
    partitionColumns,
    unionByName: true,
    files,
    version: `delta:${snap.metadata.id ?? ''}@${version}`,
    scan: new DeltaScan(scanColumns, partitionColumns, scanFiles, table),
  };
}

/** The newest log entry's version and etag: a new commit or checkpoint changes it. */
async function currentVersion(source: FormatTableSource, ctx: TableFormatContext): Promise<string> {
  const table = `${source.schema}.${source.name}`;
  const listing = await listLog(ctx.store(source.location), source.location, table);
  const commit = listing.commits.get(listing.latest);
  return `${listing.latest}:${commit?.etag ?? ''}`;
}

export const deltaReader: TableFormatReader = { open, currentVersion };
