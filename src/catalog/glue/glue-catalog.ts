// The AWS Glue Data Catalog as a Skein catalog: Glue databases are schemas, Glue tables are tables.
// Hive-style tables (Parquet, CSV/text, JSON; partitions from GetPartitions) are read from the files
// under their locations; Iceberg (table_type=ICEBERG, metadata_location) and Delta tables go through
// the table-format readers. Every Glue answer is cached for ttlMs; a table is rebuilt when its Glue
// version (VersionId, UpdateTime, metadata_location), its partitions or its files change.
import { createHash } from 'node:crypto';
import { Table } from '@aws-sdk/client-glue';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InvalidArgumentError, NotFoundError, PermissionDeniedError, UnimplementedError } from '../../errors';
import { log } from '../../log';
import { ObjectStore } from '../../store/object-store';
import { StoreConfig } from '../../store/store-config';
import { openStores } from '../../store/stores';
import { Catalog, TableAt, TableInfo, TableName } from '../catalog';
import { FORMAT_READERS } from '../format-readers';
import { StandIns } from '../remote-files';
import { TableFormatContext, TableFormatName } from '../table-formats';
import { TtlCache } from './cache';
import { GlueCatalogClient, GlueClientConfig } from './glue-client';
import { GlueConfig } from './glue-config';
import { buildHiveTable, FactsCache, factsSource, FileFactsSource } from './hive-table';

export interface GlueCatalogOptions {
  client: GlueClientConfig;
  /** Only these Glue databases are served (all when absent). */
  databases?: readonly string[];
  /** Glue answers (databases, tables, partitions, file listings) are reused this long. */
  ttlMs: number;
  /** The object store for a table's location (s3://…, or a local path). */
  store: (uri: string) => ObjectStore;
  /** Local paths DuckDB may read table files from (a partition cache…), for the sandbox. */
  roots?: readonly string[];
  /** Local files DuckDB can read footer statistics from; default: local objects only. */
  files?: FileFactsSource;
  now?: () => number;
  /** Called by close() (the stores the catalog owns). */
  onClose?: () => Promise<void>;
}

type Kind = { kind: 'hive' } | { kind: 'format'; format: TableFormatName } | { kind: 'view' };

