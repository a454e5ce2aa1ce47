// Partial aggregation: a GROUP BY query over one lake table runs on each fragment's files as a
// partial aggregate (per-group SUM/COUNT/MIN/MAX, AVG as SUM and COUNT), and the merge combines the
// partials. Only rows per group travel from executors. Anything outside this pattern returns null
// and the planner gathers instead, which is always correct.
import { clone, columnRef, functionCall, Node, walk } from './ast';
import { contains } from './occurrences';

const SUPPORTED = new Set(['sum', 'count', 'count_star', 'min', 'max', 'avg', 'mean']);

export interface PartialAggregate {
  /** The fragment query (FROM is the table reference, replaced by each fragment's scan). */
  fragment: Node;
  /** The merge query over the gathered partials (FROM is a BASE_TABLE named `input`). */
  merge: Node;
}

/** The shape of an expression ignoring aliases and source positions, for equality. */
function shape(n: Node): string {
  return JSON.stringify(n, (k, v: unknown) => (k === 'alias' || k === 'query_location' ? undefined : v));
}

function isAggregate(n: Node, aggregates: ReadonlySet<string>): boolean {
  return n.class === 'FUNCTION' && aggregates.has(String(n.function_name).toLowerCase());
}

/** Replaces, bottom-up-safe, every node for which `f` returns a replacement (not descending into it). */
function replace(n: unknown, f: (x: Node) => Node | null): unknown {
  if (Array.isArray(n)) return n.map((x) => replace(x, f));
  if (n === null || typeof n !== 'object') return n;
  const r = f(n as Node);
  if (r) return r;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) out[k] = replace(v, f);
  return out;
}

function alias(n: Node, name: string): Node {
  return { ...n, alias: name };
}

function cast(n: Node, castType: Node): Node {
  return { class: 'CAST', type: 'OPERATOR_CAST', alias: '', child: n, cast_type: castType, try_cast: false };
}

function divide(a: Node, b: Node): Node {
  return functionCall('/', [a, b], { is_operator: true });
}

/**
 * Rewrites `select` (already known to read exactly one lake table, `tableRef`) into fragment and
 * merge queries, or returns null. `outputTypes` are the cast targets (DuckDB type JSON) and
 * `outputNames` the column names of the original query, so the merge answers with the same schema.
 */
