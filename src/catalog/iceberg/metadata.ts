// Iceberg table metadata (the `*.metadata.json` files): finding the newest one under a table's
// `metadata/` directory, parsing it (64-bit ids kept exact), and choosing the snapshot a query
// reads — the current one, or the one `AT (VERSION => id)` / `AT (TIMESTAMP => t)` names.
import { FailedPreconditionError, NotFoundError, UnimplementedError } from '../../errors';
import { ObjectInfo, ObjectStore } from '../../store/object-store';
import { TableAt } from '../catalog';
import { atMillis, atVersion } from '../table-formats';
import { checkSchema, IcebergSchema } from './schema';

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  transform: string;
  name: string;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export interface Snapshot {
  /** Decimal text: snapshot ids are 64-bit. */
  id: string;
  sequenceNumber: number;
  timestampMs: number;
  manifestList: string | null;
  /** Format v1 may list manifests in the snapshot instead of a manifest list. */
  manifests: string[] | null;
  schemaId: number | null;
}

export interface TableMetadata {
  formatVersion: 1 | 2;
  location: string;
  schemas: IcebergSchema[];
  currentSchemaId: number;
  specs: PartitionSpec[];
  currentSnapshotId: string | null;
  snapshots: Snapshot[];
  /** The history of the current snapshot: [timestamp ms, snapshot id]. */
  log: { timestampMs: number; id: string }[];
}

/** Quotes integer literals too long for a double (ids) so JSON.parse keeps them as text. */
function exactJson(text: string): unknown {
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g, (m) => (m.startsWith('"') ? m : `"${m}"`)));
}

type Json = Record<string, unknown>;

const idText = (v: unknown): string | null => (v === null || v === undefined || Number(v) === -1 ? null : String(v));

