// DuckDB's own parse tree: json_serialize_sql turns SQL into it, json_deserialize_sql turns a
// rewritten tree back into SQL, so the planner speaks exactly DuckDB's dialect and never builds SQL
// from strings. Nodes are plain JSON; the helpers here walk and build the few shapes the planner needs.
import { DuckDBConnection, VARCHAR } from '@duckdb/node-api';
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

/** The statements of `sql`, or null when DuckDB cannot serialise them (anything but SELECT). */
export async function parse(conn: DuckDBConnection, sql: string): Promise<ParsedStatement[] | null> {
  let raw: string;
  try {
    const r = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql], [VARCHAR]);
    raw = r.getRows()[0][0] as string;
  } catch (e) {
    throw duckdbError(e);
  }
  const doc = JSON.parse(withoutLocations(raw)) as { error: boolean; statements?: ParsedStatement[] };
  if (doc.error || !doc.statements) return null;
  return doc.statements;
}

/** SQL text of one statement's tree. */
export async function render(conn: DuckDBConnection, statement: ParsedStatement): Promise<string> {
  const doc = JSON.stringify({ error: false, statements: [statement] });
  try {
    const r = await conn.runAndReadAll('SELECT json_deserialize_sql($1::JSON)', [doc], [VARCHAR]);
    return r.getRows()[0][0] as string;
  } catch (e) {
    throw duckdbError(e);
  }
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
