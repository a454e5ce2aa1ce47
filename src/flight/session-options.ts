// Flight session actions (raw protobuf bodies, not Any): SetSessionOptions, GetSessionOptions and
// CloseSession. Options are the current catalog and schema (ADBC's current catalog/schema) and the
// DuckDB settings the configuration lets users change; each new value is tried on a scratch
// connection first, so a bad one is refused (INVALID_VALUE) instead of breaking later statements.
import { duckdbError } from '../duckdb/errors';
import { quoteIdent } from '../duckdb/sql';
import { ActionTable } from './action-table';
import { CallContext } from './context';
import { codecs, SessionOptionValue } from './proto';
import { applySession, CATALOG, OptionValue, SCHEMA, Session, sessionSetup, settingLiteral } from './sessions';

const INVALID_NAME = 1;
const INVALID_VALUE = 2;
const CLOSED = 1;

function fromProto(v: SessionOptionValue): OptionValue | undefined {
  switch (v.option_value) {
    case 'string_value':
      return v.string_value ?? '';
    case 'bool_value':
      return v.bool_value ?? false;
    case 'int64_value':
      return Number(v.int64_value ?? 0);
    case 'double_value':
      return v.double_value ?? 0;
    case 'string_list_value':
      return v.string_list_value?.values ?? [];
    default:
      return undefined; // no value: erase the option
  }
}

function toProto(v: OptionValue): SessionOptionValue {
  if (typeof v === 'string') return { string_value: v };
  if (typeof v === 'boolean') return { bool_value: v };
  if (Array.isArray(v)) return { string_list_value: { values: v } };
  return Number.isInteger(v) ? { int64_value: v } : { double_value: v };
}

/** The configured name of a user-settable DuckDB setting (names are case-insensitive), or null. */
function settingName(ctx: CallContext, name: string): string | null {
  const lower = name.toLowerCase();
  return ctx.state.config.sessionSettings.find((s) => s.toLowerCase() === lower) ?? null;
}

/** Tries the session's state on a throwaway connection; returns DuckDB's complaint, if any. */
async function tryOptions(ctx: CallContext, options: Map<string, OptionValue>): Promise<string | null> {
  const probe: Session = { id: '', user: '', options, lastUsed: 0, version: 0 };
  const conn = await ctx.state.db.connect();
  try {
    await applySession(conn, sessionSetup(probe));
    return null;
  } catch (e) {
    return duckdbError(e).message;
  } finally {
    ctx.state.db.release(conn);
  }
}

async function currentNamespace(ctx: CallContext, session: Session | undefined): Promise<[string, string]> {
  const conn = await ctx.state.db.connect();
  try {
    await applySession(conn, sessionSetup(session));
    const r = await conn.runAndReadAll('SELECT current_database(), current_schema()');
    return r.getRowsJS()[0] as [string, string];
  } catch (e) {
    throw duckdbError(e);
  } finally {
    ctx.state.db.release(conn);
  }
}

/** SQL that brings a connection already set up for the session up to date with `changed` options. */
async function changeStatements(ctx: CallContext, session: Session, changed: Set<string>): Promise<string[]> {
  const out: string[] = [];
  if (changed.has(CATALOG) || changed.has(SCHEMA)) {
    const [catalog, schema] = await currentNamespace(ctx, session);
    out.push(`USE ${quoteIdent(catalog)}.${quoteIdent(schema)}`);
  }
  for (const name of changed) {
    if (name === CATALOG || name === SCHEMA) continue;
    const value = session.options.get(name);
    out.push(
      value === undefined
        ? `RESET SESSION ${quoteIdent(name)}`
        : `SET SESSION ${quoteIdent(name)} = ${settingLiteral(value)}`,
    );
  }
  return out;
}

/**
 * Sends the caller a bearer token that carries the session's options (ADBC and JDBC adopt a token
 * from any response's headers), so a coordinator that has not seen this session — behind a load
 * balancer, or after a restart with the same token secret — applies the same options.
 */
function reissueToken(ctx: CallContext, options: Map<string, OptionValue>, version: number): void {
  const p = ctx.principal;
  const token = ctx.state.auth.issue(p.user, p.session, Object.fromEntries(options), p.expires, version);
  ctx.replyHeaders?.set('authorization', `Bearer ${token}`);
}

export const sessionActions: ActionTable = {
  SetSessionOptions: {
    description: 'Set session options: catalog, schema, and the DuckDB settings users may change',
    async run(ctx: CallContext, body: Buffer) {
      const req = codecs.SetSessionOptionsRequest.decode(body);
      const session = ctx.state.sessions.get(ctx.principal);
      const errors: Record<string, { value: number }> = {};
      const changed = new Set<string>();
      for (const [name, raw] of Object.entries(req.session_options ?? {})) {
        const value = fromProto(raw);
        const key = name === CATALOG || name === SCHEMA ? name : settingName(ctx, name);
        if (key === null) {
          errors[name] = { value: INVALID_NAME };
          continue;
        }
        if (value === undefined) {
          if (session.options.delete(key)) changed.add(key);
          continue;
        }
        if ((key === CATALOG || key === SCHEMA) && typeof value !== 'string') {
          errors[name] = { value: INVALID_VALUE };
          continue;
        }
        const next = new Map(session.options);
        next.set(key, value);
        const problem = await tryOptions(ctx, next);
        if (problem === null) {
          session.options.set(key, value);
          changed.add(key);
        } else errors[name] = { value: INVALID_VALUE };
      }
      if (changed.size > 0) {
        const tz = session.options.get('TimeZone');
        await ctx.state.transactions.reconfigure(
          ctx.principal,
          () => changeStatements(ctx, session, changed),
          typeof tz === 'string' ? tz : ctx.state.db.timeZone,
        );
      }
      if (changed.size > 0) session.version = Math.max(session.version, ctx.principal.optionsVersion ?? 0) + 1;
      reissueToken(ctx, session.options, session.version);
      return [codecs.SetSessionOptionsResult.encode({ errors })];
    },
  },
  GetSessionOptions: {
    description: 'Get the session options, including the current catalog and schema',
    async run(ctx: CallContext, body: Buffer) {
      codecs.GetSessionOptionsRequest.decode(body);
      const session = ctx.state.sessions.peek(ctx.principal);
      const [catalog, schema] = await currentNamespace(ctx, session);
      const out: Record<string, SessionOptionValue> = {
        [CATALOG]: toProto(catalog),
        [SCHEMA]: toProto(schema),
      };
      for (const [k, v] of session?.options ?? []) if (k !== CATALOG && k !== SCHEMA) out[k] = toProto(v);
      return [codecs.GetSessionOptionsResult.encode({ session_options: out })];
    },
  },
  CloseSession: {
    description: 'Close the session: forget its options and roll back its open transactions',
    async run(ctx: CallContext, body: Buffer) {
      codecs.CloseSessionRequest.decode(body);
      const version = ctx.state.sessions.close(ctx.principal);
      await ctx.state.transactions.closeSession(ctx.principal.session);
      reissueToken(ctx, new Map(), version);
      return [codecs.CloseSessionResult.encode({ status: CLOSED })];
    },
  },
};
