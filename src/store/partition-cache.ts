// The executors' partition cache: whole copies of remote data files (s3://…) on local disk, so DuckDB
// reads them as local files and later fragments (of any query) skip the download. Entries are keyed
// by URI + ETag — a changed object is a different entry, never served stale — and the cache stays
// under maxBytes by evicting the least recently used files nobody is reading (a fragment pins its
// files until it ends). Concurrent requests for one object share one download; files are written to
// a temp name and renamed, with a small entry.json beside them, so a restart with the same directory
// rescans and keeps what it had (half-written files are removed).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors';
import { log } from '../log';
import { isLocalUri } from './object-store';
import { Stores } from './stores';

/** What a query's (or a fragment's) reads did in the cache. */
export interface CacheStats {
  hits: number;
  misses: number;
  /** Bytes downloaded from the object store for the misses. */
  bytesFetched: number;
}

export const emptyCacheStats = (): CacheStats => ({ hits: 0, misses: 0, bytesFetched: 0 });

export function addCacheStats(into: CacheStats, add: CacheStats | null | undefined): void {
  if (!add) return;
  into.hits += add.hits;
  into.misses += add.misses;
  into.bytesFetched += add.bytesFetched;
}

export interface PartitionCacheOptions {
  directory: string;
  maxBytes: number;
  stores: Stores;
  /** Download in ranged GETs of this many bytes, so memory stays bounded (default 8 MiB). */
  chunkBytes?: number;
}

/** A cached file in use: read `path`, then release() so it may be evicted. */
export interface CachedFile {
  uri: string;
  path: string;
  etag: string;
  size: number;
  release(): void;
}

interface Entry {
  key: string;
  uri: string;
  etag: string;
  size: number;
  /** The data file: `<dir>/<key>/<scheme>/<bucket>/<key path>` (hive `k=v/` directories kept). */
  path: string;
  pins: number;
  usedAt: number;
}

const ENTRY_FILE = 'entry.json';
const DATA_DIR = 'data';

export class PartitionCache {
  readonly directory: string;
  private readonly entries = new Map<string, Entry>();
  private readonly fetching = new Map<string, Promise<Entry>>();
  private bytes = 0;
  private clock = 0;

  private constructor(private readonly opts: PartitionCacheOptions) {
    this.directory = resolve(opts.directory);
  }

  /** Opens the cache in `directory`, keeping the complete entries a previous run left there. */
  static async open(opts: PartitionCacheOptions): Promise<PartitionCache> {
    const cache = new PartitionCache(opts);
    await fs.mkdir(cache.directory, { recursive: true });
    await cache.rescan();
    return cache;
  }

  /** Bytes held now. */
  get size(): number {
    return this.bytes;
  }

  /** URIs (with their ETags) held now, for tests and status. */
  held(): { uri: string; etag: string; size: number }[] {
    return [...this.entries.values()].map((e) => ({ uri: e.uri, etag: e.etag, size: e.size }));
  }

  /**
   * The local copy of `uri`'s current version, pinned until release(). A local URI is its own path
   * (never copied). A missing object is NOT_FOUND naming it.
   */
  async acquire(uri: string, stats?: CacheStats): Promise<CachedFile> {
    if (isLocalUri(uri)) return { uri, path: uri.startsWith('file://') ? new URL(uri).pathname : uri, etag: '', size: 0, release: () => undefined };
    const store = this.opts.stores.forUri(uri);
    for (let attempt = 1; ; attempt++) {
      const head = await store.head(uri);
      if (!head) throw new NotFoundError(`object ${uri} not found`);
      const key = createHash('sha256').update(`${uri}\0${head.etag}`).digest('hex').slice(0, 32);
      const held = this.entries.get(key);
      let entry: Entry;
      try {
        if (held) {
          entry = held;
          if (stats) stats.hits++;
        } else {
          let p = this.fetching.get(key);
          if (p) {
            if (stats) stats.hits++; // another request is downloading it: this one fetches nothing
          } else {
            p = this.download(key, uri, head.etag, head.size, stats).finally(() => this.fetching.delete(key));
            this.fetching.set(key, p);
          }
          entry = await p;
        }
      } catch (e) {
        // the object changed between HEAD and GET: look again (a few times) rather than fail
        if (e instanceof FailedPreconditionError && attempt < 3) continue;
        throw e;
      }
      entry.pins++;
      entry.usedAt = ++this.clock;
      let released = false;
      return {
        uri,
        path: entry.path,
        etag: entry.etag,
        size: entry.size,
        release: () => {
          if (released) return;
          released = true;
          entry.pins--;
          void this.evict();
        },
      };
    }
  }

