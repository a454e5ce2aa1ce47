// A snapshot's files: its manifest list, then each manifest (Avro), as the live data and delete
// files with their sequence numbers, partition tuples and column metrics.
import { FailedPreconditionError, NotFoundError, SkeinError, UnimplementedError } from '../../errors';
import { ObjectStore } from '../../store/object-store';
import { readAvro } from './avro';
import { PartitionSpec, Snapshot, TableMetadata } from './metadata';

export type Content = 'data' | 'position-deletes' | 'equality-deletes';

export interface ManifestFileEntry {
  content: Content;
  /** The path exactly as the manifest writes it (delete files refer to data files by it). */
  uri: string;
  format: string;
  specId: number;
  /** Partition values in spec order, as Avro decoded them. */
  partition: unknown[];
  records: number;
  bytes: number;
  /** The data sequence number (inherited from the manifest when the entry has none). */
  sequenceNumber: bigint;
  nullCounts: Map<number, bigint>;
  nanCounts: Map<number, bigint>;
  lower: Map<number, Buffer>;
  upper: Map<number, Buffer>;
  equalityIds: number[];
}

/** One partition field's summary over a manifest's files (the manifest list's `partitions`). */
export interface FieldSummary {
  containsNull: boolean | null;
  /** Iceberg's single-value encoding of the partition field's result type; null when absent. */
  lower: Buffer | null;
  upper: Buffer | null;
}

export interface ManifestRef {
  uri: string;
  specId: number | null;
  content: 'data' | 'deletes';
  sequenceNumber: bigint;
  /** Live entries the manifest list says the manifest holds (added + existing), when it says. */
  liveFiles: number | null;
  /** Per partition field of its spec, in spec order; null when the manifest list gives none. */
  summaries: FieldSummary[] | null;
}

type Rec = Record<string, unknown>;

const CONTENT: Content[] = ['data', 'position-deletes', 'equality-deletes'];

const big = (v: unknown, dflt = 0n): bigint => (v === null || v === undefined ? dflt : BigInt(v as bigint | number));

function pairs<T>(v: unknown, map: (x: unknown) => T): Map<number, T> {
  const out = new Map<number, T>();
  if (Array.isArray(v)) for (const e of v as { key: number; value: unknown }[]) out.set(Number(e.key), map(e.value));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.set(Number(k), map(x));
  return out;
}

/** Reads one Avro file of the table; a missing one is NOT_FOUND, a damaged one FAILED_PRECONDITION. */
async function avroOf(store: ObjectStore, uri: string, what: string, table: string): Promise<ReturnType<typeof readAvro>> {
  let bytes: Buffer;
  try {
    bytes = await store.get(uri);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`iceberg table ${table}: ${what} ${uri} not found`, { cause: e });
    if (e instanceof SkeinError) throw e;
    throw new FailedPreconditionError(`iceberg table ${table}: ${what} ${uri} cannot be read: ${(e as Error).message}`, { cause: e });
  }
  try {
    return await readAvro(bytes);
  } catch (e) {
    const msg = (e as Error).message;
    if (/unknown codec/.test(msg)) throw new UnimplementedError(`iceberg table ${table}: ${what} ${uri}: ${msg} (null and deflate are supported)`);
    throw new FailedPreconditionError(`iceberg table ${table}: ${what} ${uri} is corrupt: ${msg}`, { cause: e });
  }
}

const buf = (v: unknown): Buffer | null => (Buffer.isBuffer(v) ? v : null);

function summariesOf(v: unknown): FieldSummary[] | null {
  if (!Array.isArray(v)) return null;
  return (v as Rec[]).map((s) => ({
    containsNull: typeof s?.contains_null === 'boolean' ? s.contains_null : null,
    lower: buf(s?.lower_bound),
    upper: buf(s?.upper_bound),
  }));
}

/** The snapshot's manifests as its manifest list (or v1 manifest array) names them. */
export async function manifestRefs(store: ObjectStore, snapshot: Snapshot, table: string): Promise<ManifestRef[]> {
  if (!snapshot.manifestList) {
    return (snapshot.manifests ?? []).map((uri) => ({ uri, specId: null, content: 'data', sequenceNumber: 0n, liveFiles: null, summaries: null }));
  }
  const list = await avroOf(store, snapshot.manifestList, 'manifest list', table);
  return list.records.map((r) => {
    if (typeof r.manifest_path !== 'string') throw new FailedPreconditionError(`iceberg table ${table}: manifest list ${snapshot.manifestList} is corrupt: an entry without manifest_path`);
    return {
      uri: r.manifest_path,
      specId: r.partition_spec_id === undefined || r.partition_spec_id === null ? null : Number(r.partition_spec_id),
      content: Number(r.content ?? 0) === 1 ? 'deletes' : 'data',
      sequenceNumber: big(r.sequence_number),
      liveFiles:
        r.added_files_count === null || r.added_files_count === undefined || r.existing_files_count === null || r.existing_files_count === undefined
          ? null
          : Number(r.added_files_count) + Number(r.existing_files_count),
      summaries: summariesOf(r.partitions),
    };
  });
}

/**
 * Manifests already read, by path: a manifest never changes once written, and a new snapshot
 * mostly lists its parent's manifests again, so each is read once. Bounded by the file entries held.
 */
export class ManifestCache {
  private readonly entries = new Map<string, Promise<ManifestFileEntry[]>>();
  private held = 0;
  private readonly sizes = new Map<string, number>();

