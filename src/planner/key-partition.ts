// Can a whole statement — subqueries included — run once per partition of one join key, with the
// partitions' results combined like one table's? That holds when every row the statement combines
// with another (joins, correlated subqueries, IN lists, groups) shares that key's value, so all of
// it lies in one partition: TPC-H's Q4/Q18/Q21 by order key, Q13/Q22 by customer key, Q2/Q16/Q17
// by part key. This file decides it, conservatively, on DuckDB's parse tree: anything it cannot
// prove keeps the statement on the other strategies.
//
// The rules, per SELECT (scope):
// - FROM holds lake tables, derived tables and replicated items (VALUES, table functions); lake
//   tables of the key's class are partitioned (each row lives in the partition of its key value),
//   the others are replicated whole into every partition and may only sit where repetition cannot
//   duplicate rows: the inner side of joins, the null-supplying side of outer joins.
// - Partitioned items of one scope are linked by key equalities (WHERE/ON/USING); an outer, semi or
//   anti join between two partitioned sides has one in its own ON.
// - A subquery reading partitioned tables is correlated by a key equality (EXISTS, scalar, IN), or
//   is an uncorrelated `key IN (SELECT key …)` conjunct of WHERE/HAVING (where NULL means false).
// - Aggregation below the top is per key value: grouped by the key, or correlated by it. A key on
//   the null-supplying side of an outer join does not count (nor is it passed up as a key): its
//   unmatched rows are NULL in every partition, so each would have its own NULL group.
// - VALUES lists and table functions read no lake table (their subqueries are not checked).
// - No window functions, set operations, LIMIT, QUALIFY, SAMPLE, CTEs or lateral joins below the
//   top; the top level is combined by the planner (stream, top-N, partial aggregates).
import { conjuncts, Node, ownSubqueries, walk } from './ast';
import { Occurrence } from './occurrences';

interface Item {
  alias: string;
  /** Output column names, lower case; null: unknown (a table function, VALUES without names). */
  columns: Set<string> | null;
  occurrence: number | null;
  partitioned: boolean;
  /** Columns (lower case) that hold the partition key. */
  keys: Set<string>;
}

interface Scope {
  items: Item[];
  parent: Scope | null;
  /** Items on the null-supplying side of an outer join: their key is NULL in rows of every partition. */
  nullable: Set<Item>;
  /**
   * Names the SELECT's list gives its expressions (lower case): in WHERE, DuckDB binds an unqualified
   * name no FROM item has to such an alias before it looks in enclosing SELECTs.
   */
  aliases?: Set<string>;
}

function selectAliases(s: Node): Set<string> {
  return new Set(((s.select_list as Node[] | undefined) ?? []).flatMap((e) => (typeof e.alias === 'string' && e.alias ? [lower(e.alias)] : [])));
}

interface Resolved {
  scope: Scope;
  item: Item;
  column: string;
}

interface Checked {
  /** Some lake table of the key's class is read below (partitioned rows). */
  partitioned: boolean;
  /** Correlated to an enclosing scope's key by equality. */
  correlated: boolean;
  /** Output names (lower case) that carry the key. */
  keyOutputs: string[];
}

type Role = 'root' | 'derived' | 'exists' | 'in' | 'scalar';

const lower = (s: unknown): string => String(s).toLowerCase();

function resolve(ref: Node, scope: Scope | null): Resolved | null {
  const parts = (ref.column_names as string[]).map(lower);
  for (let s = scope; s; s = s.parent) {
    if (parts.length === 2) {
      const item = s.items.find((i) => i.alias === parts[0]);
      if (item) return item.columns?.has(parts[1]) ? { scope: s, item, column: parts[1] } : null;
      continue;
    }
    if (parts.length !== 1) return null;
    if (s.items.some((i) => i.columns === null)) return null; // cannot tell which item has it
    const holders = s.items.filter((i) => i.columns?.has(parts[0]));
    if (holders.length > 1) return null;
    if (holders.length === 1) return { scope: s, item: holders[0], column: parts[0] };
    if (s.aliases?.has(parts[0])) return null; // the select list's alias, not an enclosing SELECT's column
  }
  return null;
}

const isKey = (r: Resolved | null): r is Resolved => r !== null && r.item.partitioned && r.item.keys.has(r.column);

