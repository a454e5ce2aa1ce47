// Time travel in the planner: `FROM t AT (VERSION => 123)` / `AT (TIMESTAMP => …)` on a lake table.
// DuckDB's parser keeps the clause on the BASE_TABLE node (`at_clause: {unit, expr}`); the planner
// has DuckDB evaluate the expression once, asks the catalog for the table at that point, and keys
// its tables by (schema, name, at) so one query may read a table at several points. The coordinator's
// views only show the current version, so wherever a statement is bound or run on the coordinator,
// each AT reference is first replaced by a scan of that version's files.
import { DuckDBConnection, VARCHAR } from '@duckdb/node-api';
import { TableAt, TableInfo } from '../catalog/catalog';
import { tableScanSql } from '../catalog/scan-sql';
import { InvalidArgumentError } from '../errors';
import { clone, Node, parse, ParsedStatement, varcharConstant, walk } from './ast';

/** A key for an at_clause that ignores where it was written ('' for none). */
export function atKey(clause: unknown): string {
  if (!clause) return '';
  return JSON.stringify(clause, (k, v: unknown) => (k === 'query_location' || k === 'alias' ? undefined : v));
}

/** Marks integer literals too long for a double, so JSON.parse keeps their digits (only AT expressions are re-rendered). */
const BIG = '@@skein-big:';

function exactParse(json: string): unknown {
  return JSON.parse(json.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![\d.eE])/g, (m) => (m.startsWith('"') ? m : `"${BIG}${m}"`)));
}

function exactStringify(doc: unknown): string {
  return JSON.stringify(doc).replace(/"@@skein-big:(-?\d+)"/g, '$1');
}

function atClauses(root: unknown): Node[] {
  const out: Node[] = [];
  walk(root, (n) => {
    if (n.type === 'BASE_TABLE' && n.class === undefined && n.at_clause) out.push(n.at_clause as Node);
    return undefined;
  });
  return out;
}

/** Evaluates one clause's expression (exact JSON, big integers intact) into the catalog's TableAt. */
async function evaluate(conn: DuckDBConnection, clause: Node, table: string): Promise<TableAt> {
  const unit = String(clause.unit).toUpperCase();
  if (unit !== 'VERSION' && unit !== 'TIMESTAMP') throw new InvalidArgumentError(`${table}: AT (${unit} => …) is not supported (VERSION or TIMESTAMP)`);
  // TIMESTAMP: any timestamp-like value, as the UTC instant it names (a plain TIMESTAMP is read in the session's time zone)
  const probe = (await parse(
    conn,
    unit === 'VERSION' ? 'SELECT CAST(NULL AS VARCHAR)' : "SELECT CAST(CAST(NULL AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS VARCHAR)",
  )) as ParsedStatement[];
  // the user's expression goes where the NULL is: the innermost CAST's child
  const item = (probe[0].node.select_list as Node[])[0];
  let inner: Node = item;
  walk(item, (n) => {
    if (n.class === 'CAST') inner = n;
    return undefined;
  });
  inner.child = clause.expr;
  let value: unknown;
  try {
    const doc = exactStringify({ error: false, statements: [{ node: { ...probe[0].node, select_list: [item] } }] });
    const sql = (await conn.runAndReadAll('SELECT json_deserialize_sql($1::JSON)', [doc], [VARCHAR])).getRows()[0][0] as string;
    value = (await conn.runAndReadAll(sql)).getRows()[0][0];
  } catch (e) {
    throw new InvalidArgumentError(`${table}: AT (${unit} => …) cannot be evaluated: ${(e as Error).message}`, { cause: e });
  }
  if (value === null || value === undefined) throw new InvalidArgumentError(`${table}: AT (${unit} => NULL) names no version`);
  return { unit, value: String(value) };
}

/**
 * Evaluates every AT clause of the statement `sql` parsed into `root` (before anything rewrote it).
 * The planner's tree holds numbers as doubles, which would round a 64-bit snapshot id, so the
 * clauses are read from an exact parse of the same text. Each clause in `root` is then replaced by
 * its value as a VARCHAR constant: atKey tells versions apart exactly, and the map gives the value.
 */
export async function resolveAts(conn: DuckDBConnection, sql: string, root: Node): Promise<Map<string, TableAt>> {
  const out = new Map<string, TableAt>();
  const mine = atClauses(root);
  if (mine.length === 0) return out;
  const raw = (await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql], [VARCHAR])).getRows()[0][0] as string;
  const exact = atClauses((exactParse(raw) as { statements: ParsedStatement[] }).statements[0].node);
  if (exact.length !== mine.length) throw new Error(`AT clauses: ${exact.length} in the exact parse, ${mine.length} in the plan`);
  for (const [i, clause] of mine.entries()) {
    const at = await evaluate(conn, exact[i], 'AT clause');
    clause.expr = varcharConstant(at.value);
    out.set(atKey(clause), at);
  }
  return out;
}

/** How the planner finds the table a BASE_TABLE node reads (null: not a lake table). */
export type ResolveRef = (ref: Node) => TableInfo | null;

/** The scan of all of `table`'s files as a FROM item standing where `ref` stood. */
export async function scanInPlaceOf(conn: DuckDBConnection, table: TableInfo, ref: Node): Promise<Node> {
  const parsed = (await parse(conn, `SELECT * FROM ${tableScanSql(table)}`)) as ParsedStatement[];
  const from = parsed[0].node.from_table as Node;
  return { ...from, alias: String(ref.alias || ref.table_name), column_name_alias: ref.column_name_alias ?? [] };
}

/** A copy of `node` whose lake-table references with an AT clause read their version's files instead. */
export async function inlineAt(conn: DuckDBConnection, node: Node, resolve: ResolveRef): Promise<Node> {
  const copy = clone(node);
  const refs: Node[] = [];
  walk(copy, (n) => {
    if (n.type === 'BASE_TABLE' && n.class === undefined && n.at_clause) refs.push(n);
    return undefined;
  });
  for (const ref of refs) {
    const table = resolve(ref);
    if (!table) continue; // not a lake table: DuckDB answers AT itself (or refuses it)
    const scan = await scanInPlaceOf(conn, table, ref);
    for (const k of Object.keys(ref)) delete ref[k];
    Object.assign(ref, scan);
  }
  return copy;
}

/** True when any lake-table reference below `node` carries an AT clause. */
export function hasAt(node: unknown): boolean {
  let found = false;
  walk(node, (n) => {
    if (n.type === 'BASE_TABLE' && n.class === undefined && n.at_clause) found = true;
    return !found;
  });
  return found;
}