export function partialAggregate(
  select: Node,
  tableRef: Node,
  aggregates: ReadonlySet<string>,
  outputNames: readonly string[],
  outputTypes: readonly Node[],
  typeOf: (name: string) => Node,
  /**
   * The statement's WHERE and FROM may hold subqueries (they stay in the fragment): only when every
   * table they read is one the executors have (the key-partitioned strategy checks that).
   */
  whereSubqueries = false,
): PartialAggregate | null {
  if (select.type !== 'SELECT_NODE' || select.from_table !== tableRef) return null;
  if ((select.cte_map as { map: unknown[] }).map.length > 0) return null;
  if (select.qualify || select.sample) return null;
  if (select.aggregate_handling === 'FORCE_AGGREGATES' && (select.group_expressions as Node[]).length === 0) {
    // GROUP BY ALL: the select-list items without aggregates are the groups
    const keys = (select.select_list as Node[])
      .filter((item) => !contains(item, (n) => isAggregate(n, aggregates)))
      .map((item) => ({ ...clone(item), alias: '' }));
    select = { ...select, group_expressions: keys, group_sets: keys.length > 0 ? [keys.map((_, i) => i)] : [], aggregate_handling: 'STANDARD_HANDLING' };
    tableRef = select.from_table as Node;
  }
  if (select.aggregate_handling !== 'STANDARD_HANDLING') return null;
  const modifiers = select.modifiers as Node[];
  if (modifiers.some((m) => m.type !== 'ORDER_MODIFIER' && m.type !== 'LIMIT_MODIFIER')) return null;
  const own = whereSubqueries ? [select.select_list, select.having, select.group_expressions, modifiers] : select;
  if (contains(own, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW' || n.class === 'STAR')) return null;
  if (contains(select, (n) => n.class === 'WINDOW')) return null;
  const groups = [...(select.group_expressions as Node[])];
  const sets = select.group_sets as number[][];
  if (sets.length > 1 || (sets.length === 1 && sets[0].length !== groups.length)) return null;
  // GROUP BY 1: a position in the select list stands for that item's expression
  for (const [i, g] of groups.entries()) {
    if (g.class !== 'CONSTANT') continue;
    const v = (g.value as { value?: unknown }).value;
    const item = typeof v === 'number' ? (select.select_list as Node[])[v - 1] : undefined;
    if (!item || contains(item, (n) => isAggregate(n, aggregates))) return null;
    groups[i] = { ...clone(item), alias: '' };
  }

  // the aggregates, each with its partial columns and final expression
  const partials: Node[] = [];
  const finals = new Map<string, Node>();
  let ok = true;
  const found: Node[] = [];
  walk([select.select_list, select.having, modifiers], (n) => {
    if (!isAggregate(n, aggregates)) return undefined;
    found.push(n);
    return false;
  });
  if (found.length === 0) return null;
  const distinctOnly = found.every((a) => {
    const name = String(a.function_name).toLowerCase();
    const plain = !a.filter && (a.order_bys as { orders: unknown[] }).orders.length === 0;
    return plain && (name === 'min' || name === 'max' || (a.distinct === true && ['count', 'sum', 'avg', 'mean'].includes(name)));
  });
  if (distinctOnly && found.some((a) => a.distinct === true)) {
    return distinctPartial(select, groups, found, modifiers, aggregates, outputNames, outputTypes);
  }
  for (const a of found) {
    const name = String(a.function_name).toLowerCase();
    const args = a.children as Node[];
    if (!SUPPORTED.has(name) || a.distinct || a.filter || (a.order_bys as { orders: unknown[] }).orders.length > 0) {
      ok = false;
      break;
    }
    if (args.some((x) => contains(x, (y) => isAggregate(y, aggregates)))) {
      ok = false;
      break;
    }
    const key = shape(a);
    if (finals.has(key)) continue;
    const partial = (fn: string): Node => {
      const col = `__a${partials.length}`;
      partials.push(alias(functionCall(fn, clone(args)), col));
      return columnRef(col);
    };
    let fin: Node;
    if (name === 'sum') fin = functionCall('sum', [partial('sum')]);
    else if (name === 'min' || name === 'max') fin = functionCall(name, [partial(name)]);
    else if (name === 'count' || name === 'count_star') {
      const c = name === 'count_star' ? partialStar(partials) : partial('count');
      // COALESCE is an operator to DuckDB's parser, not a function
      const total: Node = { class: 'OPERATOR', type: 'OPERATOR_COALESCE', alias: '', children: [functionCall('sum', [c]), constantZero()] };
      fin = cast(total, typeOf('BIGINT'));
    } else {
      // avg: DuckDB answers DOUBLE for every numeric input
      fin = average(partial('sum'), partial('count'), typeOf('DOUBLE'));
    }
    finals.set(key, fin);
  }
  if (!ok) return null;

  const groupCols = groups.map((_, i) => `__g${i}`);
  const fragment = clone(select);
  fragment.select_list = [...groups.map((g, i) => alias(clone(g), groupCols[i])), ...partials];
  fragment.group_expressions = groups.map((g) => clone(g));
  fragment.modifiers = [];
  fragment.having = null;

  const rewrite = (n: unknown): unknown => {
    const noAggs = replace(n, (x) => (isAggregate(x, aggregates) ? clone(finals.get(shape(x)) as Node) : null));
    return replace(noAggs, (x) => {
      const i = groups.findIndex((g) => shape(g) === shape(x));
      return i >= 0 && x.class !== 'CONSTANT' ? columnRef(groupCols[i]) : null;
    });
  };
  const merge = mergeQuery(select, modifiers, rewrite, groupCols, partials.map((p) => String(p.alias)), outputNames, outputTypes);
  return merge ? { fragment, merge } : null;
}

/**
 * The merge over the gathered partials: the select list, HAVING and ORDER BY rewritten by
 * `rewrite` (aggregates and group keys → partial columns), cast back to the original output types,
 * grouped by the group columns; null when a column other than a group or partial column (or an
 * output alias) is still referenced.
 */
function mergeQuery(
  select: Node,
  modifiers: Node[],
  rewrite: (n: unknown) => unknown,
  groupCols: readonly string[],
  partialCols: readonly string[],
  outputNames: readonly string[],
  outputTypes: readonly Node[],
): Node | null {
  const selectList = (select.select_list as Node[]).map((item, i) =>
    alias(cast(rewrite({ ...item, alias: '' }) as Node, outputTypes[i]), outputNames[i]),
  );
  const having = select.having ? (rewrite(select.having) as Node) : null;
  const newModifiers = rewrite(modifiers) as Node[];
  const allowed = new Set([...groupCols, ...partialCols, ...outputNames].map((x) => x.toLowerCase()));
  const stray = contains([selectList, having, newModifiers], (n) => {
    if (n.class !== 'COLUMN_REF') return false;
    const parts = n.column_names as string[];
    return parts.length !== 1 || !allowed.has(parts[0].toLowerCase());
  });
  if (stray) return null;
  const merge = clone(select);
  merge.select_list = selectList;
  merge.where_clause = null;
  merge.having = having;
  merge.modifiers = newModifiers;
  merge.group_expressions = groupCols.map((c) => columnRef(c));
  merge.group_sets = groupCols.length > 0 ? [groupCols.map((_, i) => i)] : [];
  merge.aggregate_handling = 'STANDARD_HANDLING';
  merge.from_table = { type: 'BASE_TABLE', alias: '', sample: null, schema_name: '', table_name: 'input', column_name_alias: [], catalog_name: '', at_clause: null };
  return merge;
}

/**
 * COUNT/SUM/AVG(DISTINCT …) with MIN/MAX: each fragment returns its distinct (groups, arguments)
 * tuples; the merge runs the original aggregates over the union of those tuples, which holds every
 * distinct value of every group exactly as the whole table does.
 */
function distinctPartial(
  select: Node,
  groups: Node[],
  found: Node[],
  modifiers: Node[],
  aggregates: ReadonlySet<string>,
  outputNames: readonly string[],
  outputTypes: readonly Node[],
): PartialAggregate | null {
  const args: Node[] = [];
  for (const a of found) {
    for (const x of a.children as Node[]) {
      if (contains(x, (y) => isAggregate(y, aggregates))) return null;
      if (!args.some((y) => shape(y) === shape(x))) args.push(clone(x));
    }
  }
  const groupCols = groups.map((_, i) => `__g${i}`);
  const argCols = args.map((_, i) => `__d${i}`);
  const keys = [...groups.map((g) => clone(g)), ...args.map((a) => clone(a))];
  const fragment = clone(select);
  fragment.select_list = [...groups.map((g, i) => alias(clone(g), groupCols[i])), ...args.map((a, i) => alias(clone(a), argCols[i]))];
  fragment.group_expressions = keys;
  fragment.group_sets = keys.length > 0 ? [keys.map((_, i) => i)] : [];
  fragment.aggregate_handling = 'STANDARD_HANDLING';
  fragment.modifiers = [];
  fragment.having = null;
  const rewriteArgs = (n: unknown): unknown =>
    replace(n, (x) => {
      if (!isAggregate(x, aggregates)) return null;
      const children = (x.children as Node[]).map((c) => columnRef(argCols[args.findIndex((y) => shape(y) === shape(c))]));
      return { ...clone(x), children };
    });
  const rewrite = (n: unknown): unknown =>
    replace(rewriteArgs(n), (x) => {
      if (x.class === 'FUNCTION' && isAggregate(x, aggregates)) return x;
      const i = groups.findIndex((g) => shape(g) === shape(x));
      return i >= 0 && x.class !== 'CONSTANT' ? columnRef(groupCols[i]) : null;
    });
  const merge = mergeQuery(select, modifiers, rewrite, groupCols, argCols, outputNames, outputTypes);
  return merge ? { fragment, merge } : null;
}

const VARCHAR_TYPE = { id: 'VARCHAR', type_info: null };
const HUGEINT_TYPE = { id: 'HUGEINT', type_info: null };

function constant(value: string | number): Node {
  const id = typeof value === 'string' ? 'VARCHAR' : 'INTEGER';
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id, type_info: null }, is_null: false, value } };
}

