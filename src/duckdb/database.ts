// The coordinator's DuckDB instance. Every statement gets a fresh connection, so one slow query
// never blocks another and no session state leaks between statements. A couple of connections are
// made (and configured) ahead of time, so a statement does not wait for that.
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbError } from './errors';
import { SandboxPolicy } from './sandbox';
import { quoteLiteral } from './sql';

export interface DatabaseOptions {
  path: string;
  /** DuckDB runs this far ahead of a streaming reader (per query); larger = faster big results. */
  streamingBufferSize?: string;
  threads?: number;
  memoryLimit?: string;
  /** Locks file access to these directories and extensions off; null runs DuckDB unrestricted. */
  sandbox?: SandboxPolicy | null;
}

export class Database {
  private closed = false;
  private readonly open = new Set<DuckDBConnection>();
  private readonly spares: Promise<DuckDBConnection>[] = [];
  private static readonly SPARES = 2;

  private constructor(
    readonly instance: DuckDBInstance,
    readonly timeZone: string,
    readonly version: string,
    private readonly connectSql: string | null,
    readonly sandbox: SandboxPolicy | null,
  ) {}

  static async open(opts: DatabaseOptions): Promise<Database> {
    const settings: Record<string, string> = {};
    if (opts.threads !== undefined) settings.threads = String(opts.threads);
    if (opts.memoryLimit !== undefined) settings.memory_limit = opts.memoryLimit;
    if (opts.sandbox) {
      settings.autoinstall_known_extensions = 'false';
      settings.autoload_known_extensions = 'false';
      settings.allow_community_extensions = 'false';
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(opts.path, settings);
    } catch (e) {
      throw duckdbError(e);
    }
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll("SELECT current_setting('TimeZone'), version()");
      const [tz, version] = reader.getRows()[0] as [string, string];
      const connectSql = opts.streamingBufferSize
        ? `SET streaming_buffer_size = '${opts.streamingBufferSize.replace(/'/g, "''")}'`
        : null;
      if (connectSql) await conn.run(connectSql);
      // lake files are read again and again (every fragment, every query): keep their footers parsed
      // (DuckDB checks the file's modification time, so a rewritten file is read afresh)
      await conn.run('SET GLOBAL parquet_metadata_cache = true');
      if (opts.sandbox) {
        // allowed_directories can only be set while external access is still on, and never again after
        const dirs = opts.sandbox.allowedDirectories.map((d) => quoteLiteral(d)).join(', ');
        await conn.run(`SET allowed_directories = [${dirs}]`);
        await conn.run('SET enable_external_access = false');
      }
      return new Database(instance, tz, version, connectSql, opts.sandbox ?? null);
    } finally {
      conn.closeSync();
    }
  }

  private async fresh(): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    if (this.connectSql) await conn.run(this.connectSql);
    return conn;
  }

  /** A never-used connection, configured; the caller must `release` it. */
  async connect(): Promise<DuckDBConnection> {
    if (this.closed) throw new Error('database is closed');
    while (this.spares.length < Database.SPARES + 1) {
      const p = this.fresh();
      p.catch(() => undefined); // surfaced to whoever takes it
      this.spares.push(p);
    }
    const conn = await (this.spares.shift() as Promise<DuckDBConnection>);
    this.open.add(conn);
    return conn;
  }

  release(conn: DuckDBConnection): void {
    if (this.open.delete(conn)) conn.closeSync();
  }

  /** Runs `fn` on a fresh connection that is closed afterwards, whatever happens. */
  async withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    try {
      return await fn(conn);
    } finally {
      this.release(conn);
    }
  }

  get activeConnections(): number {
    return this.open.size;
  }

  /** Interrupts every running statement, waits (up to `graceMs`) for them to unwind, then closes. */
  async close(graceMs = 3000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const until = Date.now() + graceMs;
    // interrupt repeatedly: a statement still queued for a thread starts after a single interrupt
    while (this.open.size > 0 && Date.now() < until) {
      for (const c of this.open) c.interrupt();
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const c of this.open) {
      try {
        c.closeSync();
      } catch {
        // already gone
      }
    }
    this.open.clear();
    for (const p of this.spares.splice(0)) await p.then((c) => c.closeSync(), () => undefined);
    this.instance.closeSync();
  }
}
