// DuckDB's own parse tree: json_serialize_sql turns SQL into it, json_deserialize_sql turns a
// rewritten tree back into SQL, so the planner speaks exactly DuckDB's dialect and never builds SQL
// from strings. Nodes are plain JSON; the helpers here walk and build the few shapes the planner needs.
import { DuckDBConnection, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { duckdbError } from '../duckdb/errors';

/** One node of the tree, as DuckDB serialises it. */
export type Node = Record<string, unknown> & { class?: string; type?: string };

export interface ParsedStatement {
  node: Node;
}

/** query_location is a uint64 (often "none" = 2^64-1) that JS numbers cannot carry; the planner does not need it. */
function withoutLocations(json: string): string {
  return json.replace(/"query_location":\s*\d+/g, '"query_location":0');
}

/**
 * Integers of 16 digits or more (BIGINT constants, DECIMAL and HUGEINT words) would be rounded to
 * the nearest double by JSON.parse — `WHERE id = 9007199254740993` would become a different query.
 * They travel through the tree as marker strings (a NUL no SQL text can hold in a JSON tree string
 * by accident) and are written back digit for digit when the tree is rendered.
 */
const BIG_MARK = '\u0000skein-integer:';
const JSON_TOKENS = /("(?:[^"\\]|\\.)*")|(?<![\d.eE+-])(-?\d{16,})(?![\d.eE])/g;

function protectIntegers(json: string): string {
  return json.replace(JSON_TOKENS, (m, str: string | undefined, digits: string | undefined) =>
    str !== undefined ? str : JSON.stringify(BIG_MARK + (digits as string)),
  );
}

function restoreIntegers(json: string): string {
  return json.replace(/"\\u0000skein-integer:(-?\d+)"/g, '$1');
}

/** The exact digits of an integer constant the parse tree holds as a marker, or null. */
export function bigIntegerText(v: unknown): string | null {
  return typeof v === 'string' && v.startsWith(BIG_MARK) ? v.slice(BIG_MARK.length) : null;
}

type Kind = 'parse' | 'render';

interface Job {
  kind: Kind;
  input: string;
  resolve(raw: string): void;
  reject(e: unknown): void;
}

const SINGLE: Record<Kind, string> = {
  parse: 'SELECT json_serialize_sql($1::VARCHAR)',
  render: 'SELECT json_deserialize_sql($1::JSON)',
};
const MANY: Record<Kind, string> = {
  parse: 'SELECT list_transform($1::VARCHAR[], x -> json_serialize_sql(x))',
  render: 'SELECT list_transform($1::VARCHAR[], x -> json_deserialize_sql(x::JSON))',
};

/**
 * Parse and render calls made in the same turn of the event loop (fragments planned side by side
 * with Promise.all) go to DuckDB as one query per kind: each call is a round trip through the
 * binding's thread pool, and a plan needs dozens. Batches of one connection run one after another.
 */
const queued = new WeakMap<DuckDBConnection, Job[]>();
const chains = new WeakMap<DuckDBConnection, Promise<void>>();

function enqueue(conn: DuckDBConnection, kind: Kind, input: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let jobs = queued.get(conn);
    if (!jobs) {
      jobs = [];
      queued.set(conn, jobs);
      queueMicrotask(() => {
        const batch = queued.get(conn) as Job[];
        queued.delete(conn);
        const run = (chains.get(conn) ?? Promise.resolve()).then(() => flush(conn, batch));
        chains.set(conn, run);
      });
    }
    jobs.push({ kind, input, resolve, reject });
  });
}

async function runOne(conn: DuckDBConnection, job: Job): Promise<void> {
  try {
    const r = await conn.runAndReadAll(SINGLE[job.kind], [job.input], [VARCHAR]);
    job.resolve(r.getRows()[0][0] as string);
  } catch (e) {
    job.reject(duckdbError(e));
  }
}

async function flush(conn: DuckDBConnection, batch: Job[]): Promise<void> {
  for (const kind of ['parse', 'render'] as const) {
    const jobs = batch.filter((j) => j.kind === kind);
    if (jobs.length === 0) continue;
    if (jobs.length === 1) {
      await runOne(conn, jobs[0]);
      continue;
    }
    let out: unknown[] | null = null;
    try {
      const r = await conn.runAndReadAll(MANY[kind], [listValue(jobs.map((j) => j.input))], [LIST(VARCHAR)]);
      out = (r.getRows()[0][0] as { items: unknown[] }).items;
    } catch {
      // one bad item fails the whole list: run them one by one so each gets its own answer
    }
    if (out && out.length === jobs.length) jobs.forEach((j, i) => j.resolve(out[i] as string));
    else for (const j of jobs) await runOne(conn, j);
  }
}

