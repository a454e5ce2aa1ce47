// Where a statement reads lake tables: every BASE_TABLE reference that resolves to a catalog
// table, with the columns the statement may use from it and the conditions that may be applied
// while scanning it (pushed down) without changing the answer.
import { TableInfo } from '../catalog/catalog';
import { conjuncts, isNode, Node, walk } from './ast';

export interface Occurrence {
  /** The BASE_TABLE node itself (the planner replaces it with the gathered rows). */
  ref: Node;
  table: TableInfo;
  /** The name columns are qualified with: the alias, else the table name. */
  alias: string;
  /** Columns the statement may read from it ('*' = all). */
  columns: string[] | '*';
  /** Conditions that only involve this table and may filter its rows before anything else happens. */
  filters: Node[];
}

/** The lake table a reference reads (`at`: its AT clause, if any), or null. */
export type Resolve = (schema: string, name: string, at?: unknown) => TableInfo | null;

/** Every FROM item below a table reference tree, with whether WHERE/ON conditions may filter it. */
interface FromItem {
  ref: Node;
  /** A condition of the enclosing SELECT's WHERE may be applied to it (not on the null-supplying side of an outer join). */
  whereSafe: boolean;
  /** ON conditions of joins that may be applied to it. */
  on: Node[];
}

function fromItems(ref: Node | null | undefined, whereSafe: boolean, on: Node[], out: FromItem[]): void {
  if (!ref) return;
  if (ref.type !== 'JOIN') {
    out.push({ ref, whereSafe, on });
    return;
  }
  const kind = String(ref.join_type);
  const refType = String(ref.ref_type ?? 'REGULAR');
  const own = conjuncts(ref.condition as Node | null);
  if (refType === 'ASOF' || refType === 'POSITIONAL' || !['INNER', 'LEFT', 'RIGHT'].includes(kind)) {
    // full outer, semi, anti, as-of, positional: nothing may be pushed below them
    fromItems(ref.left as Node, false, [], out);
    fromItems(ref.right as Node, false, [], out);
    return;
  }
  if (kind === 'INNER') {
    // an inner join's ON works like WHERE for both sides
    fromItems(ref.left as Node, whereSafe, [...on, ...own], out);
    fromItems(ref.right as Node, whereSafe, [...on, ...own], out);
    return;
  }
  // outer join: the preserved side takes what applies above the join; the null-supplying side only
  // this join's own ON conditions (a filter above could be one that keeps NULL-extended rows)
  const preservedLeft = kind === 'LEFT';
  fromItems(ref.left as Node, preservedLeft ? whereSafe : false, preservedLeft ? on : own, out);
  fromItems(ref.right as Node, preservedLeft ? false : whereSafe, preservedLeft ? own : on, out);
}

/** Column references and other facts about an expression. */
function facts(e: Node): { refs: string[][]; pushable: boolean } {
  const refs: string[][] = [];
  let pushable = true;
  walk(e, (n) => {
    if (n.class === 'COLUMN_REF') refs.push(n.column_names as string[]);
    else if (n.class === 'SUBQUERY' || n.class === 'STAR' || n.class === 'WINDOW' || n.class === 'LAMBDA') pushable = false;
    else if (n.class === 'FUNCTION' && VOLATILE.has(String(n.function_name))) pushable = false;
    else if (n.class === 'PARAMETER') pushable = false;
    return undefined;
  });
  return { refs, pushable };
}

const VOLATILE = new Set(['random', 'uuid', 'gen_random_uuid', 'nextval', 'currval', 'setseed', 'now', 'current_timestamp', 'get_current_timestamp']);

/**
 * `schema.table.column` names an unaliased table through its schema, but the planner swaps the table
 * for a scan or for gathered rows that only carry the table's name: such references become
 * `table.column` — when the name is unambiguous, i.e. no other FROM item in the statement is called
 * like the table, and none like the schema.
 */
function unqualifySchemas(statement: Node, resolve: Resolve, cteNames: ReadonlySet<string>): void {
  const bindings = new Map<string, Set<string>>(); // FROM item name → schemas of the lake tables so named ('' = not one)
  const bind = (name: string, schema: string): void => {
    const key = name.toLowerCase();
    if (!bindings.has(key)) bindings.set(key, new Set());
    bindings.get(key)!.add(schema.toLowerCase());
  };
  walk(statement, (n) => {
    if (n.class !== undefined || typeof n.type !== 'string') return undefined;
    const alias = typeof n.alias === 'string' ? n.alias : '';
    if (n.type !== 'BASE_TABLE') {
      if (alias) bind(alias, '');
      return undefined;
    }
    const name = String(n.table_name);
    const schema = String(n.schema_name ?? '');
    const lake =
      alias === '' && String(n.catalog_name ?? '') === '' && !(schema === '' && cteNames.has(name.toLowerCase()))
        ? resolve(schema, name, n.at_clause)
        : null;
    bind(alias || name, lake ? lake.schema : '');
    return undefined;
  });
  walk(statement, (n) => {
    if (n.class !== 'COLUMN_REF') return undefined;
    const parts = n.column_names as string[];
    if (parts.length !== 3 || bindings.has(parts[0].toLowerCase())) return undefined;
    const schemas = bindings.get(parts[1].toLowerCase());
    if (schemas && schemas.size === 1 && schemas.has(parts[0].toLowerCase())) n.column_names = parts.slice(1);
    return undefined;
  });
}