/**
 * The final AVG from partial sums and counts, rounded as DuckDB rounds it. For a DECIMAL input
 * DuckDB divides the unscaled integer sum by count × 10^scale in one step; dividing the sum cast to
 * DOUBLE by the count rounds twice and can differ in the last bit. The partial sum's type is only
 * known when the merge runs, so the merge picks the way by typeof():
 *   CASE WHEN starts_with(typeof(sum(s)), 'DECIMAL')
 *        THEN CAST(CAST(replace(CAST(sum(s) AS VARCHAR), '.', '') AS HUGEINT) AS DOUBLE)
 *             / (CAST(sum(c) AS DOUBLE) * pow(10, length(split_part(CAST(sum(s) AS VARCHAR), '.', 2))))
 *        ELSE CAST(sum(s) AS DOUBLE) / CAST(sum(c) AS DOUBLE) END
 */
function average(s: Node, c: Node, double: Node): Node {
  const sum = (): Node => functionCall('sum', [clone(s)]);
  const count = (): Node => cast(functionCall('sum', [clone(c)]), double);
  const text = (): Node => cast(sum(), VARCHAR_TYPE);
  const unscaled = cast(cast(functionCall('replace', [text(), constant('.'), constant('')]), HUGEINT_TYPE), double);
  const scale = functionCall('pow', [constant(10), functionCall('length', [functionCall('split_part', [text(), constant('.'), constant(2)])])]);
  const multiply = functionCall('*', [count(), scale], { is_operator: true });
  return {
    class: 'CASE',
    type: 'CASE_EXPR',
    alias: '',
    case_checks: [
      {
        when_expr: functionCall('starts_with', [functionCall('typeof', [sum()]), constant('DECIMAL')]),
        then_expr: divide(unscaled, multiply),
      },
    ],
    else_expr: divide(cast(sum(), double), count()),
  };
}

function partialStar(partials: Node[]): Node {
  const col = `__a${partials.length}`;
  partials.push(alias(functionCall('count_star', []), col));
  return columnRef(col);
}

function constantZero(): Node {
  return {
    class: 'CONSTANT',
    type: 'VALUE_CONSTANT',
    alias: '',
    value: { type: { id: 'INTEGER', type_info: null }, is_null: false, value: 0 },
  };
}