/** The statements of `sql`, or null when DuckDB cannot serialise them (anything but SELECT). */
export async function parse(conn: DuckDBConnection, sql: string): Promise<ParsedStatement[] | null> {
  const raw = await enqueue(conn, 'parse', sql);
  const doc = JSON.parse(protectIntegers(withoutLocations(raw))) as { error: boolean; statements?: ParsedStatement[] };
  if (doc.error || !doc.statements) return null;
  return doc.statements;
}

/** SQL text of one statement's tree. */
export async function render(conn: DuckDBConnection, statement: ParsedStatement): Promise<string> {
  return enqueue(conn, 'render', restoreIntegers(JSON.stringify({ error: false, statements: [statement] })));
}

export const isNode = (v: unknown): v is Node => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Visits every node below `root` (depth first, parents before children); `visit` returning false skips a subtree. */
export function walk(root: unknown, visit: (n: Node, parent: Node | null) => boolean | void, parent: Node | null = null): void {
  if (Array.isArray(root)) {
    for (const x of root) walk(x, visit, parent);
    return;
  }
  if (!isNode(root)) return;
  if (visit(root, parent) === false) return;
  for (const v of Object.values(root)) if (v !== null && typeof v === 'object') walk(v, visit, root);
}

export function clone<T>(n: T): T {
  return JSON.parse(JSON.stringify(n)) as T;
}

export function columnRef(...names: string[]): Node {
  return { class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: names };
}

export function varcharConstant(value: string): Node {
  return {
    class: 'CONSTANT',
    type: 'VALUE_CONSTANT',
    alias: '',
    value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value },
  };
}

export function functionCall(name: string, children: Node[], extra: Partial<Node> = {}): Node {
  return {
    class: 'FUNCTION',
    type: 'FUNCTION',
    alias: '',
    function_name: name,
    schema: '',
    children,
    filter: null,
    order_bys: { type: 'ORDER_MODIFIER', orders: [] },
    distinct: false,
    is_operator: false,
    export_state: false,
    catalog: '',
    ...extra,
  };
}

/** `name = value` as a named table-function argument (read_parquet(..., hive_partitioning = true)). */
export function namedArgument(name: string, value: Node): Node {
  return { class: 'COMPARISON', type: 'COMPARE_EQUAL', alias: '', left: columnRef(name), right: value };
}

export function booleanConstant(value: boolean): Node {
  return {
    class: 'CONSTANT',
    type: 'VALUE_CONSTANT',
    alias: '',
    value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value },
  };
}

/** The AND-ed parts of a condition. */
export function conjuncts(n: Node | null | undefined): Node[] {
  if (!n) return [];
  if (n.class === 'CONJUNCTION' && n.type === 'CONJUNCTION_AND') {
    return (n.children as Node[]).flatMap((c) => conjuncts(c));
  }
  return [n];
}

export function and(parts: Node[]): Node | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0];
  return { class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', children: parts };
}

/** An empty SELECT node to fill in. */
export function selectNode(selectList: Node[], from: Node, where: Node | null): Node {
  return {
    type: 'SELECT_NODE',
    modifiers: [],
    cte_map: { map: [] },
    select_list: selectList,
    from_table: from,
    where_clause: where,
    group_expressions: [],
    group_sets: [],
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    sample: null,
    qualify: null,
  };
}

/**
 * Expression subqueries of a SELECT's own expressions (its list, WHERE, HAVING, QUALIFY, GROUP BY,
 * ORDER BY/LIMIT and join conditions), not those nested inside them, nor derived tables (queries
 * of their own) — nor the joins inside a join condition's subquery, which belong to that subquery.
 */
export function ownSubqueries(s: Node): Node[] {
  const out: Node[] = [];
  const visit = (root: unknown): void =>
    walk(root, (n) => {
      if (n.class === 'SUBQUERY') {
        out.push(n);
        return false;
      }
      return undefined;
    });
  visit(s.select_list);
  visit(s.where_clause);
  visit(s.having);
  visit(s.qualify);
  visit(s.group_expressions);
  visit(s.modifiers);
  walk(s.from_table, (n) => {
    if (n.type === 'SUBQUERY' || n.class === 'SUBQUERY') return false;
    if (n.type === 'JOIN') visit(n.condition);
    return undefined;
  });
  return out;
}