function equalities(conds: Node[]): Array<[Node, Node]> {
  return conds
    .filter((c) => c.class === 'COMPARISON' && c.type === 'COMPARE_EQUAL')
    .map((c) => [c.left as Node, c.right as Node] as [Node, Node])
    .filter(([l, r]) => l.class === 'COLUMN_REF' && r.class === 'COLUMN_REF');
}

class Checker {
  constructor(
    private readonly occurrenceOf: Map<Node, number>,
    private readonly occurrences: readonly Occurrence[],
    private readonly keyOf: ReadonlyMap<number, string>,
    private readonly aggregates: ReadonlySet<string>,
  ) {}

  private isAggregate(s: Node): boolean {
    if ((s.group_expressions as Node[]).length > 0 || s.aggregate_handling === 'FORCE_AGGREGATES' || s.having) return true;
    let found = false;
    walk(s.select_list, (n) => {
      if (n.class === 'SUBQUERY') return false;
      if (n.class === 'FUNCTION' && this.aggregates.has(lower(n.function_name))) found = true;
      return undefined;
    });
    return found;
  }

  /** The FROM tree's items into `scope`; ON conditions into `on`. False when something is not allowed. */
  private from(ref: Node | null | undefined, scope: Scope, on: Node[], joins: Node[]): boolean {
    if (!ref || ref.type === 'EMPTY' || ref.type === 'EMPTY_FROM') return true;
    if (ref.type === 'BASE_TABLE') {
      const i = this.occurrenceOf.get(ref);
      if (i === undefined) return false; // not a lake table: executors do not have it
      const occ = this.occurrences[i];
      const key = this.keyOf.get(i);
      scope.items.push({
        alias: lower(occ.alias),
        columns: new Set(occ.table.columns.map((c) => lower(c.name))),
        occurrence: i,
        partitioned: key !== undefined,
        keys: new Set(key !== undefined ? [lower(key)] : []),
      });
      return true;
    }
    if (ref.type === 'SUBQUERY' && !ref.class) {
      const inner = (ref.subquery as Node | undefined)?.node as Node | undefined;
      if (!inner || ref.sample) return false;
      // a derived table sees the enclosing scopes, not its siblings (no LATERAL)
      const checked = this.select(inner, scope.parent, 'derived');
      if (!checked || checked.correlated) return false;
      const names = outputNames(inner, ref.column_name_alias as string[] | undefined);
      const keys = new Set(checked.keyOutputs.map((k) => names.byInner.get(k) ?? k));
      scope.items.push({ alias: lower(ref.alias), columns: names.all, occurrence: null, partitioned: checked.partitioned, keys });
      return true;
    }
    if (ref.type === 'JOIN') {
      const refType = String(ref.ref_type ?? 'REGULAR');
      if (refType === 'ASOF' || refType === 'POSITIONAL' || refType === 'DEPENDENT' || refType === 'NATURAL') return false;
      const before = scope.items.length;
      if (!this.from(ref.left as Node, scope, on, joins)) return false;
      const middle = scope.items.length;
      if (!this.from(ref.right as Node, scope, on, joins)) return false;
      const left = scope.items.slice(before, middle);
      const right = scope.items.slice(middle);
      const lp = left.some((i) => i.partitioned);
      const rp = right.some((i) => i.partitioned);
      const kind = String(ref.join_type);
      // a replicated side must not be one whose unmatched rows are kept (they would repeat per partition)
      if (lp && !rp && !['INNER', 'LEFT', 'SEMI', 'ANTI'].includes(kind)) return false;
      if (!lp && rp && !['INNER', 'RIGHT'].includes(kind)) return false;
      // unmatched rows carry NULL for the other side's key in whichever partition they come from
      if (kind !== 'INNER' && kind !== 'SEMI' && kind !== 'ANTI') {
        const supplying = kind === 'LEFT' ? right : kind === 'RIGHT' ? left : [...left, ...right];
        for (const i of supplying) scope.nullable.add(i);
      }
      on.push(...conjuncts(ref.condition as Node | null));
      if (lp && rp) joins.push({ ...ref, __left: left, __right: right } as Node);
      return true;
    }
    if (ref.type === 'TABLE_FUNCTION' || ref.type === 'EXPRESSION_LIST') {
      // a subquery in VALUES or a function's arguments is not checked here: it must read no lake table
      if (this.readsLake(ref)) return false;
      const names = ((ref.column_name_alias as string[] | undefined) ?? []).map(lower);
      scope.items.push({ alias: lower(ref.alias), columns: names.length > 0 ? new Set(names) : null, occurrence: null, partitioned: false, keys: new Set() });
      return true;
    }
    return false;
  }