/** What kind of Glue table this is: Iceberg/Delta by their markers, views skipped, the rest Hive. */
export function kindOf(t: Table): Kind {
  const params = Object.fromEntries(Object.entries(t.Parameters ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const type = (params.table_type ?? '').toUpperCase();
  if (type === 'ICEBERG') return { kind: 'format', format: 'iceberg' };
  if (type === 'DELTA' || (params['spark.sql.sources.provider'] ?? '').toLowerCase() === 'delta') return { kind: 'format', format: 'delta' };
  if ((t.TableType ?? '').toUpperCase() === 'VIRTUAL_VIEW') return { kind: 'view' };
  return { kind: 'hive' };
}

/** The table's Glue version: changes on every UpdateTable (and every Iceberg commit). */
function glueVersion(t: Table): string {
  return JSON.stringify([t.VersionId ?? '', t.UpdateTime?.getTime() ?? t.CreateTime?.getTime() ?? 0, t.Parameters?.metadata_location ?? '']);
}

const lc = (s: string): string => s.toLowerCase();
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A table listing of one database: by lower-cased name (Glue names are case-insensitive). */
type DatabaseTables = { tables: Map<string, Table> } | { denied: PermissionDeniedError } | null;

export class GlueCatalog implements Catalog {
  readonly roots: readonly string[];
  private readonly client: GlueCatalogClient;
  private readonly filter: Set<string> | null;
  private readonly databaseList: TtlCache<Map<string, string>>;
  private readonly databaseTables: TtlCache<DatabaseTables>;
  private readonly direct: TtlCache<Table | null>;
  private readonly hive: TtlCache<TableInfo>;
  /** Table-format tables by metadata location (immutable per location) and `AT`. */
  private readonly formats: TtlCache<TableInfo>;
  private readonly ctx: TableFormatContext;
  private readonly factsSource: FileFactsSource;
  /** The hive cache key in use per table (by `[database, name]`): an older Glue version's entry is dropped. */
  private readonly hiveKeys = new Map<string, string>();
  /** File facts per table (by `[database, name]`), so a rebuild reads only new or changed files. */
  private readonly facts = new Map<string, FactsCache>();
  /** Delta tables' current versions (their Glue entry stays while the log grows). */
  private readonly formatVersions: TtlCache<string>;
  /** Schemas known to be Glue databases (configured, or seen listed): Glue failing then fails their queries. */
  private readonly known = new Set<string>();
  private instance: Promise<DuckDBInstance> | null = null;
  private closed = false;

  constructor(private readonly opts: GlueCatalogOptions) {
    this.client = new GlueCatalogClient(opts.client);
    this.filter = opts.databases ? new Set(opts.databases.map(lc)) : null;
    for (const d of this.filter ?? []) this.known.add(d);
    this.roots = [...(opts.roots ?? [])];
    const ttl = { ttlMs: opts.ttlMs, now: opts.now };
    this.databaseList = new TtlCache(ttl);
    this.databaseTables = new TtlCache(ttl);
    this.direct = new TtlCache(ttl);
    this.hive = new TtlCache({ ...ttl, maxEntries: 1024 });
    this.formats = new TtlCache({ ttlMs: Infinity, maxEntries: 64 });
    this.ctx = { store: opts.store };
    this.formatVersions = new TtlCache(ttl);
    this.factsSource = opts.files ?? factsSource(null);
  }

  async tables(): Promise<TableName[]> {
    const out: TableName[] = [];
    for (const database of (await this.databases()).values()) {
      const listed = await this.tablesOf(database);
      if (!listed) continue; // dropped since the database list was read
      if ('denied' in listed) {
        log.warn({ database, error: listed.denied.message }, 'glue database not listed');
        continue;
      }
      for (const t of listed.tables.values()) {
        if (kindOf(t).kind !== 'view' && t.Name) out.push({ schema: database, name: t.Name });
      }
    }
    // what was kept for tables that left Glue goes (a skipped database's tables are just rebuilt later)
    const present = new Set(out.map((t) => JSON.stringify([t.schema, t.name])));
    for (const [key, facts] of this.facts) {
      if (present.has(key)) continue;
      for (const uri of facts.keys()) this.factsSource.forget?.(uri);
      this.facts.delete(key);
      const cached = this.hiveKeys.get(key);
      if (cached !== undefined) this.hive.delete(cached);
      this.hiveKeys.delete(key);
    }
    return out.sort((a, b) => (a.schema === b.schema ? cmp(a.name, b.name) : cmp(a.schema, b.schema)));
  }

  async table(schema: string, name: string, at?: TableAt): Promise<TableInfo | null> {
    let databases: Map<string, string>;
    try {
      databases = await this.databases();
    } catch (e) {
      // the planner asks for every table a query names, DuckDB's own ones too: an unreachable Glue
      // fails only queries of schemas that are (or were) Glue databases
      if (this.known.has(lc(schema))) throw e;
      return null;
    }
    const database = databases.get(lc(schema));
    if (!database) return null;
    const glue = await this.glueTable(database, name);
    if (!glue || !glue.Name) return null;
    const label = `glue table ${database}.${glue.Name}`;
    const kind = kindOf(glue);
    if (kind.kind === 'view') return null;
    if (kind.kind === 'format') return this.formatTable(database, glue, kind.format, at, label);
    if (at) {
      throw new InvalidArgumentError(`${label} is a Hive table without versions: AT (${at.unit} => …) needs an Iceberg or Delta table`);
    }
    const tableKey = JSON.stringify([database, glue.Name]);
    let facts = this.facts.get(tableKey);
    if (!facts) this.facts.set(tableKey, (facts = new Map()));
    const version = glueVersion(glue);
    const key = JSON.stringify([database, glue.Name, version]);
    const previous = this.hiveKeys.get(tableKey);
    if (previous !== undefined && previous !== key) this.hive.delete(previous);
    this.hiveKeys.set(tableKey, key);
    return this.hive.get(key, () =>
      this.withConnection((conn) =>
        buildHiveTable({
          conn,
          client: this.client,
          table: glue,
          schema: database,
          label,
          glueVersion: version,
          store: this.opts.store,
          files: this.factsSource,
          facts: facts!,
          digest,
        }),
      ),
    );
  }

  /** Forgets every cached Glue answer: the next call sees Glue as it is now. */
  refresh(): void {
    for (const c of [this.databaseList, this.databaseTables, this.direct, this.hive, this.formatVersions]) c.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.refresh();
    this.formats.clear();
    this.facts.clear();
    this.hiveKeys.clear();
    this.client.close();
    const instance = await this.instance?.catch(() => null);
    instance?.closeSync();
    await this.opts.onClose?.();
  }

  /** Glue databases served (lower-cased name → Glue's name), after the configured filter. */
  private databases(): Promise<Map<string, string>> {
    return this.databaseList.get('', async () => {
      const out = new Map<string, string>();
      for (const d of await this.client.databases()) {
        if (d.Name && (!this.filter || this.filter.has(lc(d.Name)))) out.set(lc(d.Name), d.Name);
      }
      for (const d of out.keys()) this.known.add(d);
      return out;
    });
  }

  private tablesOf(database: string): Promise<DatabaseTables> {
    return this.databaseTables.get(database, async () => {
      try {
        return { tables: new Map((await this.client.tables(database)).flatMap((t) => (t.Name ? [[lc(t.Name), t] as const] : []))) };
      } catch (e) {
        if (e instanceof PermissionDeniedError) return { denied: e };
        if (e instanceof NotFoundError) return null;
        throw e;
      }
    });
  }

  /** The Glue table from the database's listing, or asked for alone when listing was denied. */
  private async glueTable(database: string, name: string): Promise<Table | null> {
    const listed = await this.tablesOf(database);
    if (!listed) return null;
    if ('tables' in listed) return listed.tables.get(lc(name)) ?? null;
    // GetTables denied: GetTable may still be allowed (fine-grained policies); if not, it says so
    return this.direct.get(JSON.stringify([database, lc(name)]), () => this.client.table(database, name));
  }

  private async formatTable(database: string, glue: Table, format: TableFormatName, at: TableAt | undefined, label: string): Promise<TableInfo> {
    const reader = FORMAT_READERS[format];
    if (!reader) throw new UnimplementedError(`${label}: ${format} tables are not supported yet`);
    const metadata = glue.Parameters?.metadata_location;
    const location = glue.StorageDescriptor?.Location ?? (metadata ? metadata.replace(/\/metadata\/[^/]+$/, '') : undefined);
    if (!location) throw new InvalidArgumentError(`${label}: Glue gives no location for this ${format} table`);
    if (format === 'iceberg' && !metadata) {
      throw new InvalidArgumentError(`${label}: an Iceberg table in Glue needs the metadata_location parameter`);
    }
    const source = { schema: database, name: glue.Name!, location, ...(format === 'iceberg' ? { metadata } : {}) };
    // Iceberg metadata files never change: one opened table per metadata file (and `AT`); Delta's
    // location stays while its log grows, so its reader says what the current version is
    const version =
      format === 'iceberg'
        ? metadata!
        : await this.formatVersions.get(JSON.stringify([database, glue.Name, location]), () => reader.currentVersion(source, this.ctx));
    const key = JSON.stringify([database, glue.Name, version, at?.unit ?? '', at?.value ?? '']);
    return this.formats.get(key, () => reader.open(source, at, this.ctx));
  }

  private async withConnection<T>(f: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    // its own small DuckDB: footer reads never wait behind user queries; bounds render in UTC
    this.instance ??= DuckDBInstance.create(':memory:', {
      threads: '1',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    });
    const conn = await (await this.instance).connect();
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      return await f(conn);
    } finally {
      conn.closeSync();
    }
  }
}

/** A short stable digest (for versions built from many parts). */
export function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(`${p}\n`);
  return h.digest('hex').slice(0, 24);
}

/** The Glue catalog `catalog.glue` asks for, reading table files through stores made from `store`. */
export function openGlueCatalog(glue: GlueConfig, store: StoreConfig): GlueCatalog {
  const own = glue.accessKeyId && glue.secretAccessKey ? glue : null;
  const s3 = store.s3.accessKeyId && store.s3.secretAccessKey ? store.s3 : null;
  const creds = own ?? s3;
  const stores = openStores(store);
  const standIns = new StandIns(stores);
  return new GlueCatalog({
    client: {
      region: glue.region,
      endpoint: glue.endpoint,
      catalogId: glue.catalogId,
      credentials: creds ? { accessKeyId: creds.accessKeyId!, secretAccessKey: creds.secretAccessKey!, sessionToken: creds.sessionToken } : undefined,
    },
    databases: glue.databases,
    ttlMs: glue.ttlSeconds * 1000,
    store: (uri) => stores.forUri(uri),
    files: factsSource(standIns),
    onClose: async () => {
      standIns.close();
      await stores.close();
    },
  });
}
