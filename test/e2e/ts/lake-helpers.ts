// Shared set-up of the lake e2e tests: a Skein server on a free port that lets one user in, its
// logged-in clients, and a query's rows from Skein and from DuckDB in forms that compare.
import { DuckDBConnection } from '@duckdb/node-api';
import { RunningServer, startServer } from '../../../src/cli/serve';
import { loadConfig } from '../../../src/config';
import { FlightSqlClient } from '../../../src/flight/client';
import { RawFlight } from './raw-flight';

export interface TestUser {
  user: string;
  password: string;
}

/** A server for `user`; `overrides` (catalog, executors, store, registry…) are the test's own config. */
/**
 * A server over a test lake. Test lakes are tiny, so every statement would count as small and run
 * whole as one fragment (executors.smallStatementBytes): unless a test sets it, that is off here so
 * the tests see statements cut up as larger data would be.
 */
export function startLakeServer(user: TestUser, overrides: Record<string, unknown>): Promise<RunningServer> {
  const executors = overrides.executors as Record<string, unknown> | undefined;
  const cut = executors && executors.smallStatementBytes === undefined ? { executors: { ...executors, smallStatementBytes: 0 } } : {};
  return startServer(
    loadConfig({ env: {}, overrides: { port: 0, users: [{ username: user.user, password: user.password }], ...overrides, ...cut } }),
  );
}

/** `c` once it has logged in (closed again if the login fails). */
async function loggedIn<C extends { authenticate(): Promise<unknown>; close(): void }>(c: C): Promise<C> {
  try {
    await c.authenticate();
  } catch (e) {
    c.close();
    throw e;
  }
  return c;
}

/** A Flight SQL client of `server`, logged in as `user`. */
export function flightClient(server: RunningServer, user: TestUser): Promise<FlightSqlClient> {
  return loggedIn(new FlightSqlClient({ host: '127.0.0.1', port: server.port, ...user }));
}

/** A raw Flight client of `server`, logged in as `user`; `deadlineMs` per call. */
export function rawFlight(server: RunningServer, user: TestUser, deadlineMs?: number): Promise<RawFlight> {
  return loggedIn(new RawFlight(server.port, user.user, user.password, deadlineMs));
}

type Closable = { close(): unknown } | { closeSync(): unknown } | null | undefined;

/** Closes clients, servers and DuckDB handles in the order given, skipping those never made. */
export async function closeAll(...things: Closable[]): Promise<void> {
  for (const t of things) {
    if (!t) continue;
    if ('closeSync' in t) t.closeSync();
    else await t.close();
  }
}

/** Rows as JSON text (bigints as strings), to compare results from Arrow and from DuckDB. */
export function plain(rows: unknown[][]): string {
  return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/** Skein's answer to `query`, every row as an array. */
export async function skeinRows(client: FlightSqlClient, query: string): Promise<unknown[][]> {
  const out: unknown[][] = [];
  for await (const batch of await client.query(query)) for (const row of batch) out.push(row.toArray());
  return out;
}

/** DuckDB's answer to `query` on `conn`. */
/** EXPLAIN of `query` through Flight SQL as text, one "key: value" line per row. */
export async function explainText(client: FlightSqlClient, query: string): Promise<string> {
  return (await skeinRows(client, `EXPLAIN ${query}`)).map((r) => `${String(r[0])}: ${String(r[1])}`).join('\n');
}

export async function duckRows(conn: DuckDBConnection, query: string): Promise<unknown[][]> {
  return (await conn.runAndReadAll(query)).getRowsJS() as unknown[][];
}

/** EXPLAIN's rows (explain_key → explain_value) for a query that starts with EXPLAIN. */
export async function explainRows(c: RawFlight, query: string): Promise<Map<string, string>> {
  const t = await c.query(query);
  const out = new Map<string, string>();
  for (const row of t.toArray() as { explain_key: string; explain_value: string }[]) out.set(row.explain_key, row.explain_value);
  return out;
}

/**
 * Rows as text, sorted unless the order is the answer. Every value as a string: DuckDB gives HUGEINT
 * sums as bigints where Arrow gives Decimal128(38, 0) text; dates as ISO text.
 */
export function plainRows(rows: unknown[][], ordered: boolean): string[] {
  const out = rows.map((r) => JSON.stringify(r.map((v) => (v === null ? null : v instanceof Date ? v.toISOString() : String(v)))));
  return ordered ? out : out.sort();
}
