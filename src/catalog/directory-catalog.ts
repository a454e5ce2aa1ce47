// The embedded catalog: `<root>/<schema>/<table>/` directories of Parquet/CSV/JSON files (hive
// partitioning at any depth) plus tables listed in a catalog file. Footer facts are cached per file
// version (path, size, mtime, inode); a throttled stat walk on each call notices changed files.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from '../duckdb/sql';
import { ConfigError, FailedPreconditionError, InvalidArgumentError, SkeinError } from '../errors';
import { Catalog, ColumnStats, DataFile, TableAt, TableInfo, TableName } from './catalog';
import { readCatalogFile, TableSource } from './catalog-file';
import { FileFacts, parquetFacts, textFacts } from './file-facts';
import { FileStat, hiveKeys, hivePartition, Listing, listTable, subdirectories } from './files';
import { scanSql } from './scan-sql';
import { isLocalUri } from '../store/object-store';
import { openStores, Stores } from '../store/stores';
import { listRemoteTable, RemoteFileStat, remoteTables, StandIns } from './remote-files';

export interface DirectoryCatalogOptions {
  /** Discover `<root>/<schema>/<table>/`. */
  root?: string;
  /** A catalog file listing tables; they win over discovered ones of the same name. */
  file?: string;
  /** Directories and files are looked at again at most this often (ms). */
  minRefreshMs?: number;
  /** Object stores for s3:// roots and locations, closed with the catalog (default: local files only). */
  stores?: Stores;
}

interface TableState {
  source: TableSource;
  listing: Listing | null;
  listedAt: number;
  walking: Promise<Listing> | null;
  info: TableInfo | null;
  building: Promise<TableInfo> | null;
}

const keyOf = (schema: string, name: string): string => JSON.stringify([schema, name]);

function versionOf(listing: Listing): string {
  const h = createHash('sha256').update(String(listing.format));
  for (const f of listing.files) h.update(`\n${f.path}\0${f.size}\0${f.mtimeMs}\0${f.ino}\0${f.etag ?? ''}`);
  return h.digest('hex').slice(0, 24);
}

const sameFile = (a: FileStat | undefined, b: FileStat): boolean =>
  a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.etag === b.etag;

/** Where DuckDB must be allowed to read: the root, and each listed table's directory. */
function rootsOf(root: string | null, listed: readonly TableSource[]): string[] {
  const dirs = listed.filter((t) => isLocalUri(t.location)).map((t) => {
    try {
      return statSync(t.location).isFile() ? dirname(t.location) : t.location;
    } catch {
      return t.location; // not there yet
    }
  });
  return [...new Set([...(root && isLocalUri(root) ? [root] : []), ...dirs])];
}

