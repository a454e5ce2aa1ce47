// Semi-join reduction for gathered statements: which lake table references may drop, while they are
// scanned, the rows whose join column holds a value that another reference's rows lack — because no
// such row can reach the answer. The planner then scans the other reference first and ships its
// distinct values into this one's scan (TPC-H Q17: the 200-odd parts of one brand and container cut
// lineitem, read twice, from 6 million rows to 6,000 each).
//
// A reference T (in SELECT M's FROM) may be reduced to the values of S's column b on its column a when:
// - `T.a = S.b` is an AND-ed conjunct of M's WHERE (or of an inner join's ON), S in M's FROM: every
//   row combination of M must satisfy it, so a T row without an equal S value joins nothing (a WHERE
//   conjunct also rejects the NULL-extended rows of outer joins);
// - the same with S in an enclosing SELECT (M is a correlated subquery, of any kind: EXISTS, NOT
//   EXISTS, scalar, IN): M is evaluated for rows of the enclosing SELECT, whose S.b values are all
//   among S's values, and only M's rows with a = that value count;
// - `T.a IN (SELECT S.b FROM …)` is a conjunct of M's WHERE, S in the subquery's FROM: the subquery's
//   answers are among S's values.
// S's values are taken from S's own scan (its pushed filters applied, itself perhaps reduced): a
// superset of the values that matter. NULLs are left out: they never compare equal.
import { conjuncts, Node, ownSubqueries } from './ast';
import { Occurrence } from './occurrences';

export interface Reduction {
  /** The reference reduced, and its column (as the table spells it). */
  target: number;
  targetColumn: string;
  /** The reference whose scanned rows give the values, and its column. */
  source: number;
  sourceColumn: string;
}

interface Item {
  alias: string;
  columns: Map<string, string> | null; // lower case → as spelled; null: unknown
  occurrence: number | null;
}

interface Scope {
  items: Item[];
  /** Names the SELECT's list gives its expressions (lower case): in WHERE, DuckDB binds an unqualified
   *  name no FROM item has to such an alias before it looks in enclosing SELECTs. */
  aliases: Set<string>;
  parent: Scope | null;
}

interface Resolved {
  scope: Scope;
  occurrence: number;
  column: string;
}

const lower = (s: unknown): string => String(s).toLowerCase();

function resolve(ref: Node, scope: Scope): Resolved | null {
  const parts = (ref.column_names as string[]).map(lower);
  for (let s: Scope | null = scope; s; s = s.parent) {
    let item: Item | undefined;
    if (parts.length === 2) {
      item = s.items.find((i) => i.alias === parts[0]);
      if (!item) continue;
      if (!item.columns?.has(parts[1])) return null;
    } else if (parts.length === 1) {
      if (s.items.some((i) => i.columns === null)) return null; // cannot tell which item has it
      const holders = s.items.filter((i) => i.columns?.has(parts[0]));
      if (holders.length > 1) return null;
      if (holders.length === 0) {
        if (s.aliases.has(parts[0])) return null; // the select list's alias, not an enclosing SELECT's column
        continue;
      }
      item = holders[0];
    } else return null;
    if (item.occurrence === null) return null;
    return { scope: s, occurrence: item.occurrence, column: item.columns!.get(parts[parts.length - 1]) as string };
  }
  return null;
}

