// The Iceberg table-format reader: metadata JSON → snapshot → manifests → a TableInfo whose data
// files carry partition values and column bounds for pruning, and whose TableScan reads them by
// field id with the snapshot's deletes applied.
import { createHash } from 'node:crypto';
import { FailedPreconditionError, NotFoundError, SkeinError, UnimplementedError } from '../../errors';
import { ObjectInfo, ObjectStore } from '../../store/object-store';
import { ColumnStats, DataFile, NarrowedTable, TableAt, TableInfo } from '../catalog';
import { describeAt, FormatTableSource, TableFormatContext, TableFormatReader } from '../table-formats';
import { renderBound } from './bounds';
import { ManifestCache, ManifestFileEntry, ManifestRef, manifestRefs, readManifests } from './manifests';
import { chooseSnapshot, findMetadata, parseMetadata, PartitionSpec, schemaFor, TableMetadata } from './metadata';
import { checkSpecs, identityNulls, identityValues, partitionKey, unpartitioned } from './partitions';
import { DeleteFile, IcebergScan, readPath, ScanFile } from './scan';
import { Column, columnsOf } from './schema';
import { manifestBounds } from './summaries';

const label = (s: FormatTableSource): string => `${s.schema}.${s.name}`;

/** Bounds of `position deletes`' file_path column (a reserved field id). */
const DELETE_FILE_PATH_ID = 2147483546;

async function locate(source: FormatTableSource, store: ObjectStore): Promise<ObjectInfo> {
  if (source.metadata) {
    const info = await store.head(source.metadata);
    if (!info) throw new NotFoundError(`iceberg table ${label(source)}: metadata file ${source.metadata} not found`);
    return info;
  }
  return findMetadata(store, source.location, label(source));
}

async function readMetadata(store: ObjectStore, file: ObjectInfo, table: string): Promise<TableMetadata> {
  let bytes: Buffer;
  try {
    bytes = await store.get(file.uri);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`iceberg table ${table}: metadata file ${file.uri} not found`, { cause: e });
    throw e;
  }
  return parseMetadata(bytes.toString('utf8'), table, file.uri);
}

/** Column stats of one data file, by current column name; only values that are exact. */
function statsOf(f: ManifestFileEntry, columns: readonly Column[], spec: PartitionSpec): Record<string, ColumnStats> {
  const out: Record<string, ColumnStats> = {};
  const identity = identityValues(spec, f.partition, columns);
  const nullPartitions = new Set(identityNulls(spec, f.partition, columns));
  for (const c of columns) {
    if (typeof c.iceberg !== 'string') continue;
    const nulls = f.nullCounts.get(c.id);
    const floating = c.iceberg === 'float' || c.iceberg === 'double';
    const lo = floating ? undefined : f.lower.get(c.id);
    const hi = floating ? undefined : f.upper.get(c.id);
    let s: ColumnStats = {
      min: lo ? renderBound(lo, c.iceberg) : null,
      max: hi ? renderBound(hi, c.iceberg) : null,
      nullCount: nulls === undefined ? null : Number(nulls),
    };
    // an identity partition value is exact: every row of the file holds it
    if (identity[c.name] !== undefined) s = { min: identity[c.name], max: identity[c.name], nullCount: 0 };
    else if (nullPartitions.has(c.name)) s = { min: null, max: null, nullCount: f.records };
    if (s.min !== null || s.max !== null || s.nullCount !== null) out[c.name] = s;
  }
  return out;
}

function scanFileOf(f: ManifestFileEntry): ScanFile {
  return { path: readPath(f.uri), uri: f.uri, sequenceNumber: f.sequenceNumber, partition: partitionKey(f.specId, f.partition) };
}

/** Manifests read per catalog context (its stores): shared by every table and snapshot it opens. */
const manifestCaches = new WeakMap<TableFormatContext, ManifestCache>();

function cacheOf(ctx: TableFormatContext): ManifestCache {
  let c = manifestCaches.get(ctx);
  if (!c) manifestCaches.set(ctx, (c = new ManifestCache()));
  return c;
}

interface Opened {
  source: FormatTableSource;
  at: TableAt | undefined;
  table: string;
  meta: TableMetadata;
  columns: Column[];
  /** The data manifests, in the manifest list's order. */
  dataRefs: ManifestRef[];
  /** Every delete file of the snapshot. */
  deletes: DeleteFile[];
  version: string;
  read(refs: readonly ManifestRef[], stats?: { fetched: number }): Promise<ManifestFileEntry[]>;
}

function deleteFileOf(f: ManifestFileEntry, spec: PartitionSpec, table: string): DeleteFile {
  if (f.content === 'equality-deletes' && f.equalityIds.length === 0) {
    throw new FailedPreconditionError(`iceberg table ${table}: equality delete file ${f.uri} has no equality ids`);
  }
  const lo = f.lower.get(DELETE_FILE_PATH_ID);
  const hi = f.upper.get(DELETE_FILE_PATH_ID);
  return {
    ...scanFileOf(f),
    kind: f.content === 'position-deletes' ? 'position' : 'equality',
    global: unpartitioned(spec),
    equalityIds: f.equalityIds,
    pathRange: lo && hi ? { lower: lo.toString('utf8'), upper: hi.toString('utf8') } : null,
  };
}

