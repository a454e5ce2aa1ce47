// Lake tables as views on the coordinator's DuckDB (`<schema>.<table>` over the table's files), so
// single-node queries and the Flight SQL metadata commands see them. A view is re-created when its
// table's version changes: on `refresh()` and on a periodic poll.
import { Database } from '../duckdb/database';
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { log } from '../log';
import { Catalog, TableInfo } from './catalog';
import { tableScanSql } from './scan-sql';
import { isRemoteTable, remoteViewSql } from './remote-view';

/** Every view comment starts with this: how lake tables are told from users' own views. */
export const LAKE_TABLE_COMMENT = 'lake table';

export interface RefreshReport {
  created: string[];
  dropped: string[];
  failed: { table: string; error: string }[];
}

interface Registered {
  schema: string;
  name: string;
  version: string;
}

const label = (schema: string, name: string): string => `${schema}.${name}`;
const keyOf = (schema: string, name: string): string => JSON.stringify([schema, name]);

export class CatalogViews {
  private readonly registered = new Map<string, Registered>();
  private running: Promise<RefreshReport> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private failures = new Map<string, string>();

  constructor(
    private readonly db: Database,
    private readonly catalog: Catalog,
  ) {}

  /** Registers every table now, then polls every `pollSeconds` (0 = never). Failures are logged. */
  static async start(db: Database, catalog: Catalog, pollSeconds: number): Promise<CatalogViews> {
    const views = new CatalogViews(db, catalog);
    try {
      await views.adopt();
      views.logged(await views.refresh());
    } catch (e) {
      log.error({ err: e }, 'lake tables not registered'); // e.g. an unreadable root: the poll retries
    }
    if (pollSeconds > 0) {
      views.timer = setInterval(() => {
        views.refresh().then(
          (r) => views.logged(r),
          (e: unknown) => {
            if (views.timer) log.error({ err: e }, 'lake table refresh failed'); // not when closing
          },
        );
      }, pollSeconds * 1000);
      views.timer.unref();
    }
    return views;
  }

  /**
   * Views a previous run left in a persistent database file: taken as registered (with an unknown
   * version), so they are replaced, or dropped when their table is gone.
   */
  private async adopt(): Promise<void> {
    const r = await this.db.withConnection((conn) =>
      conn.runAndReadAll(
        `SELECT schema_name, view_name FROM duckdb_views()
         WHERE NOT internal AND NOT temporary AND database_name = current_database() AND starts_with(comment, $1)`,
        [`${LAKE_TABLE_COMMENT}:`],
      ),
    );
    for (const [schema, name] of r.getRowsJS() as [string, string][]) {
      this.registered.set(keyOf(schema, name), { schema, name, version: '' });
    }
  }

  /** Brings the views in line with the catalog; concurrent calls share one pass (plus one after). */
  async refresh(): Promise<RefreshReport> {
    if (this.running) {
      this.again = true; // changes seen after the running pass started still get picked up
      return this.running;
    }
    this.running = (async () => {
      let report: RefreshReport;
      do {
        this.again = false;
        report = await this.pass();
      } while (this.again);
      return report;
    })().finally(() => (this.running = null));
    return this.running;
  }

  /** Logs what a pass changed, and each failure once (until its message changes). */
  private logged(r: RefreshReport): void {
    if (r.created.length + r.dropped.length > 0) log.info({ created: r.created, dropped: r.dropped }, 'lake tables registered');
    const now = new Map(r.failed.map((f) => [f.table, f.error]));
    for (const [table, error] of now) {
      if (this.failures.get(table) !== error) log.warn({ table, error }, 'lake table not registered');
    }
    this.failures = now;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async pass(): Promise<RefreshReport> {
    const report: RefreshReport = { created: [], dropped: [], failed: [] };
    const seen = new Set<string>();
    for (const { schema, name } of await this.catalog.tables()) {
      const key = keyOf(schema, name);
      seen.add(key);
      try {
        const info = await this.catalog.table(schema, name);
        if (!info) continue; // gone since tables(): dropped below on the next pass
        if (this.registered.get(key)?.version === info.version) continue;
        await this.create(info);
        this.registered.set(key, { schema, name, version: info.version });
        report.created.push(label(schema, name));
      } catch (e) {
        report.failed.push({ table: label(schema, name), error: (e as Error).message });
      }
    }
    for (const [key, r] of this.registered) {
      if (seen.has(key)) continue;
      try {
        await this.drop(r);
        this.registered.delete(key);
        report.dropped.push(label(r.schema, r.name));
      } catch (e) {
        report.failed.push({ table: label(r.schema, r.name), error: (e as Error).message });
      }
    }
    return report;
  }

  private async create(info: TableInfo): Promise<void> {
    const view = `${quoteIdent(info.schema)}.${quoteIdent(info.name)}`;
    const comment = `${LAKE_TABLE_COMMENT}: ${info.files.length} ${info.format} file(s), version ${info.version}`;
    await this.db.withConnection(async (conn) => {
      await conn.run('BEGIN');
      try {
        await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(info.schema)}`);
        const body = isRemoteTable(info) ? remoteViewSql(info) : `SELECT * FROM ${tableScanSql(info)}`;
        await conn.run(`CREATE OR REPLACE VIEW ${view} AS ${body}`);
        await conn.run(`COMMENT ON VIEW ${view} IS ${quoteLiteral(comment)}`);
        await conn.run('COMMIT');
      } catch (e) {
        await conn.run('ROLLBACK');
        throw e;
      }
    });
  }

  /** Drops the view, and its schema unless something else still lives there. */
  private async drop(r: Registered): Promise<void> {
    await this.db.withConnection(async (conn) => {
      await conn.run(`DROP VIEW IF EXISTS ${quoteIdent(r.schema)}.${quoteIdent(r.name)}`);
      const shared = r.schema === 'main' || [...this.registered.values()].some((o) => o !== r && o.schema === r.schema);
      if (shared) return;
      try {
        await conn.run(`DROP SCHEMA IF EXISTS ${quoteIdent(r.schema)}`);
      } catch (e) {
        // without CASCADE DuckDB refuses while the schema holds other objects: then it stays
        if (!/depend/i.test((e as Error).message)) throw e;
      }
    });
  }
}