  select(s: Node, parent: Scope | null, role: Role): Checked | null {
    if (s.type !== 'SELECT_NODE' || s.qualify || s.sample) return null;
    if ((s.cte_map as { map: unknown[] }).map.length > 0) return null;
    if (((s.group_sets as unknown[] | undefined) ?? []).length > 1) return null;
    const mods = s.modifiers as Node[];
    if (role !== 'root' && !mods.every((m) => m.type === 'DISTINCT_MODIFIER' && (role === 'exists' || role === 'in'))) return null;
    let windowed = false;
    walk([s.select_list, s.where_clause, s.having, s.group_expressions], (n) => {
      if (n.class === 'SUBQUERY') return false;
      if (n.class === 'WINDOW') windowed = true;
      return undefined;
    });
    if (windowed) return null;

    const scope: Scope = { items: [], parent, nullable: new Set(), aliases: selectAliases(s) };
    const on: Node[] = [];
    const joins: Node[] = [];
    if (!this.from(s.from_table as Node | null, scope, on, joins)) return null;
    const where = conjuncts(s.where_clause as Node | null);
    const partitioned = scope.items.filter((i) => i.partitioned);

    // a join that keeps unmatched rows links its two partitioned sides in its own ON
    for (const j of joins) {
      if (String(j.join_type) === 'INNER') continue;
      const left = j.__left as Item[];
      const right = j.__right as Item[];
      const own = conjuncts(j.condition as Node | null);
      const linked = equalities(own).some(([a, b]) => {
        const ra = resolve(a, scope);
        const rb = resolve(b, scope);
        return isKey(ra) && isKey(rb) && ra.scope === scope && rb.scope === scope &&
          ((left.includes(ra.item) && right.includes(rb.item)) || (left.includes(rb.item) && right.includes(ra.item)));
      });
      const using = ((j.using_columns as string[] | undefined) ?? []).map(lower);
      const usingKey = using.some((c) => left.some((i) => i.partitioned && i.keys.has(c)) && right.some((i) => i.partitioned && i.keys.has(c)));
      if (!linked && !usingKey) return null;
    }

    // every partitioned item of this scope in one class of key equalities
    const group = new Map<Item, Item>(partitioned.map((i) => [i, i]));
    const find = (i: Item): Item => {
      while (group.get(i) !== i) i = group.get(i) as Item;
      return i;
    };
    for (const [a, b] of equalities([...where, ...on])) {
      const ra = resolve(a, scope);
      const rb = resolve(b, scope);
      if (isKey(ra) && isKey(rb) && ra.scope === scope && rb.scope === scope) group.set(find(ra.item), find(rb.item));
    }
    walk(s.from_table, (n) => {
      if (n.type === 'SUBQUERY' && !n.class) return false;
      if (n.type !== 'JOIN') return undefined;
      for (const c of ((n.using_columns as string[] | undefined) ?? []).map(lower)) {
        const holders = partitioned.filter((i) => i.keys.has(c));
        for (const h of holders.slice(1)) group.set(find(h), find(holders[0]));
      }
      return undefined;
    });
    if (new Set(partitioned.map(find)).size > 1) return null;

    // correlated by the key: `inner key = outer key` among the WHERE conjuncts
    const correlated = equalities(where).some(([a, b]) => {
      const ra = resolve(a, scope);
      const rb = resolve(b, scope);
      return isKey(ra) && isKey(rb) && ((ra.scope === scope) !== (rb.scope === scope));
    });

    // expression subqueries
    const topConjuncts = new Set([...where, ...conjuncts(s.having as Node | null)]);
    let below = partitioned.length > 0;
    for (const sub of ownSubqueries(s)) {
      const node = (sub.subquery as Node).node as Node;
      if (!this.readsLake(node)) continue; // replicated: the same everywhere
      const type = String(sub.subquery_type);
      const role2: Role = type === 'ANY' ? 'in' : type === 'SCALAR' ? 'scalar' : 'exists';
      if (!['ANY', 'SCALAR', 'EXISTS', 'NOT_EXISTS'].includes(type)) return null;
      const checked = this.select(node, scope, role2);
      if (!checked) return null;
      if (!checked.partitioned) continue; // reads only replicated tables: complete in every partition
      below = true;
      if (checked.correlated) continue;
      // uncorrelated: only `key IN (SELECT key …)` as a WHERE/HAVING conjunct (NULL counts as false there)
      if (type !== 'ANY' || sub.comparison_type !== 'COMPARE_EQUAL' || !topConjuncts.has(sub)) return null;
      const child = sub.child as Node;
      if (child?.class !== 'COLUMN_REF' || !isKey(resolve(child, scope))) return null;
      if ((node.select_list as Node[]).length !== 1 || checked.keyOutputs[0] !== outputNames(node).list[0]) return null;
    }

    // aggregation below the top: one key value per group (a NULL key an outer join supplies is not:
    // every partition has its own NULL group)
    if (role !== 'root' && this.isAggregate(s) && partitioned.length > 0 && !correlated) {
      const byKey = (s.group_expressions as Node[]).some((g) => {
        const r = g.class === 'COLUMN_REF' ? resolve(g, scope) : null;
        return isKey(r) && r.scope === scope && !scope.nullable.has(r.item);
      });
      if (!byKey) return null;
    }
    if (role === 'derived' && this.isAggregate(s) && partitioned.length === 0 && below) return null;

    const names = outputNames(s).list;
    const keyOutputs = (s.select_list as Node[]).flatMap((e, i) => {
      if (e.class !== 'COLUMN_REF') return [];
      const r = resolve(e, scope);
      return isKey(r) && r.scope === scope && !scope.nullable.has(r.item) ? [names[i]] : [];
    });
    return { partitioned: below, correlated, keyOutputs };
  }