  /** Removes every unpinned entry (tests; a full cache directory on disk). */
  async clear(): Promise<void> {
    for (const e of [...this.entries.values()]) if (e.pins === 0) await this.remove(e);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.fetching.values()]);
  }

  private dataPath(key: string, uri: string): string {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(uri);
    if (!m) throw new InvalidArgumentError(`cannot cache ${uri}: not an object-store URI`);
    const base = join(this.directory, key, DATA_DIR);
    const path = resolve(base, m[1], m[2]);
    const rel = relative(base, path);
    if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..')) {
      throw new InvalidArgumentError(`cannot cache ${uri}: its key leaves the cache directory`);
    }
    return path;
  }

  private async download(key: string, uri: string, etag: string, size: number, stats?: CacheStats): Promise<Entry> {
    const store = this.opts.stores.forUri(uri);
    const path = this.dataPath(key, uri);
    const dir = join(this.directory, key);
    const tmp = join(this.directory, `.tmp-${key}-${randomBytes(4).toString('hex')}`);
    const chunk = this.opts.chunkBytes ?? 8 << 20;
    // make room first, so the cache stays within its bound while the file arrives
    await this.evict(size);
    let written = 0;
    try {
      const out = createWriteStream(tmp);
      const done = new Promise<void>((res, rej) => {
        out.once('error', rej);
        out.once('close', res);
      });
      try {
        for (let start = 0; start < size; start += chunk) {
          const part = await store.get(uri, { start, end: Math.min(size, start + chunk) }, { ifMatch: etag });
          written += part.length;
          if (!out.write(part)) await new Promise<void>((r) => out.once('drain', r));
        }
      } finally {
        out.end();
        await done;
      }
      if (written !== size) {
        throw new FailedPreconditionError(`object ${uri} changed while it was being cached (${written} of ${size} bytes)`);
      }
      await fs.mkdir(join(path, '..'), { recursive: true });
      await fs.rename(tmp, path);
      // written last: an entry directory without it is incomplete and removed on rescan
      await fs.writeFile(join(dir, ENTRY_FILE), JSON.stringify({ uri, etag, size }));
    } catch (e) {
      await fs.rm(tmp, { force: true });
      await fs.rm(dir, { recursive: true, force: true });
      if (e instanceof FailedPreconditionError || e instanceof NotFoundError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new UnavailableError(`partition cache ${this.directory} is out of disk space caching ${uri}`, { cause: e });
      }
      throw e;
    }
    if (stats) {
      stats.misses++;
      stats.bytesFetched += written;
    }
    const entry: Entry = { key, uri, etag, size, path, pins: 0, usedAt: ++this.clock };
    this.entries.set(key, entry);
    this.bytes += size;
    // older versions of the same object will never be asked for again
    for (const e of [...this.entries.values()]) if (e.uri === uri && e.key !== key && e.pins === 0) await this.remove(e);
    return entry;
  }

  /** Evicts least recently used unpinned entries until `incoming` more bytes fit. */
  private async evict(incoming = 0): Promise<void> {
    if (this.bytes + incoming <= this.opts.maxBytes) return;
    const victims = [...this.entries.values()].filter((e) => e.pins === 0).sort((a, b) => a.usedAt - b.usedAt);
    for (const e of victims) {
      if (this.bytes + incoming <= this.opts.maxBytes) break;
      if (e.pins > 0 || !this.entries.has(e.key)) continue;
      await this.remove(e);
    }
    if (this.bytes + incoming > this.opts.maxBytes) {
      log.debug({ bytes: this.bytes, incoming, maxBytes: this.opts.maxBytes }, 'partition cache over its bound: files in use');
    }
  }

  private async remove(e: Entry): Promise<void> {
    if (!this.entries.delete(e.key)) return;
    this.bytes -= e.size;
    try {
      await fs.rm(join(this.directory, e.key), { recursive: true, force: true });
    } catch (err) {
      log.warn({ err, path: e.path }, 'cannot remove a cached file');
    }
  }

  /** Adopts complete entries from an earlier run (oldest first in LRU order); removes the rest. */
  private async rescan(): Promise<void> {
    const found: Entry[] = [];
    for (const name of await fs.readdir(this.directory)) {
      const dir = join(this.directory, name);
      try {
        if (name.startsWith('.tmp-')) throw new Error('half-written');
        const meta = JSON.parse(await fs.readFile(join(dir, ENTRY_FILE), 'utf8')) as { uri: string; etag: string; size: number };
        const path = this.dataPath(name, meta.uri);
        const st = await fs.stat(path);
        if (st.size !== meta.size) throw new Error('size differs');
        found.push({ key: name, uri: meta.uri, etag: meta.etag, size: meta.size, path, pins: 0, usedAt: st.mtimeMs });
      } catch {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    found.sort((a, b) => a.usedAt - b.usedAt);
    for (const e of found) {
      e.usedAt = ++this.clock;
      this.entries.set(e.key, e);
      this.bytes += e.size;
    }
    await this.evict();
  }
}