  constructor(private readonly maxEntries = 500_000) {}

  /** The manifest's files, read by `load` unless held; `onFetch` is called when it is read. */
  get(key: string, load: () => Promise<ManifestFileEntry[]>, onFetch?: () => void): Promise<ManifestFileEntry[]> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // most recently used last
      this.entries.set(key, hit);
      return hit;
    }
    onFetch?.();
    const p = load();
    this.entries.set(key, p);
    p.then(
      (files) => {
        if (this.entries.get(key) !== p) return;
        this.sizes.set(key, files.length);
        this.held += files.length;
        for (const k of this.entries.keys()) {
          if (this.held <= this.maxEntries || k === key) break;
          this.evict(k);
        }
      },
      () => {
        if (this.entries.get(key) === p) this.entries.delete(key); // a failure is not kept: the next read tries again
      },
    );
    return p;
  }

  private evict(key: string): void {
    this.entries.delete(key);
    this.held -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}

/** Every live (added or existing) file of these manifests, read a few at a time, in manifest order. */
export async function readManifests(
  store: ObjectStore,
  meta: TableMetadata,
  refs: readonly ManifestRef[],
  table: string,
  cache: ManifestCache = new ManifestCache(),
  stats?: { fetched: number },
): Promise<ManifestFileEntry[]> {
  const results: ManifestFileEntry[][] = new Array(refs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < refs.length) {
      const i = next++;
      const ref = refs[i];
      // what an entry inherits from its manifest list entry is part of the key
      const key = `${ref.uri}\0${ref.specId ?? ''}\0${ref.sequenceNumber}\0${ref.content}\0${ref.liveFiles ?? ''}`;
      results[i] = await cache.get(key, () => manifestEntries(store, meta, ref, table), () => stats && stats.fetched++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, refs.length) }, worker));
  return results.flat();
}

/** Every live (added or existing) file of the snapshot, data and deletes. */
export async function snapshotFiles(store: ObjectStore, meta: TableMetadata, snapshot: Snapshot, table: string): Promise<ManifestFileEntry[]> {
  return readManifests(store, meta, await manifestRefs(store, snapshot, table), table);
}

async function manifestEntries(store: ObjectStore, meta: TableMetadata, ref: ManifestRef, table: string): Promise<ManifestFileEntry[]> {
  const file = await avroOf(store, ref.uri, 'manifest', table);
  const specId = ref.specId ?? Number(file.meta['partition-spec-id'] ?? 0);
  const spec: PartitionSpec | undefined = meta.specs.find((s) => s['spec-id'] === specId);
  if (!spec) throw new FailedPreconditionError(`iceberg table ${table}: manifest ${ref.uri} uses partition spec ${specId}, which the metadata lacks`);
  const out: ManifestFileEntry[] = [];
  for (const e of file.records) {
    const status = Number(e.status);
    if (status === 2) continue; // DELETED: no longer part of the snapshot
    const df = e.data_file as Rec | undefined;
    if (!df || typeof df.file_path !== 'string') throw new FailedPreconditionError(`iceberg table ${table}: manifest ${ref.uri} is corrupt: an entry without a data file`);
    const content = CONTENT[Number(df.content ?? 0)];
    if (!content) throw new UnimplementedError(`iceberg table ${table}: manifest ${ref.uri}: file content ${String(df.content)} is not supported`);
    if (content !== 'data' && ref.content !== 'deletes' && ref.specId !== null) {
      throw new FailedPreconditionError(`iceberg table ${table}: manifest ${ref.uri} is corrupt: a delete file in a data manifest`);
    }
    if (df.referenced_data_file !== undefined && df.referenced_data_file !== null && df.content_offset !== undefined && df.content_offset !== null) {
      throw new UnimplementedError(`iceberg table ${table}: deletion vectors (${df.file_path}) are not supported`);
    }
    // sequence number inheritance: null means "the manifest's", which only an ADDED entry may use
    const seq = e.sequence_number === null || e.sequence_number === undefined ? ref.sequenceNumber : big(e.sequence_number);
    const partition = df.partition && typeof df.partition === 'object' ? Object.values(df.partition as Rec) : [];
    if (partition.length !== spec.fields.length) {
      throw new FailedPreconditionError(`iceberg table ${table}: manifest ${ref.uri} is corrupt: a partition tuple of ${partition.length} values for a spec of ${spec.fields.length} fields`);
    }
    out.push({
      content,
      uri: df.file_path,
      format: String(df.file_format ?? 'PARQUET').toUpperCase(),
      specId,
      partition,
      records: Number(df.record_count ?? 0),
      bytes: Number(df.file_size_in_bytes ?? 0),
      sequenceNumber: seq,
      nullCounts: pairs(df.null_value_counts, (v) => big(v)),
      nanCounts: pairs(df.nan_value_counts, (v) => big(v)),
      lower: pairs(df.lower_bounds, (v) => v as Buffer),
      upper: pairs(df.upper_bounds, (v) => v as Buffer),
      equalityIds: Array.isArray(df.equality_ids) ? (df.equality_ids as unknown[]).map(Number) : [],
    });
  }
  if (ref.liveFiles !== null && ref.liveFiles !== out.length) {
    throw new FailedPreconditionError(`iceberg table ${table}: manifest ${ref.uri} is corrupt: it holds ${out.length} live files, its manifest list says ${ref.liveFiles}`);
  }
  return out;
}