export class DirectoryCatalog implements Catalog {
  private readonly states = new Map<string, TableState>();
  private readonly facts = new Map<string, { stat: FileStat; facts: FileFacts }>();
  private discoveredAt = -Infinity;
  private discovering: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly root: string | null,
    private readonly listed: readonly TableSource[],
    readonly roots: readonly string[],
    private readonly minRefreshMs: number,
    private readonly stores: Stores,
    /** Footer-only stand-ins of object-store files (see remote-files.ts). */
    private readonly standIns: StandIns,
  ) {}

  static async open(opts: DirectoryCatalogOptions): Promise<DirectoryCatalog> {
    const root = opts.root ? (isLocalUri(opts.root) ? resolve(opts.root) : opts.root.replace(/\/+$/, '')) : null;
    if (root && isLocalUri(root)) {
      let isDir = false;
      try {
        isDir = statSync(root).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) throw new ConfigError(`catalog root ${root} is not a directory`);
    }
    const listed = opts.file ? readCatalogFile(resolve(opts.file)) : [];
    const stores = opts.stores ?? openStores();
    const standIns = new StandIns(stores);
    const roots = rootsOf(root, listed);
    // its own small DuckDB: footer reads never wait behind user queries, and it reads only the roots
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '1',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const conn = await instance.connect();
    try {
      await conn.run(`SET GLOBAL TimeZone = 'UTC'`); // TIMESTAMPTZ bounds render the same everywhere
      await conn.run(`SET allowed_directories = [${[...roots, standIns.directory].map((d) => quoteLiteral(d)).join(', ')}]`);
      await conn.run('SET enable_external_access = false');
    } finally {
      conn.closeSync();
    }
    return new DirectoryCatalog(instance, root, listed, roots, opts.minRefreshMs ?? 1000, stores, standIns);
  }

  async tables(): Promise<TableName[]> {
    await this.discover();
    const out: TableName[] = [];
    for (const state of this.states.values()) {
      const listing = await this.listing(state);
      if (listing.format && listing.files.length > 0) out.push({ schema: state.source.schema, name: state.source.name });
    }
    return out.sort((a, b) => (a.schema === b.schema ? cmp(a.name, b.name) : cmp(a.schema, b.schema)));
  }

  async table(schema: string, name: string, at?: TableAt): Promise<TableInfo | null> {
    await this.discover();
    const state = this.states.get(keyOf(schema, name));
    if (!state) return null;
    const listing = await this.listing(state);
    if (!listing.format || listing.files.length === 0) return null;
    if (at) {
      throw new InvalidArgumentError(
        `lake table ${schema}.${name} is a directory of ${listing.format} files without versions: AT (${at.unit} => …) needs an Iceberg or Delta table`,
      );
    }
    const version = versionOf(listing);
    if (state.info?.version === version) return state.info;
    state.building ??= this.build(state, listing, version).finally(() => (state.building = null));
    return state.building;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const busy = [...this.states.values()].flatMap((s) => (s.building ? [s.building] : []));
    await Promise.allSettled(busy);
    this.instance.closeSync();
    this.standIns.close();
    await this.stores.close();
  }

  /** Finds schemas and tables under the root (at most once per minRefreshMs). */
  private discover(): Promise<void> {
    if (Date.now() - this.discoveredAt < this.minRefreshMs) return Promise.resolve();
    this.discovering ??= (async () => {
      const sources = new Map<string, TableSource>();
      if (this.root && !isLocalUri(this.root)) {
        for (const t of await remoteTables(this.stores, this.root)) sources.set(keyOf(t.schema, t.name), t);
      } else if (this.root) {
        for (const schema of await subdirectories(this.root)) {
          for (const name of await subdirectories(join(this.root, schema))) {
            sources.set(keyOf(schema, name), { schema, name, location: join(this.root, schema, name) });
          }
        }
      }
      for (const t of this.listed) sources.set(keyOf(t.schema, t.name), t);
      for (const key of this.states.keys()) if (!sources.has(key)) this.forget(key);
      for (const [key, source] of sources) {
        if (!this.states.has(key)) {
          this.states.set(key, { source, listing: null, listedAt: -Infinity, walking: null, info: null, building: null });
        }
      }
      this.discoveredAt = Date.now();
    })().finally(() => (this.discovering = null));
    return this.discovering;
  }

  private forget(key: string): void {
    for (const f of this.states.get(key)?.listing?.files ?? []) this.facts.delete(f.path);
    this.states.delete(key);
  }

  /** The table's files now (a stat walk at most once per minRefreshMs). */
  private listing(state: TableState): Promise<Listing> {
    if (state.listing && Date.now() - state.listedAt < this.minRefreshMs) return Promise.resolve(state.listing);
    const { location, format } = state.source;
    state.walking ??= (isLocalUri(location) ? listTable(location, format) : listRemoteTable(this.stores, location, format))
      .then((listing) => {
        const now = new Set(listing.files.map((f) => f.path));
        for (const f of state.listing?.files ?? []) {
          if (now.has(f.path)) continue;
          this.facts.delete(f.path);
          this.standIns.forget(f.path);
        }
        state.listing = listing;
        state.listedAt = Date.now();
        return listing;
      })
      .finally(() => (state.walking = null));
    return state.walking;
  }

  private async build(state: TableState, listing: Listing, version: string): Promise<TableInfo> {
    const { schema, name, location } = state.source;
    const format = listing.format!;
    const conn = await this.instance.connect();
    try {
      const cached = listing.files.map((f) => {
        const c = this.facts.get(f.path);
        return c && sameFile(c.stat, f) ? c.facts : null;
      });
      // object-store files: DuckDB reads local stand-ins (Parquet: the footer only) under the same key paths
      const remote = !isLocalUri(location);
      const readable = async (files: FileStat[]): Promise<string[]> =>
        remote ? this.standIns.paths(format, files as RemoteFileStat[]) : files.map((f) => f.path);
      const staleFiles = listing.files.filter((_, i) => cached[i] === null);
      const stale = await readable(staleFiles);
      const got =
        stale.length === 0
          ? new Map<string, FileFacts>()
          : format === 'parquet'
            ? await parquetFacts(conn, stale)
            : await textFacts(conn, format, stale);
      const staleAt = new Map(staleFiles.map((f, i) => [f.path, stale[i]]));
      const facts = listing.files.map((f, i) => cached[i] ?? got.get(staleAt.get(f.path)!)!);
      listing.files.forEach((f, i) => this.facts.set(f.path, { stat: f, facts: facts[i] }));
      const partitionColumns = hiveKeys(location, listing.files[0].path);
      const unionByName =
        format === 'parquet' ? new Set(facts.map((f) => JSON.stringify(f.types))).size > 1 : listing.files.length > 1;
      const columns = await describe(conn, {
        format,
        files: await readable(listing.files),
        hive: partitionColumns.length > 0,
        unionByName,
      });
      const types = new Map(columns.map((c) => [c.name, c.type]));
      const files = listing.files.map((f, i) => dataFile(f, facts[i], hivePartition(location, f.path), types));
      const info: TableInfo = { schema, name, format, location, columns, partitionColumns, unionByName, files, version };
      state.info = info;
      return info;
    } catch (e) {
      // the store's own verdict (NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE…) stays what it is
      if (e instanceof SkeinError) throw new SkeinError(e.code, `lake table ${schema}.${name}: ${e.message}`, { cause: e });
      throw new FailedPreconditionError(`lake table ${schema}.${name} cannot be read: ${(e as Error).message}`, {
        cause: e,
      });
    } finally {
      conn.closeSync();
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function describe(conn: DuckDBConnection, spec: Parameters<typeof scanSql>[0]): Promise<TableInfo['columns']> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${scanSql(spec)}`);
  return (r.getRowsJS() as [string, string][]).map(([name, type]) => ({ name, type }));
}

/** Stats are kept only for columns the file holds with the table's type (so they order alike). */
function dataFile(f: FileStat, facts: FileFacts, partition: Record<string, string>, types: Map<string, string>): DataFile {
  const same = (stats: Readonly<Record<string, ColumnStats>>): Record<string, ColumnStats> =>
    Object.fromEntries(Object.entries(stats).filter(([c]) => facts.types[c] === types.get(c)));
  return {
    path: f.path,
    bytes: f.size,
    rows: facts.rows,
    partition,
    columns: same(facts.columns),
    rowGroups: facts.rowGroups.map((g) => ({ ...g, columns: same(g.columns) })),
    ...(facts.columnBytes ? { columnBytes: facts.columnBytes } : {}),
  };
}
