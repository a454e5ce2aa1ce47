// Tables in table formats (Iceberg, Delta) listed in the catalog file, read through their format's
// reader. A table is re-read only when its current version changes (looked at no more often than
// minRefreshMs); each version, and each `AT` of it, is cached.
import { isAbsolute } from 'node:path';
import { UnimplementedError } from '../errors';
import { localPath } from '../store/local-store';
import { isLocalUri } from '../store/object-store';
import { openStores, Stores } from '../store/stores';
import { Catalog, TableAt, TableInfo, TableName } from './catalog';
import { FormatEntry } from './catalog-file';
import { FORMAT_READERS } from './format-readers';
import { TableFormatContext } from './table-formats';

export interface FormatCatalogOptions {
  entries: readonly FormatEntry[];
  /** The object stores metadata is read through (closed with the catalog); default: local files only. */
  stores?: Stores;
  /** A table's current version is looked at again at most this often (ms). */
  minRefreshMs?: number;
  /** Opened versions (and `AT`s) kept per table. */
  cachePerTable?: number;
}

interface TableState {
  entry: FormatEntry;
  current: string | null;
  checkedAt: number;
  checking: Promise<string> | null;
  /** Opened tables by `version\0at`, oldest first. */
  opened: Map<string, Promise<TableInfo>>;
}

const keyOf = (schema: string, name: string): string => JSON.stringify([schema, name]);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Local table roots, which DuckDB's sandbox must let readers into. */
function localRoots(entries: readonly FormatEntry[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    if (!isLocalUri(e.location)) continue;
    const p = localPath(e.location);
    if (isAbsolute(p)) out.add(p);
  }
  return [...out];
}

export class FormatCatalog implements Catalog {
  readonly roots: readonly string[];
  private readonly states = new Map<string, TableState>();
  private readonly ctx: TableFormatContext;
  private readonly minRefreshMs: number;
  private readonly cachePerTable: number;
  private readonly stores: Stores;

  constructor(opts: FormatCatalogOptions) {
    for (const entry of opts.entries) {
      this.states.set(keyOf(entry.schema, entry.name), {
        entry,
        current: null,
        checkedAt: -Infinity,
        checking: null,
        opened: new Map(),
      });
    }
    this.roots = localRoots(opts.entries);
    this.stores = opts.stores ?? openStores();
    this.ctx = { store: (uri) => this.stores.forUri(uri) };
    this.minRefreshMs = opts.minRefreshMs ?? 1000;
    this.cachePerTable = Math.max(1, opts.cachePerTable ?? 8);
  }

  async tables(): Promise<TableName[]> {
    return [...this.states.values()]
      .map(({ entry }) => ({ schema: entry.schema, name: entry.name }))
      .sort((a, b) => (a.schema === b.schema ? cmp(a.name, b.name) : cmp(a.schema, b.schema)));
  }

  async table(schema: string, name: string, at?: TableAt): Promise<TableInfo | null> {
    const state = this.states.get(keyOf(schema, name));
    if (!state) return null;
    const reader = FORMAT_READERS[state.entry.format];
    if (!reader) throw new UnimplementedError(`lake table ${schema}.${name}: ${state.entry.format} tables are not supported yet`);
    const version = await this.currentVersion(state);
    const key = `${version}\0${at ? `${at.unit}\0${at.value}` : ''}`;
    let opened = state.opened.get(key);
    if (opened) {
      state.opened.delete(key); // most recently used last
      state.opened.set(key, opened);
      return opened;
    }
    opened = reader.open(state.entry, at, this.ctx);
    state.opened.set(key, opened);
    // a failure is not cached: the next query tries again (the metadata may be fixed by then)
    opened.catch(() => {
      if (state.opened.get(key) === opened) state.opened.delete(key);
    });
    while (state.opened.size > this.cachePerTable) state.opened.delete(state.opened.keys().next().value as string);
    return opened;
  }

  async close(): Promise<void> {
    for (const s of this.states.values()) s.opened.clear();
    await this.stores.close();
  }

  private currentVersion(state: TableState): Promise<string> {
    if (state.current !== null && Date.now() - state.checkedAt < this.minRefreshMs) return Promise.resolve(state.current);
    const reader = FORMAT_READERS[state.entry.format]!;
    state.checking ??= reader
      .currentVersion(state.entry, this.ctx)
      .then((v) => {
        if (v !== state.current) {
          // what was opened under an older current version is dropped (an `AT` is re-resolved too)
          for (const k of state.opened.keys()) if (!k.startsWith(`${v}\0`)) state.opened.delete(k);
        }
        state.current = v;
        state.checkedAt = Date.now();
        return v;
      })
      .finally(() => (state.checking = null));
    return state.checking;
  }
}