/**
 * Everything the planner needs about the lake tables a SELECT statement reads. Column references
 * qualified by schema are rewritten in place to table-qualified ones (see unqualifySchemas).
 */
export function findOccurrences(statement: Node, resolve: Resolve): Occurrence[] {
  const cteNames = new Set<string>();
  walk(statement, (n) => {
    const map = (n.cte_map as { map?: { key: string }[] } | undefined)?.map;
    if (Array.isArray(map)) for (const e of map) cteNames.add(e.key.toLowerCase());
    return undefined;
  });
  unqualifySchemas(statement, resolve, cteNames);

  // '*' anywhere (SELECT *, t.*, COLUMNS(...)) means all columns for every table: simple and safe.
  // So does a NATURAL join, which joins on columns no expression names; JOIN … USING names its
  // columns outside any expression.
  let star = false;
  const names = new Set<string>();
  // EXISTS (SELECT * …) asks only whether a row exists: its star needs no column
  const existsSelects = new Set<Node>();
  walk(statement, (n) => {
    if (n.class === 'SUBQUERY' && /EXISTS/.test(String(n.subquery_type))) {
      const inner = (n.subquery as { node?: Node } | undefined)?.node;
      if (inner) existsSelects.add(inner);
    }
    return undefined;
  });
  walk(statement, (n, parent) => {
    if (n.class === 'STAR' && !(parent && existsSelects.has(parent) && (parent.select_list as Node[]).includes(n))) star = true;
    if (n.class === 'COLUMN_REF') for (const part of n.column_names as string[]) names.add(part.toLowerCase());
    if (n.class === undefined && n.type === 'JOIN') {
      if (n.ref_type === 'NATURAL') star = true;
      for (const c of (n.using_columns as string[] | undefined) ?? []) names.add(c.toLowerCase());
    }
    return undefined;
  });

  const found: Occurrence[] = [];
  walk(statement, (n) => {
    if (n.type !== 'SELECT_NODE') return undefined;
    const items: FromItem[] = [];
    fromItems(n.from_table as Node | null, true, [], items);
    const resolved = items.map((it) => {
      const r = it.ref;
      if (r.type !== 'BASE_TABLE') return null;
      const schema = String(r.schema_name ?? '');
      const name = String(r.table_name);
      if (String(r.catalog_name ?? '') !== '') return null;
      if (schema === '' && cteNames.has(name.toLowerCase())) return null;
      const table = resolve(schema, name, r.at_clause);
      return table ? { item: it, table, alias: String(r.alias || name) } : null;
    });
    // unqualified column names may belong to any FROM item: only attribute them to a table when every
    // FROM item's columns are known and exactly one of them has the name
    const known = resolved.every((x) => x !== null);
    const where = conjuncts(n.where_clause as Node | null);
    for (const occ of resolved) {
      if (!occ) continue;
      const own = new Set(occ.table.columns.map((c) => c.name.toLowerCase()));
      const belongs = (parts: string[]): boolean => {
        if (parts.length === 2) return parts[0].toLowerCase() === occ.alias.toLowerCase() && own.has(parts[1].toLowerCase());
        if (parts.length !== 1 || !known || !own.has(parts[0].toLowerCase())) return false;
        const holders = resolved.filter((o) => o!.table.columns.some((c) => c.name.toLowerCase() === parts[0].toLowerCase()));
        return holders.length === 1;
      };
      const candidates = [...(occ.item.whereSafe ? where : []), ...occ.item.on];
      const filters = candidates.filter((c) => {
        const f = facts(c);
        return f.pushable && f.refs.length > 0 && f.refs.every(belongs);
      });
      const columns: string[] | '*' = star
        ? '*'
        : occ.table.columns.map((c) => c.name).filter((c) => names.has(c.toLowerCase()));
      found.push({ ref: occ.item.ref, table: occ.table, alias: occ.alias, columns, filters });
    }
    return undefined;
  });
  return found;
}

/** True when `n` holds any node matching `pred`. */
export function contains(n: unknown, pred: (x: Node) => boolean): boolean {
  let hit = false;
  walk(n, (x) => {
    if (hit) return false;
    if (pred(x)) hit = true;
    return undefined;
  });
  return hit;
}

export { isNode };
