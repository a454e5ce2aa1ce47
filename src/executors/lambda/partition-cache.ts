// The Engine function's partition cache: object-store files a fragment reads (s3://…) are copied to
// the function's disk once and read locally by DuckDB on every warm invocation after (checked against
// the object's ETag, so a changed file is fetched again). The least recently used files are evicted
// beyond a byte budget. Cached files keep their key's path, so hive `key=value/` directories still work.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '../../errors';
import { log } from '../../log';
import { isNode, parse, render, walk } from '../../planner/ast';
import { Fragment } from '../../planner/plan';
import { isLocalUri, ObjectStore } from '../../store/object-store';
import { SignedFragment } from '../executor';
import { signFragment, verifyFragment } from '../signing';

export interface PartitionCacheOptions {
  dir: string;
  /** Bytes of cached files kept (least recently used go first). */
  maxBytes: number;
  /** The store for a URI scheme ('s3'); files of other schemes are refused. */
  storeFor: (uri: string) => ObjectStore;
  /** Signs the rewritten fragment (the function verified the original with the same secret). */
  secret: string;
}

interface Entry {
  path: string;
  etag: string;
  size: number;
  usedAt: number;
}

const TABLE_READERS = new Set(['read_parquet', 'parquet_scan', 'read_csv', 'read_csv_auto', 'read_json', 'read_json_auto', 'read_ndjson']);

export class PartitionCache {
  readonly dir: string;
  private readonly entries = new Map<string, Entry>();
  private readonly fetching = new Map<string, Promise<Entry>>();
  private parser: Promise<DuckDBConnection> | null = null;
  private instance: DuckDBInstance | null = null;

  constructor(private readonly opts: PartitionCacheOptions) {
    this.dir = resolve(opts.dir);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Files cached now (URI → bytes), for tests and the ping reply. */
  cached(): Map<string, number> {
    return new Map([...this.entries].map(([u, e]) => [u, e.size]));
  }

  /**
   * The fragment to run: unchanged when it reads only local files; else verified, its object-store
   * files fetched into the cache, its SQL rewritten to read them there, and signed again.
   */
  async localize(signed: unknown, signal: AbortSignal): Promise<unknown> {
    const fragment = verifyFragment(signed, this.opts.secret);
    const remote = [...new Set(fragment.inputs.flatMap((i) => i.files).filter((f) => !isLocalUri(f)))];
    if (remote.length === 0) return signed;
    const paths = new Map<string, string>();
    for (const uri of remote) {
      if (signal.aborted) throw new UnavailableError('fragment stopped while fetching its files');
      paths.set(uri, (await this.fetch(uri)).path);
    }
    const sql = await this.rewrite(fragment.sql, paths);
    const local: Fragment = {
      ...fragment,
      sql,
      inputs: fragment.inputs.map((i) => ({ ...i, files: i.files.map((f) => paths.get(f) ?? f) })),
    };
    return signFragment(local, this.opts.secret) satisfies SignedFragment;
  }

  private localPathOf(uri: string): string {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.+)$/i.exec(uri);
    if (!m) throw new InvalidArgumentError(`cannot cache ${uri}: not an object-store URI`);
    const path = resolve(this.dir, m[1], m[2]);
    const rel = relative(this.dir, path);
    if (rel.startsWith('..') || rel === '' || rel.split(sep).includes('..')) {
      throw new InvalidArgumentError(`cannot cache ${uri}: its key leaves the cache directory`);
    }
    return path;
  }

  private fetch(uri: string): Promise<Entry> {
    const running = this.fetching.get(uri);
    if (running) return running;
    const p = this.fetchOnce(uri).finally(() => this.fetching.delete(uri));
    this.fetching.set(uri, p);
    return p;
  }

  private async fetchOnce(uri: string): Promise<Entry> {
    const store = this.opts.storeFor(uri);
    const head = await store.head(uri);
    if (!head) throw new NotFoundError(`fragment input ${uri} does not exist`);
    const known = this.entries.get(uri);
    if (known && known.etag === head.etag) {
      known.usedAt = Date.now();
      return known;
    }
    const path = this.localPathOf(uri);
    const body = await store.get(uri);
    await fs.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${createHash('sha1').update(`${Date.now()}${Math.random()}`).digest('hex').slice(0, 8)}.part`;
    await fs.writeFile(tmp, body);
    await fs.rename(tmp, path);
    const entry: Entry = { path, etag: head.etag, size: body.length, usedAt: Date.now() };
    this.entries.set(uri, entry);
    await this.evict(uri);
    return entry;
  }

  private async evict(keep: string): Promise<void> {
    let total = [...this.entries.values()].reduce((s, e) => s + e.size, 0);
    const oldest = [...this.entries].filter(([u]) => u !== keep).sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [uri, e] of oldest) {
      if (total <= this.opts.maxBytes) break;
      this.entries.delete(uri);
      total -= e.size;
      await fs.rm(e.path, { force: true }).catch((err: unknown) => log.warn({ err, path: e.path }, 'cannot evict a cached file'));
    }
  }

  /** Rewrites the file-name constants of table readers in DuckDB's own parse tree (never by text). */
  private async rewrite(sql: string, paths: ReadonlyMap<string, string>): Promise<string> {
    const conn = await this.parserConnection();
    const statements = await parse(conn, sql);
    if (!statements || statements.length !== 1) throw new InvalidArgumentError('fragment SQL is not one SELECT statement');
    let replaced = 0;
    walk(statements[0].node, (n) => {
      if (n.type !== 'TABLE_FUNCTION' || !isNode(n.function)) return;
      const fn = n.function;
      if (!TABLE_READERS.has(String(fn.function_name))) return;
      // only the positional file argument(s), never named parameters
      for (const arg of (fn.children as unknown[]) ?? []) {
        walk(arg, (c) => {
          if (c.type === 'COMPARISON' || c.class === 'COMPARISON') return false;
          if (c.class !== 'CONSTANT' || !isNode(c.value)) return;
          const v = c.value;
          const local = typeof v.value === 'string' ? paths.get(v.value) : undefined;
          if (local) {
            v.value = local;
            replaced++;
          }
        });
      }
    });
    if (replaced === 0) throw new InvalidArgumentError('fragment names object-store files its SQL does not read');
    return render(conn, statements[0]);
  }

  private parserConnection(): Promise<DuckDBConnection> {
    // a DuckDB of its own, only to parse and render: it never reads a file
    this.parser ??= DuckDBInstance.create(':memory:', { enable_external_access: 'false', threads: '1' }).then((i) => {
      this.instance = i;
      return i.connect();
    });
    return this.parser;
  }

  async close(): Promise<void> {
    if (this.parser) (await this.parser).closeSync();
    this.instance?.closeSync();
  }
}

/** Where cached files go by default: Lambda's writable disk. */
export const DEFAULT_CACHE_DIR = join('/tmp', 'skein-cache');
