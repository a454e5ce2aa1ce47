// A Glue Hive-style table as a TableInfo: Glue's declared columns (types mapped to DuckDB's), its
// partitions (GetPartitions: values and locations), the data files listed under each partition's
// location through the object store, and per-file facts (Parquet footers: rows and min/max; text:
// row counts) cached by object ETag so a rebuild reads only new or changed files.
import { Partition, Table } from '@aws-sdk/client-glue';
import { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from '../../duckdb/sql';
import { FailedPreconditionError, InvalidArgumentError, SkeinError, UnimplementedError } from '../../errors';
import { localPath } from '../../store/local-store';
import { isLocalUri, ObjectInfo, ObjectStore } from '../../store/object-store';
import { asPrefix } from '../../store/stores';
import { ColumnInfo, ColumnStats, DataFile, FileFormat, TableInfo } from '../catalog';
import { FileFacts, parquetFacts } from '../file-facts';
import { skipped } from '../files';
import { StandIns } from '../remote-files';
import { GlueCatalogClient } from './glue-client';
import { duckdbTypeOf, GlueTypeError } from './glue-types';
import { fileReadSql, HiveFormat, hiveFormatOf, HiveScan, HiveScanFile } from './hive-scan';

/** Local files DuckDB can read for objects' facts: the objects themselves when local, stand-ins when remote. */
export interface FileFactsSource {
  /** A readable local path per object, in order. */
  paths(format: FileFormat, objects: readonly ObjectInfo[]): Promise<string[]>;
  /** The object left the table: its stand-in (if any) can go. */
  forget?(uri: string): void;
}

/** Local objects are read where they are; remote ones through `remote` (the directory catalog's stand-ins). */
export function factsSource(remote: StandIns | null): FileFactsSource {
  return {
    async paths(format, objects) {
      const out: string[] = [];
      for (const o of objects) {
        if (isLocalUri(o.uri)) out.push(localPath(o.uri));
        else if (!remote) throw new UnimplementedError(`reading statistics of ${o.uri} needs an object store`);
        else out.push(...(await remote.paths(format, [{ path: o.uri, size: o.size, mtimeMs: o.lastModified.getTime(), ino: 0, etag: o.etag }])));
      }
      return out;
    },
    forget: (uri) => remote?.forget(uri),
  };
}

/** Facts of one table's files by URI with the ETag they were read at, kept across rebuilds. */
export type FactsCache = Map<string, { etag: string; facts: FileFacts }>;

export interface HiveBuild {
  conn: DuckDBConnection;
  client: GlueCatalogClient;
  table: Table;
  /** The schema it is served under (the Glue database's name). */
  schema: string;
  /** `glue table db.t`, for messages. */
  label: string;
  /** The version of the Glue entry (VersionId, UpdateTime…), part of the table's version. */
  glueVersion: string;
  store: (uri: string) => ObjectStore;
  files: FileFactsSource;
  facts: FactsCache;
  digest: (parts: readonly string[]) => string;
}

const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';
/** Listings of partition locations run this many at once. */
const LIST_CONCURRENCY = 16;

interface PartitionPlace {
  /** Canonical values (DuckDB's rendering of the typed value), null for NULL, by partition column. */
  values: (string | null)[];
  location: string;
}

function mapColumns(cols: readonly { Name?: string; Type?: string }[], label: string): ColumnInfo[] {
  return cols.map((c) => {
    if (!c.Name) throw new FailedPreconditionError(`${label}: a column without a name in Glue`);
    try {
      return { name: c.Name, type: duckdbTypeOf(c.Type ?? '') };
    } catch (e) {
      if (e instanceof GlueTypeError) throw new UnimplementedError(`${label}: column ${c.Name}: ${e.message}`, { cause: e });
      throw e;
    }
  });
}

async function rows(conn: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** DuckDB's own spelling of each type (so ColumnInfo.type matches duckdb_columns()). */
async function canonicalTypes(conn: DuckDBConnection, cols: ColumnInfo[], label: string): Promise<ColumnInfo[]> {
  if (cols.length === 0) return cols;
  try {
    const r = await rows(conn, `SELECT ${cols.map((c) => `typeof(CAST(NULL AS ${c.type}))`).join(', ')}`);
    return cols.map((c, i) => ({ name: c.name, type: String(r[0][i]) }));
  } catch (e) {
    throw new UnimplementedError(`${label}: a column type DuckDB cannot hold: ${(e as Error).message}`, { cause: e });
  }
}

/** Hive's escaping of partition path segments (`a b` → `a%20b`), for partitions Glue gives no location. */
function escapePathValue(v: string): string {
  return v.replace(/[\x00-\x1f"#%'*/:=?\\\x7f{}[\]^ ]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Partition values as DuckDB renders the typed value; a value that is not of its column's type is an error. */
async function canonicalValues(
  conn: DuckDBConnection,
  keys: readonly ColumnInfo[],
  partitions: readonly Partition[],
  label: string,
): Promise<(string | null)[][]> {
  const raw = partitions.map((p) => {
    const values = p.Values ?? [];
    if (values.length !== keys.length) {
      throw new FailedPreconditionError(`${label}: a partition has ${values.length} values for ${keys.length} partition keys (${values.join('/')})`);
    }
    return values.map((v) => (v === HIVE_NULL ? null : v));
  });
  if (raw.length === 0) return [];
  const lit = (v: string | null): string => (v === null ? 'NULL' : quoteLiteral(v));
  const names = keys.map((_, i) => `v${i}`);
  const r = await rows(
    conn,
    `SELECT ${keys.map((k, i) => `CAST(TRY_CAST(v${i} AS ${k.type}) AS VARCHAR)`).join(', ')}
     FROM (VALUES ${raw.map((vs) => `(${vs.map(lit).join(', ')})`).join(', ')}) t(${names.join(', ')})`,
  );
  return raw.map((vs, p) =>
    vs.map((v, i) => {
      const c = r[p][i] as string | null;
      if (v !== null && c === null) throw new FailedPreconditionError(`${label}: partition value '${v}' of ${keys[i].name} is not a ${keys[i].type}`);
      return c;
    }),
  );
}

/** Data files under a location: no hidden or `_` files or directories (`_temporary/`, `.crc`), no empty objects. */
async function listData(store: ObjectStore, location: string): Promise<ObjectInfo[]> {
  const prefix = asPrefix(location);
  const base = isLocalUri(prefix) ? asPrefix(localPath(prefix)) : prefix;
  return (await store.list(prefix)).filter((o) => {
    if (o.size === 0 || o.uri.endsWith('/')) return false;
    const rel = o.uri.startsWith(base) ? o.uri.slice(base.length) : o.uri;
    return !rel.split('/').some(skipped);
  });
}

async function mapLimited<T, R>(items: readonly T[], limit: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Facts of objects not in the cache yet (footers of Parquet files, row counts of text files). */
async function readFacts(b: HiveBuild, format: HiveFormat, dataColumns: readonly ColumnInfo[], objects: ObjectInfo[]): Promise<void> {
  if (objects.length === 0) return;
  const paths = await b.files.paths(format.format, objects);
  const byPath = new Map(paths.map((p, i) => [p, objects[i]]));
  let got: Map<string, FileFacts>;
  if (format.format === 'parquet') {
    got = await parquetFacts(b.conn, paths);
  } else {
    got = new Map(paths.map((p) => [p, { rows: 0, types: {}, columns: {}, rowGroups: [] }]));
    const r = await rows(b.conn, `SELECT "__skein_file", count(*) FROM ${fileReadSql(format, dataColumns, paths, '__skein_file')} GROUP BY 1`);
    for (const [path, n] of r as [string, bigint][]) got.get(path)!.rows = Number(n);
  }
  for (const [path, facts] of got) {
    const o = byPath.get(path)!;
    b.facts.set(o.uri, { etag: o.etag, facts });
  }
}

/** Stats only for columns the file holds with the table's type (so they order alike), under Glue's names. */
function dataFile(o: ObjectInfo, facts: FileFacts, partition: Record<string, string>, types: Map<string, ColumnInfo>): DataFile {
  const same = (stats: Readonly<Record<string, ColumnStats>>): Record<string, ColumnStats> => {
    const out: Record<string, ColumnStats> = {};
    for (const [c, s] of Object.entries(stats)) {
      const col = types.get(c.toLowerCase());
      if (col && facts.types[c] === col.type) out[col.name] = s;
    }
    return out;
  };
  return {
    path: o.uri,
    bytes: o.size,
    rows: facts.rows,
    partition,
    columns: same(facts.columns),
    rowGroups: facts.rowGroups.map((g) => ({ ...g, columns: same(g.columns) })),
  };
}

export async function buildHiveTable(b: HiveBuild): Promise<TableInfo> {
  const { table, label } = b;
  try {
    const format = hiveFormatOf(table, label);
    const sd = table.StorageDescriptor ?? {};
    const location = sd.Location;
    if (!location) throw new InvalidArgumentError(`${label}: Glue gives no StorageDescriptor.Location`);
    const dataColumns = await canonicalTypes(b.conn, mapColumns(sd.Columns ?? [], label), label);
    const keys = await canonicalTypes(b.conn, mapColumns(table.PartitionKeys ?? [], label), label);
    if (dataColumns.length === 0) throw new FailedPreconditionError(`${label}: Glue declares no columns`);

    let places: PartitionPlace[];
    if (keys.length === 0) {
      places = [{ values: [], location }];
    } else {
      const partitions = await b.client.partitions(b.schema, table.Name!);
      const values = await canonicalValues(b.conn, keys, partitions, label);
      places = partitions.map((p, i) => ({
        values: values[i],
        location:
          p.StorageDescriptor?.Location ??
          `${location.replace(/\/+$/, '')}/${keys.map((k, j) => `${escapePathValue(k.name)}=${escapePathValue(p.Values![j])}`).join('/')}`,
      }));
      // one order whatever order Glue returns them in, so the version does not flap
      places.sort((a, c) => cmpText(a.location, c.location));
    }

    const listings = await mapLimited(places, LIST_CONCURRENCY, (p) => listData(b.store(p.location), p.location));
    const seen = new Set<string>();
    const entries: { o: ObjectInfo; place: PartitionPlace }[] = [];
    places.forEach((place, i) => {
      for (const o of listings[i]) {
        // a partition nested inside another's location (or a table location holding partitions) is read once
        if (seen.has(o.uri)) continue;
        seen.add(o.uri);
        entries.push({ o, place });
      }
    });

    for (const uri of b.facts.keys()) {
      if (seen.has(uri)) continue;
      b.facts.delete(uri);
      b.files.forget?.(uri);
    }
    const stale = entries.filter(({ o }) => b.facts.get(o.uri)?.etag !== o.etag).map(({ o }) => o);
    await readFacts(b, format, dataColumns, stale);

    const types = new Map([...dataColumns].map((c) => [c.name.toLowerCase(), c]));
    const scanFiles = new Map<string, HiveScanFile>();
    const files: DataFile[] = entries.map(({ o, place }) => {
      const partition: Record<string, string | null> = {};
      const known: Record<string, string> = {};
      keys.forEach((k, i) => {
        partition[k.name] = place.values[i];
        if (place.values[i] !== null) known[k.name] = place.values[i]!;
      });
      scanFiles.set(o.uri, { partition });
      return dataFile(o, b.facts.get(o.uri)!.facts, known, types);
    });
    const version = b.digest([
      b.glueVersion,
      JSON.stringify(format),
      ...places.map((p) => JSON.stringify([p.values, p.location])),
      ...entries.map(({ o }) => `${o.uri}\0${o.etag}`),
    ]);
    return {
      schema: b.schema,
      name: table.Name!,
      format: format.format,
      location,
      columns: [...dataColumns, ...keys],
      partitionColumns: keys.map((k) => k.name),
      unionByName: true,
      files,
      version,
      scan: new HiveScan(format, dataColumns, keys, scanFiles, label),
    };
  } catch (e) {
    if (e instanceof SkeinError) throw e;
    throw new FailedPreconditionError(`${label} cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

function cmpText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