function checkFormat(f: ManifestFileEntry, table: string): void {
  if (f.format !== 'PARQUET') throw new UnimplementedError(`iceberg table ${table}: ${f.format} file ${f.uri} is not supported (Parquet is)`);
}

/** The TableInfo over the data files of these manifests (all of them, or those a filter may match). */
async function tableOf(o: Opened, refs: readonly ManifestRef[], version: string, stats?: { fetched: number }): Promise<TableInfo> {
  const specs = new Map(o.meta.specs.map((s) => [s['spec-id'], s]));
  const files: DataFile[] = [];
  const data: ScanFile[] = [];
  for (const f of await o.read(refs, stats)) {
    checkFormat(f, o.table);
    const spec = specs.get(f.specId)!;
    // (format v1 has no delete files; v2 keeps them in delete manifests, read when the table opens)
    if (f.content !== 'data') throw new FailedPreconditionError(`iceberg table ${o.table}: manifest of data files holds delete file ${f.uri}`);
    const scanFile = scanFileOf(f);
    data.push(scanFile);
    files.push({
      path: scanFile.path,
      bytes: f.bytes,
      rows: f.records,
      partition: identityValues(spec, f.partition, o.columns),
      columns: statsOf(f, o.columns, spec),
      rowGroups: [],
    });
  }
  const info: TableInfo = {
    schema: o.source.schema,
    name: o.source.name,
    format: 'parquet',
    location: readPath(o.source.location),
    columns: o.columns.map((c) => ({ name: c.name, type: c.type })),
    partitionColumns: [],
    unionByName: false,
    files,
    version,
    scan: new IcebergScan(o.table, o.columns, data, o.deletes),
  };
  return { ...info, narrow: (mayMatch) => narrow(o, mayMatch) };
}

/** The table over only the manifests whose partition summaries may match (deletes all kept). */
async function narrow(o: Opened, mayMatch: (columns: Readonly<Record<string, ColumnStats>>) => boolean): Promise<NarrowedTable> {
  const specs = new Map(o.meta.specs.map((s) => [s['spec-id'], s]));
  const kept = o.dataRefs.filter((r) => {
    const bounds = manifestBounds(r.specId === null ? undefined : specs.get(r.specId), r.summaries, o.columns);
    return Object.keys(bounds).length === 0 || mayMatch(bounds);
  });
  const stats = { fetched: 0 };
  const version =
    kept.length === o.dataRefs.length ? o.version : `${o.version}~${createHash('sha256').update(kept.map((r) => r.uri).join('\0')).digest('hex').slice(0, 16)}`;
  const table = await wrapErrors(o.table, o.at, () => tableOf(o, kept, version, stats));
  return { table, manifestsTotal: o.dataRefs.length, manifestsRead: kept.length, manifestsFetched: stats.fetched };
}

async function wrapErrors<T>(table: string, at: TableAt | undefined, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof SkeinError) throw e;
    throw new FailedPreconditionError(`iceberg table ${table} (${describeAt(at)}) cannot be read: ${(e as Error).message}`, { cause: e });
  }
}

export function openIceberg(source: FormatTableSource, at: TableAt | undefined, ctx: TableFormatContext): Promise<TableInfo> {
  const table = label(source);
  return wrapErrors(table, at, async () => {
    const store = ctx.store(source.metadata ?? source.location);
    const file = await locate(source, store);
    const meta = await readMetadata(store, file, table);
    checkSpecs(meta.specs, table);
    const snapshot = chooseSnapshot(meta, at, table);
    const columns = columnsOf(schemaFor(meta, snapshot, at), `iceberg table ${table}`);
    const manifestStore = ctx.store(snapshot?.manifestList ?? meta.location);
    const refs = snapshot ? await manifestRefs(manifestStore, snapshot, table) : [];
    const read = (rs: readonly ManifestRef[], stats?: { fetched: number }): Promise<ManifestFileEntry[]> =>
      readManifests(manifestStore, meta, rs, table, cacheOf(ctx), stats);
    // delete files are always all known: a skipped data manifest never hides a delete
    const specs = new Map(meta.specs.map((s) => [s['spec-id'], s]));
    const deletes: DeleteFile[] = [];
    for (const f of await read(refs.filter((r) => r.content === 'deletes'))) {
      checkFormat(f, table);
      if (f.content === 'data') throw new FailedPreconditionError(`iceberg table ${table}: delete manifest holds data file ${f.uri}`);
      deletes.push(deleteFileOf(f, specs.get(f.specId)!, table));
    }
    const version = createHash('sha256')
      .update(`${file.uri}\0${file.etag}\0${snapshot?.id ?? 'none'}\0${at ? `${at.unit}\0${at.value}` : ''}`)
      .digest('hex')
      .slice(0, 24);
    const dataRefs = refs.filter((r) => r.content === 'data');
    const opened: Opened = { source, at, table, meta, columns, dataRefs, deletes, version, read };
    return tableOf(opened, dataRefs, version);
  });
}

export const icebergReader: TableFormatReader = {
  async currentVersion(source, ctx) {
    const file = await locate(source, ctx.store(source.metadata ?? source.location));
    return `${file.uri}\0${file.etag}`;
  },
  open: openIceberg,
};
