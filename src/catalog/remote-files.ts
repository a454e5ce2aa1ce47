// The directory catalog over an object-store prefix (s3://bucket/lake/): tables and their files from
// one LIST, and local stand-ins the catalog's DuckDB can read facts from without downloading data.
// A Parquet file becomes a sparse local file of the same size holding only its footer (DuckDB's
// parquet_metadata / parquet_schema / DESCRIBE read nothing else); CSV and JSON files, whose row
// counts need a scan, are copied whole. Stand-ins keep the object's key path, so hive `k=v/`
// directories read the same as on the store.
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError } from '../errors';
import { ObjectInfo } from '../store/object-store';
import { asPrefix, Stores } from '../store/stores';
import { FileFormat } from './catalog';
import { chooseFormat, FileStat, Listing, skipped } from './files';

/** Object-store FileStats carry the ETag: it, not mtime, says whether the object changed. */
export type RemoteFileStat = FileStat & { etag: string };

function statOf(o: ObjectInfo): RemoteFileStat {
  return { path: o.uri, size: o.size, mtimeMs: o.lastModified.getTime(), ino: 0, etag: o.etag };
}

/** Key segments below `prefix` (which ends with '/'). */
function segments(prefix: string, uri: string): string[] {
  return uri.slice(prefix.length).split('/');
}

/** `<root>/<schema>/<table>/…` pairs under an object-store root, from one listing. */
export async function remoteTables(stores: Stores, root: string): Promise<{ schema: string; name: string; location: string }[]> {
  const prefix = asPrefix(root);
  const found = new Map<string, { schema: string; name: string; location: string }>();
  for (const o of await stores.forUri(prefix).list(prefix)) {
    const parts = segments(prefix, o.uri);
    if (parts.length < 3 || skipped(parts[0]) || skipped(parts[1])) continue;
    const key = JSON.stringify([parts[0], parts[1]]);
    if (!found.has(key)) found.set(key, { schema: parts[0], name: parts[1], location: `${prefix}${parts[0]}/${parts[1]}` });
  }
  return [...found.values()];
}

/** The table's objects under `location` (a prefix, or one object), chosen by format as listTable does. */
export async function listRemoteTable(stores: Stores, location: string, format?: FileFormat): Promise<Listing> {
  const store = stores.forUri(location);
  const prefix = asPrefix(location);
  let found = (await store.list(prefix))
    .filter((o) => !segments(prefix, o.uri).some((s) => skipped(s)) && !o.uri.endsWith('/'))
    .map(statOf);
  if (found.length === 0) {
    const one = await store.head(location);
    if (one) found = [statOf(one)];
  }
  return chooseFormat(found, format);
}

/** Parquet footers end with: 4-byte little-endian footer length, then "PAR1". */
const TAIL = 8;

/** Local stand-ins of remote files for the catalog's own DuckDB (see the top of this file). */
export class StandIns {
  readonly directory: string;
  private readonly byUri = new Map<string, { etag: string; path: string; base: string }>();

  constructor(private readonly stores: Stores) {
    this.directory = mkdtempSync(join(tmpdir(), 'skein-catalog-'));
  }

  /** Local paths for `files`, in order (made once per object version). */
  async paths(format: FileFormat, files: readonly RemoteFileStat[]): Promise<string[]> {
    const out: string[] = [];
    for (const f of files) out.push(await this.standIn(format, f));
    return out;
  }

  forget(uri: string): void {
    const held = this.byUri.get(uri);
    if (!held) return;
    this.byUri.delete(uri);
    rmSync(held.base, { recursive: true, force: true });
  }

  close(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async standIn(format: FileFormat, f: RemoteFileStat): Promise<string> {
    const held = this.byUri.get(f.path);
    if (held && held.etag === f.etag) return held.path;
    if (held) this.forget(f.path);
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(f.path);
    if (!m) throw new InvalidArgumentError(`${f.path} is not an object-store URI`);
    const base = join(this.directory, createHash('sha256').update(`${f.path}\0${f.etag}`).digest('hex').slice(0, 24));
    const path = resolve(base, m[1], m[2]);
    const rel = relative(base, path);
    if (rel.startsWith('..') || rel.split(sep).includes('..')) throw new InvalidArgumentError(`${f.path}: key leaves its directory`);
    await fs.mkdir(join(path, '..'), { recursive: true });
    const store = this.stores.forUri(f.path);
    if (format !== 'parquet') {
      await fs.writeFile(path, await store.get(f.path, undefined, { ifMatch: f.etag }));
    } else {
      if (f.size < TAIL + 4) throw new FailedPreconditionError(`${f.path} is too small to be a Parquet file (${f.size} bytes)`);
      const tail = await store.get(f.path, { start: f.size - TAIL }, { ifMatch: f.etag });
      if (tail.subarray(4).toString('latin1') !== 'PAR1') throw new FailedPreconditionError(`${f.path} is not a Parquet file (no PAR1 at its end)`);
      const footer = tail.readUInt32LE(0);
      if (footer + TAIL > f.size) throw new FailedPreconditionError(`${f.path} has a Parquet footer longer than the file`);
      const bytes = await store.get(f.path, { start: f.size - TAIL - footer }, { ifMatch: f.etag });
      const fh = await fs.open(path, 'w');
      try {
        await fh.truncate(f.size); // a hole: no disk used for the data pages
        await fh.write(bytes, 0, bytes.length, f.size - bytes.length);
      } finally {
        await fh.close();
      }
    }
    this.byUri.set(f.path, { etag: f.etag, path, base });
    return path;
  }
}
