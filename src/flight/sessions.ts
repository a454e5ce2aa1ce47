// Flight SQL sessions: per-session options (current catalog and schema, and the DuckDB settings a
// user may change) keyed by the session id inside the bearer token, so they follow the token across
// reconnects. Each statement's fresh connection is set up from them before it runs.
import { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { Principal } from './auth';

export type OptionValue = string | boolean | number | string[];

export interface Session {
  readonly id: string;
  readonly user: string;
  readonly options: Map<string, OptionValue>;
  lastUsed: number;
}

/** The option names that select where unqualified names resolve (ADBC's current catalog/schema). */
export const CATALOG = 'catalog';
export const SCHEMA = 'schema';

export class Sessions {
  private readonly map = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  /** The caller's session, created empty on first use. */
  get(p: Principal): Session {
    let s = this.map.get(p.session);
    if (!s || s.user !== p.user) {
      s = { id: p.session, user: p.user, options: new Map(), lastUsed: Date.now() };
      this.map.set(p.session, s);
    }
    s.lastUsed = Date.now();
    return s;
  }

  /** The caller's session if it has one (no allocation for sessions that never set anything). */
  peek(p: Principal): Session | undefined {
    const s = this.map.get(p.session);
    if (!s || s.user !== p.user) return undefined;
    s.lastUsed = Date.now();
    return s;
  }

  close(p: Principal): boolean {
    const s = this.peek(p);
    if (s) this.map.delete(s.id);
    return s !== undefined;
  }

  get size(): number {
    return this.map.size;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [k, s] of this.map) if (s.lastUsed < cutoff) this.map.delete(k);
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}

/** SQL that puts a connection into the session's state (USE, then SET SESSION for each setting). */
export function sessionSetup(session: Session | undefined): string[] {
  if (!session || session.options.size === 0) return [];
  const out: string[] = [];
  const catalog = session.options.get(CATALOG);
  const schema = session.options.get(SCHEMA);
  if (typeof catalog === 'string' && typeof schema === 'string') out.push(`USE ${quoteIdent(catalog)}.${quoteIdent(schema)}`);
  else if (typeof catalog === 'string') out.push(`USE ${quoteIdent(catalog)}`);
  else if (typeof schema === 'string') out.push(`USE ${quoteIdent(schema)}`);
  for (const [name, value] of session.options) {
    if (name === CATALOG || name === SCHEMA) continue;
    out.push(`SET SESSION ${quoteIdent(name)} = ${settingLiteral(value)}`);
  }
  return out;
}

export function settingLiteral(value: OptionValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : quoteLiteral(String(value));
  if (Array.isArray(value)) return quoteLiteral(value.join(','));
  return quoteLiteral(value);
}

export async function applySession(conn: DuckDBConnection, setup: string[]): Promise<void> {
  for (const stmt of setup) await conn.run(stmt);
}