  private readsLake(node: Node): boolean {
    let found = false;
    walk(node, (n) => {
      if (n.type === 'BASE_TABLE' && this.occurrenceOf.has(n)) found = true;
      return undefined;
    });
    return found;
  }
}

/** Output column names of a SELECT (lower case), renamed by a derived table's column aliases. */
function outputNames(s: Node, aliases: string[] = []): { list: string[]; all: Set<string> | null; byInner: Map<string, string> } {
  const list = (s.select_list as Node[]).map((e) =>
    e.alias ? lower(e.alias) : e.class === 'COLUMN_REF' ? lower((e.column_names as string[]).slice(-1)[0]) : '',
  );
  const star = (s.select_list as Node[]).some((e) => e.class === 'STAR');
  const renamed = list.map((n, i) => (i < aliases.length ? lower(aliases[i]) : n));
  const byInner = new Map(list.map((n, i) => [n, renamed[i]]));
  return { list, all: star || renamed.includes('') ? null : new Set(renamed), byInner };
}

/** Every `a = b` / `a IN (SELECT b …)` between two lake-table columns, as (occurrence, column) pairs. */
function columnEqualities(root: Node, occurrenceOf: Map<Node, number>, occurrences: readonly Occurrence[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const visitSelect = (s: Node, parent: Scope | null): void => {
    if (s.type !== 'SELECT_NODE') return;
    const scope: Scope = { items: [], parent, nullable: new Set(), aliases: selectAliases(s) };
    walk(s.from_table, (n) => {
      if (n.type === 'SUBQUERY' && !n.class) {
        visitSelect((n.subquery as Node).node as Node, parent);
        return false;
      }
      if (n.type === 'BASE_TABLE') {
        const i = occurrenceOf.get(n);
        const occ = i === undefined ? null : occurrences[i];
        scope.items.push({
          alias: lower(occ ? occ.alias : n.alias || n.table_name),
          columns: occ ? new Set(occ.table.columns.map((c) => lower(c.name))) : null,
          occurrence: i ?? null,
          partitioned: true,
          keys: new Set(occ ? occ.table.columns.map((c) => lower(c.name)) : []),
        });
      }
      return undefined;
    });
    const conds: Node[] = [...conjuncts(s.where_clause as Node | null)];
    walk(s.from_table, (n) => {
      if (n.type === 'SUBQUERY' && !n.class) return false;
      if (n.type === 'JOIN') conds.push(...conjuncts(n.condition as Node | null));
      return undefined;
    });
    const id = (r: Resolved | null): string | null => (r && r.item.occurrence !== null ? `${r.item.occurrence}\u0000${r.column}` : null);
    for (const [a, b] of equalities(conds)) {
      const x = id(resolve(a, scope));
      const y = id(resolve(b, scope));
      if (x && y) pairs.push([x, y]);
    }
    for (const sub of ownSubqueries(s)) {
      const node = (sub.subquery as Node).node as Node;
      if (sub.subquery_type === 'ANY' && sub.comparison_type === 'COMPARE_EQUAL' && node.type === 'SELECT_NODE') {
        const child = sub.child as Node;
        const first = (node.select_list as Node[])[0];
        if (child?.class === 'COLUMN_REF' && first?.class === 'COLUMN_REF') {
          const inner: Scope = { items: [], parent: scope, nullable: new Set(), aliases: selectAliases(node) };
          walk(node.from_table, (n) => {
            if (n.type === 'SUBQUERY' && !n.class) return false;
            const i = n.type === 'BASE_TABLE' ? occurrenceOf.get(n) : undefined;
            if (i !== undefined) {
              const occ = occurrences[i];
              const cols = new Set(occ.table.columns.map((c) => lower(c.name)));
              inner.items.push({ alias: lower(occ.alias), columns: cols, occurrence: i, partitioned: true, keys: cols });
            }
            return undefined;
          });
          const x = id(resolve(child, scope));
          const y = id(resolve(first, inner));
          if (x && y) pairs.push([x, y]);
        }
      }
      visitSelect(node, scope);
    }
  };
  visitSelect(root, null);
  return pairs;
}

/**
 * The partition key of every lake table the statement partitions (occurrence index → column), the
 * rest replicated; null when no key class passes the rules. `replicable(i)` says whether occurrence
 * i is small enough to be read whole by every partition's fragment. Candidate classes are tried
 * largest first (most tables, then most bytes).
 */
export function keyPartition(
  root: Node,
  occurrences: readonly Occurrence[],
  aggregates: ReadonlySet<string>,
  bytesOf: (i: number) => number,
  replicable: (i: number) => boolean,
  keyType: (i: number, column: string) => boolean,
): Map<number, string> | null {
  const occurrenceOf = new Map(occurrences.map((o, i) => [o.ref, i] as const));
  // every fragment runs the whole statement on an executor: it may name no table but lake tables
  let foreign = false;
  walk(root, (n) => {
    if (n.type === 'BASE_TABLE' && !occurrenceOf.has(n)) foreign = true;
    return undefined;
  });
  if (foreign) return null;
  const parentOf = new Map<string, string>();
  const find = (x: string): string => {
    while ((parentOf.get(x) ?? x) !== x) x = parentOf.get(x) as string;
    return x;
  };
  for (const [a, b] of columnEqualities(root, occurrenceOf, occurrences)) {
    parentOf.set(a, a);
    parentOf.set(b, b);
  }
  for (const [a, b] of columnEqualities(root, occurrenceOf, occurrences)) parentOf.set(find(a), find(b));
  const classes = new Map<string, Map<number, string>>();
  for (const member of parentOf.keys()) {
    const [occ, column] = member.split('\u0000');
    const i = Number(occ);
    if (!keyType(i, column)) continue;
    const cls = classes.get(find(member)) ?? new Map<number, string>();
    if (!cls.has(i)) cls.set(i, column);
    classes.set(find(member), cls);
  }
  const ranked = [...classes.values()]
    .filter((c) => c.size >= 2)
    .map((c) => ({ c, bytes: [...c.keys()].reduce((n, i) => n + bytesOf(i), 0) }))
    .sort((a, b) => b.c.size - a.c.size || b.bytes - a.bytes);
  for (const { c } of ranked) {
    if (occurrences.some((_, i) => !c.has(i) && !replicable(i))) continue;
    const checked = new Checker(occurrenceOf, occurrences, c, aggregates).select(root, null, 'root');
    if (!checked || !checked.partitioned) continue;
    // the top level must itself read a partitioned table in its FROM (the rows the planner combines)
    return c;
  }
  return null;
}
