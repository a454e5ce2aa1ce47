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
  /** Bumped on every change; the newer of this and the token's copy wins. */
  version: number;
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

  /** The caller's session, created on first use (from the options its token carries, if any). */
  get(p: Principal): Session {
    let s = this.peek(p);
    if (!s) {
      s = { id: p.session, user: p.user, options: new Map(), lastUsed: Date.now(), version: p.optionsVersion ?? 0 };
      this.map.set(p.session, s);
    }
    s.lastUsed = Date.now();
    return s;
  }

  /**
   * The caller's session if it has one (no allocation for sessions that never set anything). A
   * session this coordinator has not seen is rebuilt from the options its token carries, so
   * sessions work behind a load balancer over coordinators that share the token secret.
   */
  peek(p: Principal): Session | undefined {
    const s = this.map.get(p.session);
    if (s && s.user !== p.user) return undefined;
    const tokenVersion = p.optionsVersion ?? 0;
    // a client that does not adopt re-issued tokens keeps presenting an older one: local state wins
    if (s && s.version >= tokenVersion) {
      s.lastUsed = Date.now();
      return s;
    }
    const carried = optionsOf(p.options);
    if (carried.size === 0) {
      if (s) this.map.delete(p.session); // changed (closed) elsewhere since
      return undefined;
    }
    const rebuilt: Session = { id: p.session, user: p.user, options: carried, lastUsed: Date.now(), version: tokenVersion };
    this.map.set(p.session, rebuilt);
    return rebuilt;
  }

  /** Forgets the session; returns the options version a re-issued token should carry. */
  close(p: Principal): number {
    const s = this.peek(p);
    if (s) this.map.delete(s.id);
    return Math.max(s?.version ?? 0, p.optionsVersion ?? 0) + 1;
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

/** Session options from a token's claims; anything not shaped like an option value is ignored. */
function optionsOf(carried: Record<string, unknown> | undefined): Map<string, OptionValue> {
  const out = new Map<string, OptionValue>();
  for (const [k, v] of Object.entries(carried ?? {})) {
    const ok =
      typeof v === 'string' ||
      typeof v === 'boolean' ||
      (typeof v === 'number' && Number.isFinite(v)) ||
      (Array.isArray(v) && v.every((x) => typeof x === 'string'));
    if (ok) out.set(k, v as OptionValue);
  }
  return out;
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