export function semiJoinReductions(root: Node, occurrences: readonly Occurrence[]): Reduction[] {
  const occurrenceOf = new Map<Node, number>(occurrences.map((o, i) => [o.ref, i]));
  const out: Reduction[] = [];
  const seen = new Set<string>();
  const add = (t: Resolved, s: Resolved): void => {
    if (t.occurrence === s.occurrence) return;
    const key = `${t.occurrence}.${t.column}<${s.occurrence}.${s.column}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ target: t.occurrence, targetColumn: t.column, source: s.occurrence, sourceColumn: s.column });
  };

  const scopeOf = (select: Node, parent: Scope | null, onConditions: Node[]): Scope => {
    const items: Item[] = [];
    const collect = (ref: Node | null | undefined): void => {
      if (!ref) return;
      if (ref.type === 'JOIN') {
        collect(ref.left as Node);
        collect(ref.right as Node);
        if (ref.join_type === 'INNER' && String(ref.ref_type ?? 'REGULAR') === 'REGULAR') onConditions.push(...conjuncts(ref.condition as Node | null));
        return;
      }
      const alias = lower(ref.alias || (ref.type === 'BASE_TABLE' ? ref.table_name : ''));
      const occ = ref.type === 'BASE_TABLE' ? occurrenceOf.get(ref) : undefined;
      const columns = occ === undefined ? null : new Map(occurrences[occ].table.columns.map((c) => [c.name.toLowerCase(), c.name]));
      items.push({ alias, columns, occurrence: occ ?? null });
      // a derived table is its own query (no lateral references): visited without this scope
      if (ref.type === 'SUBQUERY') visit((ref.subquery as { node?: Node } | undefined)?.node, null);
    };
    collect(select.from_table as Node | null);
    const aliases = new Set(((select.select_list as Node[] | undefined) ?? []).flatMap((e) => (typeof e.alias === 'string' && e.alias ? [lower(e.alias)] : [])));
    return { items, aliases, parent };
  };

  const visit = (node: Node | undefined | null, parent: Scope | null): void => {
    if (!node) return;
    if (node.type === 'SET_OPERATION_NODE') {
      visit(node.left as Node, parent);
      visit(node.right as Node, parent);
      return;
    }
    if (node.type !== 'SELECT_NODE') return;
    for (const e of (node.cte_map as { map?: { value?: { query?: { node?: Node } } }[] } | undefined)?.map ?? []) {
      visit(e.value?.query?.node, null);
    }
    const on: Node[] = [];
    const scope = scopeOf(node, parent, on);
    for (const c of [...conjuncts(node.where_clause as Node | null), ...on]) {
      if (c.class === 'COMPARISON' && c.type === 'COMPARE_EQUAL' && (c.left as Node).class === 'COLUMN_REF' && (c.right as Node).class === 'COLUMN_REF') {
        const a = resolve(c.left as Node, scope);
        const b = resolve(c.right as Node, scope);
        if (!a || !b) continue;
        if (a.scope === scope) add(a, b);
        if (b.scope === scope) add(b, a);
      } else if (c.class === 'SUBQUERY' && c.subquery_type === 'ANY' && c.comparison_type === 'COMPARE_EQUAL' && (c.child as Node)?.class === 'COLUMN_REF') {
        const t = resolve(c.child as Node, scope);
        const inner = (c.subquery as { node?: Node } | undefined)?.node;
        const list = inner?.select_list as Node[] | undefined;
        if (!t || t.scope !== scope || !inner || inner.type !== 'SELECT_NODE' || !list || list.length !== 1 || list[0].class !== 'COLUMN_REF') continue;
        if ((inner.group_expressions as Node[]).length > 0 || inner.having) continue;
        const innerScope = scopeOf(inner, scope, []);
        const s = resolve(list[0], innerScope);
        if (s && s.scope === innerScope) add(t, s);
      }
    }
    // subqueries in this SELECT's expressions see its scope
    for (const sq of ownSubqueries(node)) visit((sq.subquery as { node?: Node } | undefined)?.node, scope);
  };
  visit(root, null);
  return out;
}

/**
 * A filter that looks selective enough for its table to reduce others: `column = constant`, or
 * `column LIKE 'prefix…'` with a literal prefix. (Range and IN-list filters often keep much of a
 * table; reducing by them would gather too many rows.)
 */
export function selectiveFilter(f: Node): boolean {
  const isConst = (n: Node | undefined): boolean => n?.class === 'CONSTANT';
  const isCol = (n: Node | undefined): boolean => n?.class === 'COLUMN_REF';
  if (f.class === 'COMPARISON' && f.type === 'COMPARE_EQUAL') {
    const l = f.left as Node;
    const r = f.right as Node;
    return (isCol(l) && isConst(r)) || (isConst(l) && isCol(r));
  }
  if (f.class === 'FUNCTION' && (f.function_name === '~~' || f.function_name === 'prefix')) {
    const [col, pattern] = f.children as Node[];
    const text = (pattern?.value as { value?: unknown } | undefined)?.value;
    return isCol(col) && isConst(pattern) && typeof text === 'string' && /^[^%_]/.test(text);
  }
  return false;
}
