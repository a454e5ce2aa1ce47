// The planner: parses a statement with DuckDB, finds the lake tables it reads, prunes their files
// by statistics, and cuts it into fragments for executors plus a merge for the coordinator:
// stream-through scans, partial aggregation, or gather (scans with pushdown, the rest in the
// merge) — gather is always correct, so every query DuckDB accepts gets DuckDB's answer.
import { DuckDBConnection } from '@duckdb/node-api';
import { Catalog, DataFile, TableInfo } from '../catalog/catalog';
import { tableScanSql } from '../catalog/scan-sql';
import { duckdbError } from '../duckdb/errors';
import { and, clone, columnRef, conjuncts, isNode, Node, parse, ParsedStatement, render, selectNode, walk } from './ast';
import { contains, findOccurrences, Occurrence } from './occurrences';
import { partialAggregate } from './partial-aggregate';
import { Fragment, Plan, PruneReport, Stage, StageKind } from './plan';
import { compareNumbers, ConstantValue, Pred, pruneFiles, toPred } from './prune';

export interface PlannerOptions {
  /** How many executors share the work (fragments ≈ 2 per executor). */
  executors: number;
  /** A unique prefix for the merge's temporary tables. */
  prefix: string;
}

/** A plan plus what only the coordinator needs to run it. */
export interface PlannedQuery extends Plan {
  /** Output names of the statement (for EXPLAIN). */
  columns: readonly string[];
}

const local = (sql: string, note: string): PlannedQuery => ({
  kind: 'local',
  sql,
  stages: [],
  merge: null,
  notes: [note],
  columns: [],
});

/** Lists every table reference so the catalog can be asked about them before resolving. */
function tableNames(node: Node): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  walk(node, (n) => {
    if (n.type === 'BASE_TABLE' && !n.catalog_name) out.push([String(n.schema_name ?? ''), String(n.table_name)]);
    return undefined;
  });
  return out;
}

/** DuckDB's aggregate function names: fixed for the process (SQL cannot define aggregates), read once. */
let aggregateNamesOnce: Promise<Set<string>> | null = null;

function aggregateNames(conn: DuckDBConnection): Promise<Set<string>> {
  aggregateNamesOnce ??= conn
    .runAndReadAll("SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'")
    .then((r) => new Set(r.getRows().map((x) => String(x[0]))));
  aggregateNamesOnce.catch(() => (aggregateNamesOnce = null));
  return aggregateNamesOnce;
}

/** Output column names and DuckDB types of a statement (prepared, not run). */
async function describe(conn: DuckDBConnection, sql: string): Promise<{ names: string[]; types: string[] }> {
  const stmt = await conn.prepare(sql);
  try {
    const names: string[] = [];
    const types: string[] = [];
    for (let i = 0; i < stmt.columnCount; i++) {
      names.push(stmt.columnName(i));
      types.push(stmt.columnType(i).toString());
    }
    return { names, types };
  } finally {
    stmt.destroySync();
  }
}

/** Cast targets by type name, shared by every plan (a type name always parses the same). */
const TYPE_NODES = new Map<string, Node>();

class TypeNodes {
  private readonly cache = TYPE_NODES;
  constructor(private readonly conn: DuckDBConnection) {}

  /** The cast_type JSON of a DuckDB type name, as DuckDB's parser spells it. */
  async get(type: string): Promise<Node> {
    const hit = this.cache.get(type);
    if (hit) return hit;
    if (!/^(?:[A-Za-z0-9_(), [\]]|"(?:[^"]|"")*"|'(?:[^']|'')*')+$/.test(type)) throw new Error(`unexpected type name ${type}`);
    const parsed = await parse(this.conn, `SELECT CAST(NULL AS ${type})`);
    const node = ((parsed as ParsedStatement[])[0].node.select_list as Node[])[0].cast_type as Node;
    this.cache.set(type, node);
    return node;
  }
}

/** The TABLE_FUNCTION node that reads `files` of `table`, under `alias`. */
async function scanNode(conn: DuckDBConnection, table: TableInfo, files: readonly string[], alias: string): Promise<Node> {
  const parsed = await parse(conn, `SELECT * FROM ${tableScanSql(table, files)}`);
  const from = (parsed as ParsedStatement[])[0].node.from_table as Node;
  return { ...from, alias };
}

