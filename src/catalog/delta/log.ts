// The Delta transaction log (`<table>/_delta_log/`): which versions exist, and the table's state at
// one of them — the newest complete checkpoint at or before it (single or multi-part Parquet),
// then every JSON commit after it replayed in order (add/remove keyed by path and deletion vector,
// the last protocol and metaData win). Checkpoint Parquet is read by a caller-supplied function.
import { FailedPreconditionError, NotFoundError, SkeinError, UnimplementedError } from '../../errors';
import { ObjectInfo, ObjectStore } from '../../store/object-store';
import { DeletionVectorDescriptor, dvUniqueId } from './deletion-vectors';

export interface AddAction {
  path: string;
  partitionValues?: Record<string, string | null> | null;
  size: number;
  modificationTime?: number;
  /** The stats JSON text, or (checkpoints written without JSON stats) the parsed object. */
  stats?: string | null;
  stats_parsed?: Record<string, unknown> | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion?: number;
  readerFeatures?: string[] | null;
  writerFeatures?: string[] | null;
}

export interface MetadataAction {
  id?: string;
  schemaString: string;
  partitionColumns?: string[] | null;
  configuration?: Record<string, string | null> | null;
  format?: { provider?: string } | null;
}

export interface DeltaSnapshot {
  version: number;
  protocol: ProtocolAction;
  metadata: MetadataAction;
  /** Live data files, in log order. */
  files: AddAction[];
}

/** One parsed action line: exactly one of these keys is set. */
export type Action = Partial<{
  add: AddAction;
  remove: { path: string; deletionVector?: DeletionVectorDescriptor | null };
  protocol: ProtocolAction;
  metaData: MetadataAction;
  sidecar: unknown;
}>;

/** Reads the actions of a checkpoint's Parquet parts (all of them, one version). */
export type CheckpointReader = (uris: readonly string[]) => Promise<Action[]>;

interface Checkpoint {
  version: number;
  /** Part URIs, in part order; null while parts are missing or for forms not read (UUID-named v2). */
  parts: string[] | null;
  kind: 'classic' | 'multi' | 'v2';
}

export interface LogListing {
  /** Commit files by version. */
  commits: Map<number, ObjectInfo>;
  checkpoints: Checkpoint[];
  latest: number;
}

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2 = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(parquet|json)$/;

export const logDir = (location: string): string => `${location.replace(/\/+$/, '')}/_delta_log/`;

/** Lists the log; NotFoundError when there is none (not a Delta table, or gone). */
export async function listLog(store: ObjectStore, location: string, table: string): Promise<LogListing> {
  const dir = logDir(location);
  const commits = new Map<number, ObjectInfo>();
  const multi = new Map<number, { total: number; parts: Map<number, string> }>();
  const checkpoints: Checkpoint[] = [];
  for (const o of await store.list(dir)) {
    const name = o.uri.slice(o.uri.lastIndexOf('/') + 1);
    let m: RegExpExecArray | null;
    if ((m = COMMIT.exec(name))) commits.set(Number(m[1]), o);
    else if ((m = CLASSIC.exec(name))) checkpoints.push({ version: Number(m[1]), parts: [o.uri], kind: 'classic' });
    else if ((m = MULTI.exec(name))) {
      const v = Number(m[1]);
      const e = multi.get(v) ?? { total: Number(m[3]), parts: new Map() };
      e.parts.set(Number(m[2]), o.uri);
      multi.set(v, e);
    } else if ((m = V2.exec(name))) checkpoints.push({ version: Number(m[1]), parts: null, kind: 'v2' });
  }
  for (const [version, e] of multi) {
    const complete = e.parts.size === e.total && [...e.parts.keys()].every((p) => p >= 1 && p <= e.total);
    const parts = complete ? [...e.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, u]) => u) : null;
    checkpoints.push({ version, parts, kind: 'multi' });
  }
  const versions = [...commits.keys(), ...checkpoints.filter((c) => c.parts).map((c) => c.version)];
  if (versions.length === 0) throw new NotFoundError(`Delta table ${table}: no transaction log under ${dir}`);
  return { commits, checkpoints, latest: Math.max(...versions) };
}

/** The version whose commit is the newest at or before `millis` (commit time = the commit file's modification time). */
export function versionAtTime(listing: LogListing, millis: number, table: string, asText: string): number {
  let best = -1;
  for (const [v, o] of listing.commits) if (o.lastModified.getTime() <= millis && v > best) best = v;
  if (best < 0) throw new NotFoundError(`Delta table ${table} has no version at or before ${asText}`);
  return best;
}