/** Parses and checks metadata JSON; `table` names the table in errors. */
export function parseMetadata(text: string, table: string, file: string): TableMetadata {
  let doc: Json;
  try {
    doc = exactJson(text) as Json;
  } catch (e) {
    throw new FailedPreconditionError(`iceberg table ${table}: metadata file ${file} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const bad = (why: string): FailedPreconditionError =>
    new FailedPreconditionError(`iceberg table ${table}: metadata file ${file} is corrupt: ${why}`);
  if (doc === null || typeof doc !== 'object') throw bad('not a JSON object');
  const version = Number(doc['format-version']);
  if (version !== 1 && version !== 2) {
    throw new UnimplementedError(`iceberg table ${table}: format version ${String(doc['format-version'])} is not supported (1 and 2 are)`);
  }
  if (typeof doc.location !== 'string') throw bad('no location');
  const schemas = (Array.isArray(doc.schemas) ? doc.schemas : doc.schema ? [{ 'schema-id': 0, ...(doc.schema as Json) }] : null) as IcebergSchema[] | null;
  if (!schemas || schemas.length === 0 || schemas.some((s) => !Array.isArray(s?.fields))) throw bad('no schema');
  const currentSchemaId = Number(doc['current-schema-id'] ?? schemas[schemas.length - 1]['schema-id'] ?? 0);
  const specs = (
    Array.isArray(doc['partition-specs'])
      ? doc['partition-specs']
      : [{ 'spec-id': 0, fields: (doc['partition-spec'] as PartitionField[] | undefined) ?? [] }]
  ) as PartitionSpec[];
  if (specs.some((s) => !Array.isArray(s?.fields))) throw bad('a partition spec without fields');
  const snapshots = ((doc.snapshots as Json[] | undefined) ?? []).map((s): Snapshot => {
    if (s === null || typeof s !== 'object' || s['snapshot-id'] === undefined) throw bad('a snapshot without an id');
    const manifests = Array.isArray(s.manifests) ? (s.manifests as string[]) : null;
    const list = typeof s['manifest-list'] === 'string' ? (s['manifest-list'] as string) : null;
    if (!list && !manifests) throw bad(`snapshot ${String(s['snapshot-id'])} lists no manifests`);
    return {
      id: String(s['snapshot-id']),
      sequenceNumber: Number(s['sequence-number'] ?? 0),
      timestampMs: Number(s['timestamp-ms']),
      manifestList: list,
      manifests,
      schemaId: s['schema-id'] === undefined ? null : Number(s['schema-id']),
    };
  });
  const log = ((doc['snapshot-log'] as Json[] | undefined) ?? []).map((e) => ({
    timestampMs: Number(e['timestamp-ms']),
    id: String(e['snapshot-id']),
  }));
  for (const s of schemas) checkSchema(s, `iceberg table ${table}`);
  return {
    formatVersion: version,
    location: doc.location,
    schemas,
    currentSchemaId,
    specs,
    currentSnapshotId: idText(doc['current-snapshot-id']),
    snapshots,
    log,
  };
}

/** `00012-<uuid>.metadata.json` or `v12.metadata.json` → 12. */
function versionOf(uri: string): number | null {
  const m = /\/(?:v?(\d+)[-.][^/]*)?metadata\.json$/.exec(uri);
  return m && m[1] !== undefined ? Number(m[1]) : null;
}

const slash = (dir: string): string => (dir.endsWith('/') ? dir : `${dir}/`);

/**
 * The current metadata file of a table rooted at `location`: `version-hint.text` when there is one
 * (Hadoop-style tables), else the highest-numbered `*.metadata.json` under `metadata/`.
 */
export async function findMetadata(store: ObjectStore, location: string, table: string): Promise<ObjectInfo> {
  const dir = `${slash(location)}metadata/`;
  const objects = await store.list(dir);
  const hint = objects.find((o) => o.uri.endsWith('/version-hint.text'));
  if (hint) {
    const n = (await store.get(hint.uri)).toString('utf8').trim();
    const named = objects.find((o) => o.uri.endsWith(`/v${n}.metadata.json`) || o.uri.endsWith(`/${n}`));
    if (named) return named;
  }
  let best: { o: ObjectInfo; v: number } | null = null;
  for (const o of objects) {
    if (o.uri.endsWith('.metadata.json.gz')) {
      throw new UnimplementedError(`iceberg table ${table}: gzip-compressed metadata (${o.uri}) is not supported`);
    }
    const v = versionOf(o.uri);
    if (v !== null && (!best || v > best.v || (v === best.v && o.uri > best.o.uri))) best = { o, v };
  }
  if (!best) throw new NotFoundError(`iceberg table ${table}: no metadata file under ${dir}`);
  return best.o;
}

/** The snapshot to read: current, or the one `at` names; null for a table without snapshots. */
export function chooseSnapshot(meta: TableMetadata, at: TableAt | undefined, table: string): Snapshot | null {
  const byId = (id: string): Snapshot | undefined => meta.snapshots.find((s) => s.id === id);
  if (!at) {
    if (meta.currentSnapshotId === null) return null;
    const s = byId(meta.currentSnapshotId);
    if (!s) throw new FailedPreconditionError(`iceberg table ${table}: current snapshot ${meta.currentSnapshotId} is not in its metadata`);
    return s;
  }
  if (at.unit === 'VERSION') {
    const id = atVersion(at, `iceberg table ${table}`).toString();
    const s = byId(id);
    if (!s) throw new NotFoundError(`iceberg table ${table}: no snapshot ${id} (AT VERSION names a snapshot id)`);
    return s;
  }
  const t = atMillis(at, `iceberg table ${table}`);
  // the snapshot that was current at t: the last entry of the history at or before it
  const history = meta.log.length > 0 ? meta.log : meta.snapshots.map((s) => ({ timestampMs: s.timestampMs, id: s.id }));
  let chosen: string | null = null;
  for (const e of [...history].sort((a, b) => a.timestampMs - b.timestampMs)) if (e.timestampMs <= t) chosen = e.id;
  if (chosen === null) throw new NotFoundError(`iceberg table ${table}: no snapshot at or before ${at.value} UTC`);
  const s = byId(chosen);
  if (!s) throw new NotFoundError(`iceberg table ${table}: snapshot ${chosen} (current at ${at.value} UTC) has expired`);
  return s;
}

/** The schema a snapshot is read with: its own (time travel shows the columns of then), else the current one. */
export function schemaFor(meta: TableMetadata, snapshot: Snapshot | null, at: TableAt | undefined): IcebergSchema {
  const id = at && snapshot?.schemaId !== null && snapshot?.schemaId !== undefined ? snapshot.schemaId : meta.currentSchemaId;
  return meta.schemas.find((s) => s['schema-id'] === id) ?? meta.schemas.find((s) => s['schema-id'] === meta.currentSchemaId) ?? meta.schemas[meta.schemas.length - 1];
}