/** The fragment query binds on the coordinator (its FROM still names the lake tables' views). */
async function binds(conn: DuckDBConnection, node: Node): Promise<boolean> {
  try {
    await describe(conn, await render(conn, { node }));
    return true;
  } catch {
    return false;
  }
}

/** Splits files into about `n` groups of similar byte size (largest first, into the lightest group). */
function groupFiles(files: readonly DataFile[], n: number): DataFile[][] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const k = Math.max(1, Math.min(n, sorted.length));
  let left = sorted.reduce((s, f) => s + f.bytes, 0);
  const groups: DataFile[][] = [];
  let current: DataFile[] = [];
  let bytes = 0;
  for (const [i, f] of sorted.entries()) {
    current.push(f);
    bytes += f.bytes;
    const groupsLeft = k - groups.length - 1;
    if (groupsLeft > 0 && (bytes * (groupsLeft + 1) >= left || sorted.length - i - 1 === groupsLeft)) {
      groups.push(current);
      left -= bytes;
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Has DuckDB evaluate the constants conditions compare with (VARCHAR rendering + type). */
async function evaluateConstants(conn: DuckDBConnection, constants: Node[]): Promise<ConstantValue[]> {
  if (constants.length === 0) return [];
  const template = (await parse(conn, 'SELECT 1')) as ParsedStatement[];
  const list: Node[] = [];
  for (const c of constants) {
    list.push({ class: 'CAST', type: 'OPERATOR_CAST', alias: '', child: clone(c), cast_type: { id: 'VARCHAR', type_info: null }, try_cast: true });
    list.push({ class: 'FUNCTION', type: 'FUNCTION', alias: '', function_name: 'typeof', schema: '', children: [clone(c)], filter: null, order_bys: { type: 'ORDER_MODIFIER', orders: [] }, distinct: false, is_operator: false, export_state: false, catalog: '' });
  }
  const node = { ...template[0].node, select_list: list };
  try {
    const sql = await render(conn, { node });
    const row = (await conn.runAndReadAll(sql)).getRows()[0];
    return constants.map((_, i) => ({ text: row[2 * i] === null ? null : String(row[2 * i]), type: String(row[2 * i + 1]) }));
  } catch {
    // a constant DuckDB cannot evaluate alone: prune by nothing
    return constants.map(() => ({ text: null, type: '' }));
  }
}

/** Drops the files the occurrence's conditions exclude. */
async function prune(conn: DuckDBConnection, occ: Occurrence): Promise<{ files: DataFile[]; report: PruneReport; filters: string[] }> {
  const constants: Node[] = [];
  const columnOf = (ref: Node): string | null => {
    const parts = ref.column_names as string[];
    return parts[parts.length - 1];
  };
  const preds: Pred[] = occ.filters.map((f) => toPred(f, columnOf, constants));
  const values = await evaluateConstants(conn, constants);
  const filters: string[] = [];
  for (const f of occ.filters) filters.push(await renderExpression(conn, f));
  const result = pruneFiles(occ.table, preds, values, (i) => filters[i]);
  const all = occ.table.files;
  return {
    files: result.files,
    filters,
    report: {
      filesTotal: all.length,
      filesKept: result.files.length,
      bytesTotal: all.reduce((s, f) => s + f.bytes, 0),
      bytesKept: result.files.reduce((s, f) => s + f.bytes, 0),
      rowGroupsTotal: result.rowGroupsTotal,
      rowGroupsKept: result.rowGroupsKept,
      reasons: result.reasons,
    },
  };
}

/** SQL text of one expression (for EXPLAIN). */
async function renderExpression(conn: DuckDBConnection, e: Node): Promise<string> {
  const template = (await parse(conn, 'SELECT 1')) as ParsedStatement[];
  const sql = await render(conn, { node: { ...template[0].node, select_list: [clone(e)] } });
  return sql.replace(/^SELECT\s+/i, '');
}

function isAggregateQuery(select: Node, aggregates: ReadonlySet<string>): boolean {
  return (
    (select.group_expressions as Node[]).length > 0 ||
    select.aggregate_handling === 'FORCE_AGGREGATES' ||
    Boolean(select.having) ||
    contains(select.select_list, (n) => n.class === 'FUNCTION' && aggregates.has(String(n.function_name).toLowerCase()))
  );
}

/** Plans `sql` for the session whose connection is `conn` (its current schema resolves names). */
export async function planQuery(
  conn: DuckDBConnection,
  catalog: Catalog,
  sql: string,
  opts: PlannerOptions,
): Promise<PlannedQuery> {
  const statements = await parse(conn, sql);
  if (!statements) return local(sql, 'not a query DuckDB can serialise (only SELECT is distributed)');
  if (statements.length !== 1) return local(sql, 'several statements: run as a script on the coordinator');
  const statement = statements[0];
  const root = statement.node;

  // resolve lake tables (the session's current schema for unqualified names)
  const current = String((await conn.runAndReadAll('SELECT current_schema()')).getRows()[0][0]);
  const tables = new Map<string, TableInfo | null>();
  for (const [schema, name] of tableNames(root)) {
    const s = schema || current;
    const key = `${s}\u0000${name}`.toLowerCase();
    if (!tables.has(key)) tables.set(key, await catalog.table(s, name));
  }
  const resolve = (schema: string, name: string): TableInfo | null =>
    tables.get(`${schema || current}\u0000${name}`.toLowerCase()) ?? null;
  const occurrences = findOccurrences(root, resolve);
  if (occurrences.length === 0) return local(sql, 'reads no lake table');
  if (occurrences.some((o) => (o.ref.column_name_alias as unknown[] | undefined)?.length)) {
    return local(sql, 'a lake table with column aliases: run on the coordinator');
  }
  if (occurrences.some((o) => o.table.files.length === 0)) return local(sql, 'a lake table without files');

  let described: { names: string[]; types: string[] };
  try {
    described = await describe(conn, sql);
  } catch (e) {
    throw duckdbError(e);
  }
  const aggregates = await aggregateNames(conn);
  const types = new TypeNodes(conn);
  const hasParams = contains(root, (n) => n.class === 'PARAMETER');
  const notes: string[] = [];
  const fragmentsPerStage = Math.max(1, opts.executors * 2);

  const buildStage = async (
    occ: Occurrence,
    index: number,
    kind: StageKind,
    fragmentOf: (scan: Node) => Node,
  ): Promise<Stage> => {
    const pruned = await prune(conn, occ);
    // a stage whose files were all pruned still runs once over one file with nothing matching, so
    // the merge sees the right columns and types
    const files = pruned.files.length > 0 ? pruned.files : [occ.table.files[0]];
    const empty = pruned.files.length === 0;
    const fragments: Fragment[] = [];
    const stageId = `s${index}`;
    for (const group of groupFiles(files, fragmentsPerStage)) {
      const scan = await scanNode(conn, occ.table, group.map((f) => f.path), occ.alias);
      const node = fragmentOf(scan);
      if (empty) node.where_clause = falseConstant();
      fragments.push({
        id: `${stageId}f${fragments.length}`,
        stage: stageId,
        sql: await render(conn, { node }),
        inputs: [
          {
            table: `${occ.table.schema}.${occ.table.name}`,
            format: occ.table.format,
            files: group.map((f) => f.path),
            bytes: empty ? 0 : group.reduce((s, f) => s + f.bytes, 0),
            rows: empty ? 0 : group.reduce((s, f) => s + f.rows, 0),
          },
        ],
      });
    }
    return {
      id: stageId,
      kind,
      table: `${occ.table.schema}.${occ.table.name}`,
      output: `${opts.prefix}_${stageId}`,
      fragments,
      pruning: pruned.report,
      pushed: { columns: occ.columns, filters: pruned.filters },
    };
  };


  async function broadcastJoin(): Promise<PlannedQuery | null> {
    const aggregate = isAggregateQuery(root, aggregates);
    const mods = root.modifiers as Node[];
    let fragmentNode: Node;
    let merge: ((output: string) => Node) | null = null;
    let how: string;
    if (!aggregate && mods.length === 0) {
      fragmentNode = clone(root);
      how = 'rows stream through';
    } else if (!aggregate) {
      const topN = described.types.some((t) => t.startsWith('ENUM')) ? null : topNShape(root);
      if (!topN) return null;
      fragmentNode = { ...clone(root), modifiers: topN.fragmentModifiers };
      merge = (output) => topNMerge(output, topN);
      how = `each fragment keeps its top ${topN.keep} rows`;
    } else {
      const outputTypes: Node[] = [];
      for (const t of described.types) outputTypes.push(await types.get(t));
      const typeNode = new Map<string, Node>();
      for (const t of ['BIGINT', 'DOUBLE']) typeNode.set(t, await types.get(t));
      const partial = partialAggregate(root, root.from_table as Node, aggregates, described.names, outputTypes, (t) => typeNode.get(t) as Node);
      if (!partial || !(await binds(conn, partial.fragment))) return null;
      fragmentNode = clone(partial.fragment);
      merge = (output) => {
        const m = clone(partial.merge);
        (m.from_table as Node).table_name = output;
        return m;
      };
      how = 'partial aggregates combined in the merge';
    }
    const pruned: Awaited<ReturnType<typeof prune>>[] = [];
    for (const occ of occurrences) pruned.push(await prune(conn, occ));
    const big = pruned.reduce((best, p, i) => (p.report.bytesKept > pruned[best].report.bytesKept ? i : best), 0);
    // the fragment keeps every condition of the query, so reading a superset of the kept files is
    // still exact: a table whose files were all pruned is read from one file, and yields nothing
    const filesOf = (i: number): DataFile[] => (pruned[i].files.length > 0 ? pruned[i].files : [occurrences[i].table.files[0]]);
    // co-location: a table joined to the split one on equal keys needs, per fragment, only the
    // files whose key range overlaps the range of the fragment's split-table files
    const keyJoins = equiJoinKeys(root, occurrences, big);
    let colocated = 0;
    const refIndex = (n: Node): number => occurrences.findIndex((o) => shapeOf(o.ref) === shapeOf(n) && o.ref.alias === n.alias);
    const stageId = 's0';
    const fragments: Fragment[] = [];
    for (const group of groupFiles(filesOf(big), fragmentsPerStage)) {
      const node = clone(fragmentNode);
      const refs: Node[] = [];
      walk(node, (n) => {
        if (n.type === 'BASE_TABLE') refs.push(n);
        return undefined;
      });
      const inputs = [];
      for (const ref of refs) {
        const i = refIndex(ref);
        if (i < 0) return null;
        const occ = occurrences[i];
        let files = i === big ? group : filesOf(i);
        if (i !== big && keyJoins.has(i)) {
          const [bigKey, otherKey] = keyJoins.get(i) as [string, string];
          const narrowed = overlapping(group, bigKey, files, otherKey);
          if (narrowed && narrowed.length < files.length) {
            files = narrowed.length > 0 ? narrowed : [files[0]];
            colocated++;
          }
        }
        const scan = await scanNode(conn, occ.table, files.map((f) => f.path), occ.alias);
        for (const k of Object.keys(ref)) delete ref[k];
        Object.assign(ref, scan);
        inputs.push({
          table: `${occ.table.schema}.${occ.table.name}`,
          format: occ.table.format,
          files: files.map((f) => f.path),
          bytes: files.reduce((n, f) => n + f.bytes, 0),
          rows: files.reduce((n, f) => n + f.rows, 0),
        });
      }
      // the split table's files first: EXPLAIN and affinity look at the first input
      const splitName = `${occurrences[big].table.schema}.${occurrences[big].table.name}`;
      inputs.sort((a, b) => Number(b.table === splitName && b.files.length <= group.length) - Number(a.table === splitName && a.files.length <= group.length));
      fragments.push({ id: `${stageId}f${fragments.length}`, stage: stageId, sql: await render(conn, { node }), inputs });
    }
    const bigOcc = occurrences[big];
    const stage: Stage = {
      id: stageId,
      kind: 'broadcast-join',
      table: `${bigOcc.table.schema}.${bigOcc.table.name}`,
      output: `${opts.prefix}_${stageId}`,
      fragments,
      pruning: pruned[big].report,
      pushed: { columns: bigOcc.columns, filters: pruned[big].filters },
    };
    notes.push(`inner join of ${occurrences.length} lake tables: ${bigOcc.table.schema}.${bigOcc.table.name} split over ${fragments.length} fragments, the others read whole by each (broadcast); ${how}`);
    if (colocated > 0) notes.push(`co-located: ${colocated} table reads narrowed to the files whose join-key ranges overlap the fragment's`);
    occurrences.forEach((o, i) => {
      if (i === big) return;
      const r = pruned[i].report;
      notes.push(`broadcast ${o.table.schema}.${o.table.name} AS ${o.alias}: ${r.filesKept} of ${r.filesTotal} files, ${r.bytesKept} of ${r.bytesTotal} bytes`);
    });
    const mergeSql = merge ? await render(conn, { node: merge(stage.output) }) : null;
    return { kind: 'distributed', sql, stages: [stage], merge: mergeSql, notes, columns: described.names };
  }

  const single = occurrences.length === 1 && root.type === 'SELECT_NODE' && root.from_table === occurrences[0].ref;
  // 1. one table, no aggregation: every fragment runs the whole query over its files; the union of
  //    their rows is the answer, streamed straight through
  if (
    single &&
    !hasParams &&
    !isAggregateQuery(root, aggregates) &&
    (root.modifiers as Node[]).length === 0 &&
    !root.qualify &&
    !root.sample &&
    (root.cte_map as { map: unknown[] }).map.length === 0 &&
    !contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW')
  ) {
    const occ = occurrences[0];
    const stage = await buildStage(occ, 0, 'scan', (scan) => ({ ...clone(root), from_table: scan }));
    notes.push('one lake table, no aggregation or ordering: each fragment runs the whole query; rows stream through');
    return { kind: 'distributed', sql, stages: [stage], merge: null, notes, columns: described.names };
  }
  // 2. one table, ORDER BY … LIMIT without aggregation: each fragment keeps its own top rows
  if (single && !hasParams && !isAggregateQuery(root, aggregates)) {
    const topN = described.types.some((t) => t.startsWith('ENUM')) ? null : topNShape(root);
    if (topN) {
      const stage = await buildStage(occurrences[0], 0, 'top-n', (scan) => ({ ...clone(root), from_table: scan, modifiers: topN.fragmentModifiers }));
      const merge = topNMerge(stage.output, topN);
      notes.push(`one lake table with ORDER BY … LIMIT: each fragment keeps its top ${topN.keep} rows, the merge the overall top`);
      return { kind: 'distributed', sql, stages: [stage], merge: await render(conn, { node: merge }), notes, columns: described.names };
    }
  }
  // 3. one table with GROUP BY / aggregates: partial aggregation on executors, final in the merge
  if (single && !hasParams && isAggregateQuery(root, aggregates)) {
    const outputTypes: Node[] = [];
    for (const t of described.types) outputTypes.push(await types.get(t));
    const typeNode = new Map<string, Node>();
    for (const t of ['BIGINT', 'DOUBLE']) typeNode.set(t, await types.get(t));
    const partial = partialAggregate(root, occurrences[0].ref, aggregates, described.names, outputTypes, (t) => typeNode.get(t) as Node);
    if (partial && (await binds(conn, partial.fragment))) {
      const stage = await buildStage(occurrences[0], 0, 'partial-aggregate', (scan) => ({ ...clone(partial.fragment), from_table: scan }));
      const merge = clone(partial.merge);
      (merge.from_table as Node).table_name = stage.output;
      notes.push('one lake table with aggregates: partial aggregates on executors, combined in the merge');
      return { kind: 'distributed', sql, stages: [stage], merge: await render(conn, { node: merge }), notes, columns: described.names };
    }
    notes.push('aggregates outside the partial-aggregation pattern: gather');
  }
  // 4. lake tables joined by inner joins, no subqueries: the largest table's files are split across
  //    fragments and every fragment reads the other tables whole (a broadcast join), running the join
  //    itself; each joined row comes from exactly one fragment, so the fragments' rows are combined
  //    like one table's: streamed through, top-N, or partially aggregated
  if (
    occurrences.length > 1 &&
    !hasParams &&
    innerJoinOfLakeTables(root, occurrences) &&
    (root.cte_map as { map: unknown[] }).map.length === 0 &&
    !root.qualify &&
    !root.sample &&
    !contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW')
  ) {
    const join = await broadcastJoin();
    if (join) return join;
    notes.push('a join outside the broadcast pattern: gather');
  }
  // 5. gather: each table reference becomes a scan with its columns and filters pushed down; the
  //    statement itself runs in the merge over the gathered rows
  const stages: Stage[] = [];
  for (const [i, occ] of occurrences.entries()) {
    const stage = await buildStage(occ, i, 'scan', (scan) => {
      const cols = occ.columns === '*' ? [{ class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] } as Node] : occ.columns.map((c) => columnRef(occ.alias, c));
      // no column used (count(*)): one constant column keeps the row count
      const list = cols.length > 0 ? cols : [{ ...booleanTrue(), alias: '__skein_row' }];
      return selectNode(list, scan, and(occ.filters.map((f) => clone(f))));
    });
    stages.push(stage);
    // the merge reads the gathered rows under the reference's alias, so qualified columns still resolve
    for (const k of Object.keys(occ.ref)) delete occ.ref[k];
    Object.assign(occ.ref, {
      type: 'BASE_TABLE',
      alias: occ.alias,
      sample: null,
      schema_name: '',
      table_name: stage.output,
      column_name_alias: [],
      catalog_name: '',
      at_clause: null,
    });
  }
  notes.push(
    occurrences.length > 1
      ? `${occurrences.length} lake table references: scans with pushdown on executors, joins and the rest in the merge`
      : 'gather: scan with pushdown on executors, the rest of the query in the merge',
  );
  return { kind: 'distributed', sql, stages, merge: await render(conn, statement), notes, columns: described.names };
}

/** The occurrence a column reference belongs to: by alias, or by a column name only one of them has. */
function ownerOf(ref: Node, occurrences: readonly Occurrence[]): number {
  const parts = (ref.column_names as string[]).map((p) => p.toLowerCase());
  const has = (o: Occurrence, c: string): boolean => o.table.columns.some((x) => x.name.toLowerCase() === c);
  if (parts.length === 2) return occurrences.findIndex((o) => o.alias.toLowerCase() === parts[0] && has(o, parts[1]));
  if (parts.length !== 1) return -1;
  const owners = occurrences.flatMap((o, i) => (has(o, parts[0]) ? [i] : []));
  return owners.length === 1 ? owners[0] : -1;
}

/** For each table joined to `big` by `big.k = t.k'` (WHERE or inner ON): [k, k']. */
function equiJoinKeys(root: Node, occurrences: readonly Occurrence[], big: number): Map<number, [string, string]> {
  const out = new Map<number, [string, string]>();
  const conds: Node[] = [...conjuncts(root.where_clause as Node | null)];
  walk(root.from_table, (n) => {
    if (n.type === 'JOIN' && n.condition) conds.push(...conjuncts(n.condition as Node));
    return undefined;
  });
  for (const c of conds) {
    if (c.class !== 'COMPARISON' || c.type !== 'COMPARE_EQUAL') continue;
    const l = c.left as Node;
    const r = c.right as Node;
    if (l.class !== 'COLUMN_REF' || r.class !== 'COLUMN_REF') continue;
    const lo = ownerOf(l, occurrences);
    const ro = ownerOf(r, occurrences);
    const name = (n: Node): string => (n.column_names as string[]).slice(-1)[0];
    const exact = (o: number, n: Node): boolean =>
      /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|DECIMAL)/.test(
        occurrences[o].table.columns.find((x) => x.name.toLowerCase() === name(n).toLowerCase())?.type ?? '',
      );
    if (lo < 0 || ro < 0 || !exact(lo, l) || !exact(ro, r)) continue;
    if (lo === big && ro >= 0 && ro !== big && !out.has(ro)) out.set(ro, [name(l), name(r)]);
    else if (ro === big && lo >= 0 && lo !== big && !out.has(lo)) out.set(lo, [name(r), name(l)]);
  }
  return out;
}