/** `_last_checkpoint`'s version: a hint only, so an unreadable one is ignored. */
async function lastCheckpointHint(store: ObjectStore, location: string): Promise<number | null> {
  try {
    const v = (JSON.parse((await store.get(`${logDir(location)}_last_checkpoint`)).toString('utf8')) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isInteger(v) ? v : null;
  } catch {
    return null;
  }
}

/** Parses one commit file's newline-delimited JSON actions. */
export function parseCommit(text: string, what: string): Action[] {
  const out: Action[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let a: unknown;
    try {
      a = JSON.parse(line);
    } catch (e) {
      throw new FailedPreconditionError(`${what} line ${i + 1} is not valid JSON: ${(e as Error).message}`);
    }
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new FailedPreconditionError(`${what} line ${i + 1} is not an action object`);
    out.push(a as Action);
  });
  return out;
}

/** Replay state: live files keyed by path and DV. */
class Replay {
  protocol: ProtocolAction | null = null;
  metadata: MetadataAction | null = null;
  readonly files = new Map<string, AddAction>();

  apply(actions: readonly Action[], what: string): void {
    for (const a of actions) {
      if (a.add) {
        if (typeof a.add.path !== 'string') throw new FailedPreconditionError(`${what}: an add action has no path`);
        this.files.set(`${a.add.path}\0${dvUniqueId(a.add.deletionVector)}`, a.add);
      } else if (a.remove) {
        if (typeof a.remove.path !== 'string') throw new FailedPreconditionError(`${what}: a remove action has no path`);
        this.files.delete(`${a.remove.path}\0${dvUniqueId(a.remove.deletionVector)}`);
      } else if (a.protocol) this.protocol = a.protocol;
      else if (a.metaData) this.metadata = a.metaData;
      else if (a.sidecar) throw new UnimplementedError(`${what} uses sidecar files (v2 checkpoints), which Skein does not read`);
    }
  }
}

/** Runs `f` over items with at most `n` at a time, results in order. */
async function pooled<T, R>(items: readonly T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** The table state at `version` (which must exist in the listing). */
export async function loadSnapshot(
  store: ObjectStore,
  location: string,
  listing: LogListing,
  version: number,
  readCheckpoint: CheckpointReader,
  table: string,
): Promise<DeltaSnapshot> {
  if (!Number.isSafeInteger(version) || version < 0) throw new NotFoundError(`Delta table ${table} has no version ${version}`);
  if (version > listing.latest) throw new NotFoundError(`Delta table ${table} has no version ${version} (the latest is ${listing.latest})`);
  const hint = await lastCheckpointHint(store, location);
  // the newest readable checkpoint at or before the version, the hinted one first among equals
  const usable = listing.checkpoints
    .filter((c) => c.parts && c.version <= version)
    .sort((a, b) => b.version - a.version || Number(b.version === hint) - Number(a.version === hint));
  const cp = usable[0] ?? null;
  const from = cp ? cp.version + 1 : 0;
  const needed: number[] = [];
  for (let v = from; v <= version; v++) {
    if (!listing.commits.has(v)) {
      const v2 = listing.checkpoints.some((c) => c.kind === 'v2' && c.version <= version);
      if (v2 && !cp) throw new UnimplementedError(`Delta table ${table} needs a v2 (UUID-named) checkpoint, which Skein does not read`);
      throw new NotFoundError(`Delta table ${table}: version ${version} cannot be rebuilt, commit ${v} is missing from the log`);
    }
    needed.push(v);
  }
  const replay = new Replay();
  if (cp) {
    const what = `Delta table ${table}: checkpoint ${cp.version}`;
    let actions: Action[];
    try {
      actions = await readCheckpoint(cp.parts!);
    } catch (e) {
      if (e instanceof SkeinError) throw e;
      throw new FailedPreconditionError(`${what} cannot be read: ${(e as Error).message}`, { cause: e });
    }
    replay.apply(actions, what);
  }
  const texts = await pooled(needed, 16, async (v) => {
    const uri = listing.commits.get(v)!.uri;
    try {
      return (await store.get(uri)).toString('utf8');
    } catch (e) {
      if (e instanceof NotFoundError) throw new NotFoundError(`Delta table ${table}: commit ${v} (${uri}) vanished while reading`, { cause: e });
      throw e;
    }
  });
  needed.forEach((v, i) => {
    const what = `Delta table ${table}: commit ${String(v).padStart(20, '0')}.json`;
    replay.apply(parseCommit(texts[i], what), what);
  });
  if (!replay.protocol) throw new FailedPreconditionError(`Delta table ${table}: the log at version ${version} has no protocol action`);
  if (!replay.metadata) throw new FailedPreconditionError(`Delta table ${table}: the log at version ${version} has no metaData action`);
  return { version, protocol: replay.protocol, metadata: replay.metadata, files: [...replay.files.values()] };
}