function statsOf(f: DataFile, column: string): { min: string; max: string } | null {
  const s = Object.entries(f.columns).find(([k]) => k.toLowerCase() === column.toLowerCase())?.[1];
  return s && s.min !== null && s.max !== null ? { min: s.min, max: s.max } : null;
}

/** The files of `others` whose `otherKey` range overlaps `group`'s `key` range; null when a range is unknown. */
function overlapping(group: readonly DataFile[], key: string, others: readonly DataFile[], otherKey: string): DataFile[] | null {
  const ranges = group.map((f) => statsOf(f, key));
  if (ranges.some((r) => r === null)) return null;
  const out: DataFile[] = [];
  for (const f of others) {
    const r = statsOf(f, otherKey);
    if (!r) return null;
    let hit = false;
    for (const g of ranges as { min: string; max: string }[]) {
      const a = compareNumbers(r.max, g.min);
      const b = compareNumbers(r.min, g.max);
      if (a === null || b === null) return null;
      if (a >= 0 && b <= 0) {
        hit = true;
        break;
      }
    }
    if (hit) out.push(f);
  }
  return out;
}

/** The FROM clause is a tree of inner joins whose leaves are exactly the lake table references. */
function innerJoinOfLakeTables(root: Node, occurrences: readonly Occurrence[]): boolean {
  if (root.type !== 'SELECT_NODE') return false;
  const leaves: Node[] = [];
  const visit = (n: Node | null | undefined): boolean => {
    if (!n) return false;
    if (n.type === 'JOIN') {
      const ref = String(n.ref_type ?? 'REGULAR');
      if (n.join_type !== 'INNER' || ref === 'ASOF' || ref === 'POSITIONAL' || ref === 'DEPENDENT') return false;
      return visit(n.left as Node) && visit(n.right as Node);
    }
    leaves.push(n);
    return true;
  };
  if (!visit(root.from_table as Node)) return false;
  return leaves.length === occurrences.length && leaves.every((l) => occurrences.some((o) => o.ref === l));
}

interface TopN {
  fragmentModifiers: Node[];
  /** ORDER BY over output positions for the merge. */
  orders: Node[];
  limit: number;
  offset: number;
  keep: number;
}

function intValue(n: Node | null | undefined): number | null {
  if (!n || n.class !== 'CONSTANT') return null;
  const v = (n.value as { value?: unknown; is_null?: boolean }) ?? {};
  return !v.is_null && typeof v.value === 'number' && Number.isInteger(v.value) && v.value >= 0 ? v.value : null;
}

function intConstant(v: number): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BIGINT', type_info: null }, is_null: false, value: v } };
}

function shapeOf(n: Node): string {
  return JSON.stringify(n, (k, v: unknown) => (k === 'alias' || k === 'query_location' ? undefined : v));
}

/** ORDER BY … LIMIT n [OFFSET m] whose sort keys are output columns; null for any other shape. */
function topNShape(root: Node): TopN | null {
  if (root.qualify || root.sample || (root.cte_map as { map: unknown[] }).map.length > 0) return null;
  if (contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW')) return null;
  const mods = root.modifiers as Node[];
  const order = mods.find((m) => m.type === 'ORDER_MODIFIER');
  const limitMod = mods.find((m) => m.type === 'LIMIT_MODIFIER');
  if (!order || !limitMod || mods.length !== 2) return null;
  const limit = intValue(limitMod.limit as Node);
  const offset = limitMod.offset ? intValue(limitMod.offset as Node) : 0;
  if (limit === null || offset === null) return null;
  const items = root.select_list as Node[];
  if (items.some((i) => i.class === 'STAR')) return null;
  const positionOf = (e: Node): number | null => {
    const k = intValue(e);
    if (k !== null) return k >= 1 && k <= items.length ? k : null;
    if (e.class === 'COLUMN_REF' && (e.column_names as string[]).length === 1) {
      const name = (e.column_names as string[])[0].toLowerCase();
      const byAlias = items.findIndex((i) => String(i.alias).toLowerCase() === name);
      if (byAlias >= 0) return byAlias + 1;
    }
    const i = items.findIndex((x) => shapeOf(x) === shapeOf(e));
    return i >= 0 ? i + 1 : null;
  };
  const orders: Node[] = [];
  for (const o of (order.orders as Node[])) {
    const pos = positionOf(o.expression as Node);
    if (pos === null) return null;
    orders.push({ ...o, expression: intConstant(pos) });
  }
  const keep = limit + offset;
  return {
    fragmentModifiers: [clone(order), { type: 'LIMIT_MODIFIER', limit: intConstant(keep), offset: null }],
    orders,
    limit,
    offset,
    keep,
  };
}

function topNMerge(input: string, t: TopN): Node {
  const star: Node = { class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] };
  const node = selectNode([star], { type: 'BASE_TABLE', alias: '', sample: null, schema_name: '', table_name: input, column_name_alias: [], catalog_name: '', at_clause: null }, null);
  node.modifiers = [
    { type: 'ORDER_MODIFIER', orders: t.orders },
    { type: 'LIMIT_MODIFIER', limit: intConstant(t.limit), offset: t.offset > 0 ? intConstant(t.offset) : null },
  ];
  return node;
}

function booleanTrue(): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: true } };
}

function falseConstant(): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: false } };
}

export { isNode };
