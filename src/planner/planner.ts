// The planner: parses a statement with DuckDB, finds the lake tables it reads, prunes their files
// by statistics, and cuts it into fragments for executors plus a merge for the coordinator:
// stream-through scans, partial aggregation, or gather (scans with pushdown, the rest in the
// merge) — gather is always correct, so every query DuckDB accepts gets DuckDB's answer.
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { Catalog, DataFile, TableInfo } from '../catalog/catalog';
import { tableScanFiles, tableScanSql } from '../catalog/scan-sql';
import { duckdbError } from '../duckdb/errors';
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { and, clone, columnRef, conjuncts, isNode, Node, parse, ParsedStatement, render, selectNode, walk } from './ast';
import { contains, findOccurrences, Occurrence } from './occurrences';
import { keyPartition } from './key-partition';
import { Reduction, selectiveFilter, semiJoinReductions } from './semi-join';
import { partialAggregate } from './partial-aggregate';
import { Fragment, FragmentInput, partitionGlob, Plan, PruneReport, Stage, StageKind } from './plan';
import { boundsMayMatch, compareNumbers, ConstantValue, Pred, pruneFiles, toPred } from './prune';
import { atKey, hasAt, inlineAt, resolveAts, ResolveRef } from './table-at';

export interface PlannerOptions {
  /** How many executors share the work (a stage gets about one fragment per executor). */
  executors: number;
  /** A unique prefix for the merge's temporary tables. */
  prefix: string;
  /**
   * A directory every executor can write and read (this query's own, not yet created), for shuffle
   * files; absent: executors share no disk and joins are never repartitioned.
   */
  scratch?: string;
  /**
   * A joined table larger than this (after pruning and co-location) is not read whole by every
   * fragment: it and the split table are repartitioned by the join key instead. Default 64 MiB.
   */
  broadcastLimitBytes?: number;
  /** One big executor (monostore) runs every statement whole: one fragment, no merge. */
  wholeStatement?: boolean;
  /** Statements of several tables reading at most this many compressed column bytes run whole as one fragment (0: never). */
  smallStatementBytes?: number;
  /** The session's current schema, when the caller already asked DuckDB (else the planner asks). */
  currentSchema?: string;
}

const DEFAULT_BROADCAST_LIMIT = 64 << 20;
const PART_COLUMN = '__skein_part';
/** Types whose values survive a Parquet round trip exactly (what shuffle files may carry). */
const SHUFFLE_SAFE = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL\(\d+,\s*\d+\)|VARCHAR|BLOB|DATE|TIMESTAMP|TIMESTAMP WITH TIME ZONE)$/;
const INTEGER_KEY = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;
/** Join columns whose values a reduction ships as a BIGINT list. */
const REDUCIBLE_KEY = /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/;
/** References larger than this (after pruning) are worth a semi-join reduction; smaller ones are gathered whole. */
const REDUCE_MIN_BYTES = 8 << 20;
/** A scan stage gets at most one fragment per this many bytes of files… */
const MIN_FRAGMENT_BYTES = 8 << 20;
/** …and at least one per this many (else one per executor): a fragment is the unit of retry and of memory. */
const MAX_FRAGMENT_BYTES = 1 << 30;
/** A statement of several tables reading at most this many compressed column bytes runs as one fragment. */
const SMALL_STATEMENT_BYTES = 24 << 20; // the default of executors.smallStatementBytes

/** What a key-partitioned plan (shuffle or key ranges) is built from. */
interface KeyedJob {
  /** The statement each fragment runs (combined as stream, top-N or partial aggregates). */
  fragmentNode: Node;
  merge: ((output: string) => Node) | null;
  /** How the fragments' rows combine, for EXPLAIN. */
  how: string;
  pruned: Array<{ files: DataFile[]; report: PruneReport; filters: string[] }>;
  /** The occurrence whose files set the partitions (the largest). */
  big: number;
  filesOf: (i: number) => DataFile[];
  /** Occurrence index → key column of the tables partitioned by the key. */
  keyed: Map<number, string>;
  note: string;
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

/** Lists every table reference (with its AT clause) so the catalog can be asked about them before resolving. */
function tableNames(node: Node): Array<[string, string, Node | null]> {
  const out: Array<[string, string, Node | null]> = [];
  walk(node, (n) => {
    if (n.type === 'BASE_TABLE' && !n.catalog_name) {
      out.push([String(n.schema_name ?? ''), String(n.table_name), (n.at_clause as Node | null | undefined) ?? null]);
    }
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
async function binds(conn: DuckDBConnection, node: Node, resolveRef: ResolveRef): Promise<boolean> {
  try {
    await describe(conn, await render(conn, { node: hasAt(node) ? await inlineAt(conn, node, resolveRef) : node }));
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
    // close the group at its share of what is left, or when the next file would take it further
    // from that share than stopping short (8 files of ~25 MB in 4 groups: 2 each, not 3-2-2-1)
    const target = left / (groupsLeft + 1);
    const next = sorted[i + 1];
    const overshoots = next !== undefined && bytes + next.bytes - target >= target - bytes;
    if (groupsLeft > 0 && (bytes >= target || overshoots || sorted.length - i - 1 === groupsLeft)) {
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
  const template = await selectOneTemplate(conn);
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
  const filters = await Promise.all(occ.filters.map((f) => renderExpression(conn, f)));
  // whole manifests first (Iceberg): the files of those whose partition summaries exclude the filters are never looked at
  const narrowed = occ.table.narrow && preds.length > 0 ? await occ.table.narrow(boundsMayMatch(occ.table, preds, values)) : null;
  const result = pruneFiles(narrowed ? { ...occ.table, files: narrowed.table.files } : occ.table, preds, values, (i) => filters[i]);
  if (narrowed && narrowed.manifestsRead < narrowed.manifestsTotal) {
    const skipped = narrowed.manifestsTotal - narrowed.manifestsRead;
    result.reasons.unshift(`manifests: ${narrowed.manifestsRead} of ${narrowed.manifestsTotal} read (partition summaries exclude ${skipped})`);
  }
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

/** `SELECT 1` parsed: the shell expressions are rendered in (the same tree every time). */
let selectOne: Promise<ParsedStatement[]> | null = null;

function selectOneTemplate(conn: DuckDBConnection): Promise<ParsedStatement[]> {
  selectOne ??= parse(conn, 'SELECT 1').then((p) => p as ParsedStatement[]);
  selectOne.catch(() => (selectOne = null));
  return selectOne.then(clone);
}

/** SQL text of one expression (for EXPLAIN). */
async function renderExpression(conn: DuckDBConnection, e: Node): Promise<string> {
  const template = await selectOneTemplate(conn);
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
  const current = opts.currentSchema ?? String((await conn.runAndReadAll('SELECT current_schema()')).getRows()[0][0]);
  // the same table AT different versions is a different table
  const ats = await resolveAts(conn, sql, root);
  const tables = new Map<string, TableInfo | null>();
  const tableKey = (schema: string, name: string, at: unknown): string => `${schema || current}\u0000${name}`.toLowerCase() + `\u0000${atKey(at)}`;
  for (const [schema, name, at] of tableNames(root)) {
    const s = schema || current;
    const key = tableKey(s, name, at);
    if (tables.has(key)) continue;
    tables.set(key, await catalog.table(s, name, at ? ats.get(atKey(at)) : undefined));
  }
  const resolve = (schema: string, name: string, at?: unknown): TableInfo | null => tables.get(tableKey(schema, name, at)) ?? null;
  const resolveRef: ResolveRef = (ref) => resolve(String(ref.schema_name ?? ''), String(ref.table_name), ref.at_clause);
  // where the coordinator binds or runs the statement itself, AT references read their version's files
  const onCoordinator = async (): Promise<string> => (hasAt(root) ? render(conn, { node: await inlineAt(conn, root, resolveRef) }) : sql);
  const occurrences = findOccurrences(root, resolve);
  if (occurrences.length === 0) return local(sql, 'reads no lake table');
  if (occurrences.some((o) => (o.ref.column_name_alias as unknown[] | undefined)?.length)) {
    return local(await onCoordinator(), 'a lake table with column aliases: run on the coordinator');
  }
  if (occurrences.some((o) => o.table.files.length === 0)) return local(await onCoordinator(), 'a lake table without files');

  let described: { names: string[]; types: string[] };
  try {
    described = await describe(conn, await onCoordinator());
  } catch (e) {
    throw duckdbError(e);
  }
  const aggregates = await aggregateNames(conn);
  const types = new TypeNodes(conn);
  const hasParams = contains(root, (n) => n.class === 'PARAMETER');
  const notes: string[] = [];
  // one fragment per executor: each runs its DuckDB with the threads it was given; more fragments
  // per executor only compete for the same cores and repeat the reads of broadcast tables
  const fragmentsPerStage = Math.max(1, opts.executors);

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
    const stageId = `s${index}`;
    // every fragment's parse and render go to DuckDB together (see ast.ts)
    // small tables in fewer fragments: each costs a DuckDB query start and a round trip
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    const count = Math.max(1, Math.min(Math.max(fragmentsPerStage, Math.ceil(bytes / MAX_FRAGMENT_BYTES)), Math.ceil(bytes / MIN_FRAGMENT_BYTES)));
    const fragments: Fragment[] = await Promise.all(groupFiles(files, count).map(async (group, g) => {
      const scan = await scanNode(conn, occ.table, group.map((f) => f.path), occ.alias);
      const node = fragmentOf(scan);
      if (empty) node.where_clause = falseConstant();
      return {
        id: `${stageId}f${g}`,
        stage: stageId,
        sql: await render(conn, { node }),
        inputs: [
          {
            table: `${occ.table.schema}.${occ.table.name}`,
            format: occ.table.format,
            files: tableScanFiles(occ.table, group.map((f) => f.path)),
            bytes: empty ? 0 : group.reduce((s, f) => s + f.bytes, 0),
            rows: empty ? 0 : group.reduce((s, f) => s + f.rows, 0),
          },
        ],
      };
    }));
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


  /**
   * How fragments that each run the whole statement over part of the rows combine: rows streamed
   * through, each fragment's top N, or partial aggregates finished in the merge; null otherwise.
   */
  async function combineShape(whereSubqueries = false): Promise<{ fragmentNode: Node; merge: ((output: string) => Node) | null; how: string } | null> {
    const aggregate = isAggregateQuery(root, aggregates);
    const mods = root.modifiers as Node[];
    let fragmentNode: Node;
    let merge: ((output: string) => Node) | null = null;
    let how: string;
    if (!aggregate && mods.length === 0) {
      fragmentNode = clone(root);
      how = 'rows stream through';
    } else if (!aggregate) {
      const topN = described.types.some((t) => t.startsWith('ENUM')) ? null : topNShape(root, whereSubqueries);
      if (!topN) return null;
      fragmentNode = { ...clone(root), modifiers: topN.fragmentModifiers };
      merge = (output) => topNMerge(output, topN);
      how = topN.keep === null ? 'rows sorted in the merge' : `each fragment keeps its top ${topN.keep} rows`;
    } else {
      const outputTypes: Node[] = [];
      for (const t of described.types) outputTypes.push(await types.get(t));
      const typeNode = new Map<string, Node>();
      for (const t of ['BIGINT', 'DOUBLE']) typeNode.set(t, await types.get(t));
      const partial = partialAggregate(root, root.from_table as Node, aggregates, described.names, outputTypes, (t) => typeNode.get(t) as Node, whereSubqueries);
      if (!partial || !(await binds(conn, partial.fragment, resolveRef))) return null;
      fragmentNode = clone(partial.fragment);
      merge = (output) => {
        const m = clone(partial.merge);
        (m.from_table as Node).table_name = output;
        return m;
      };
      how = 'partial aggregates combined in the merge';
    }
    return { fragmentNode, merge, how };
  }

  let prunedAll: Promise<Awaited<ReturnType<typeof prune>>[]> | null = null;
  function pruneAll(): Promise<Awaited<ReturnType<typeof prune>>[]> {
    prunedAll ??= (async () => {
      const pruned: Awaited<ReturnType<typeof prune>>[] = [];
      for (const occ of occurrences) pruned.push(await prune(conn, occ));
      return pruned;
    })();
    return prunedAll;
  }

  /**
   * Semi-join reductions worth making (semi-join.ts): every large reference cut down by the values
   * of small references with a selective filter (or of references cut down themselves), so that
   * gathering everything is cheap. Null when some large reference cannot be reduced.
   */
  let reductions: Promise<Map<number, Reduction[]> | null> | null = null;
  function chooseReductions(): Promise<Map<number, Reduction[]> | null> {
    reductions ??= findReductions();
    return reductions;
  }

  async function findReductions(): Promise<Map<number, Reduction[]> | null> {
    const pruned = await pruneAll();
    const limit = opts.broadcastLimitBytes ?? DEFAULT_BROADCAST_LIMIT;
    const typeOf = (i: number, col: string): string =>
      occurrences[i].table.columns.find((c) => c.name.toLowerCase() === col.toLowerCase())?.type ?? '';
    const edges = semiJoinReductions(root, occurrences).filter(
      (e) => REDUCIBLE_KEY.test(typeOf(e.target, e.targetColumn)) && REDUCIBLE_KEY.test(typeOf(e.source, e.sourceColumn)),
    );
    const large = (i: number): boolean => pruned[i].report.bytesKept > REDUCE_MIN_BYTES;
    if (edges.length === 0 || !occurrences.some((_, i) => large(i))) return null;
    const usable = new Set(
      occurrences.flatMap((o, i) => (!large(i) && pruned[i].report.bytesKept <= limit && o.filters.some(selectiveFilter) ? [i] : [])),
    );
    const chosen = new Map<number, Reduction[]>();
    for (let changed = true; changed; ) {
      changed = false;
      for (let i = 0; i < occurrences.length; i++) {
        if (usable.has(i)) continue;
        const by = edges.filter((e) => e.target === i && usable.has(e.source));
        if (by.length === 0) continue;
        chosen.set(i, by);
        usable.add(i);
        changed = true;
      }
    }
    if (!occurrences.every((_, i) => !large(i) || chosen.has(i))) return null;
    // every reduction costs a wave of fragments: keep those of large references and of the sources
    // they take values from, transitively
    const kept = new Map<number, Reduction[]>();
    const keep = (i: number): void => {
      const by = chosen.get(i);
      if (!by || kept.has(i)) return;
      kept.set(i, by);
      for (const r of by) keep(r.source);
    };
    for (let i = 0; i < occurrences.length; i++) if (large(i)) keep(i);
    return kept;
  }

  /**
   * Gather: each table reference becomes a scan with its columns and filters pushed down; the
   * statement itself runs in the merge over the gathered rows. References in `reduce` also keep only
   * rows whose column value occurs in another reference's scanned rows: their stage runs after that
   * one's, with the values filled in (run-plan.ts).
   */
  async function gather(reduce: Map<number, Reduction[]> | null): Promise<PlannedQuery> {
    const stages: Stage[] = [];
    const placeholders: Array<{ stage: number; placeholder: string; source: number; column: string }> = [];
    const extra = new Map<number, Node[]>();
    for (const [i, by] of reduce ?? []) {
      const filters: Node[] = [];
      for (const r of by) {
        const placeholder = `${opts.prefix}_k${placeholders.length}`;
        placeholders.push({ stage: i, placeholder, source: r.source, column: r.sourceColumn });
        // '*' in place of the values turns the filter off (too many values to be worth shipping)
        const parsed = (await parse(
          conn,
          `SELECT 1 WHERE ${quoteIdent(occurrences[i].alias)}.${quoteIdent(r.targetColumn)} IN ` +
            `(SELECT unnest(TRY_CAST(string_split(${quoteLiteral(placeholder)}, ',') AS BIGINT[]))) OR ${quoteLiteral(placeholder)} = '*'`,
        )) as ParsedStatement[];
        filters.push(parsed[0].node.where_clause as Node);
      }
      extra.set(i, filters);
    }
    for (const [i, occ] of occurrences.entries()) {
      const stage = await buildStage(occ, i, 'scan', (scan) => {
        const cols = occ.columns === '*' ? [{ class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] } as Node] : occ.columns.map((c) => columnRef(occ.alias, c));
        // no column used (count(*)): one constant column keeps the row count
        const list = cols.length > 0 ? cols : [{ ...booleanTrue(), alias: '__skein_row' }];
        return selectNode(list, scan, and([...occ.filters.map((f) => clone(f)), ...clone(extra.get(i) ?? [])]));
      });
      const reducers = placeholders
        .filter((p) => p.stage === i)
        .map((p) => ({ placeholder: p.placeholder, stage: `s${p.source}`, column: p.column }));
      stages.push(reducers.length > 0 ? { ...stage, reducers } : stage);
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
    if (reduce && reduce.size > 0) {
      notes.push(
        'semi-join reduction: ' +
          [...reduce].map(([i, by]) => `${nameOf(i)} (s${i}) keeps rows whose ` +
            by.map((r) => `${r.targetColumn} is among s${r.source}'s ${r.sourceColumn} values`).join(' and ')).join('; ') +
          '; each reduced stage runs after the stages it takes values from',
      );
    }
    notes.push(
      occurrences.length > 1
        ? `${occurrences.length} lake table references: scans with pushdown on executors, joins and the rest in the merge`
        : 'gather: scan with pushdown on executors, the rest of the query in the merge',
    );
    return { kind: 'distributed', sql, stages, merge: await render(conn, statement), notes, columns: described.names };
  }

  async function broadcastJoin(): Promise<PlannedQuery | null> {
    const shape = await combineShape();
    if (!shape) return null;
    const { fragmentNode, merge, how } = shape;
    const pruned = await pruneAll();
    const big = pruned.reduce((best, p, i) => (p.report.bytesKept > pruned[best].report.bytesKept ? i : best), 0);
    // the fragment keeps every condition of the query, so reading a superset of the kept files is
    // still exact: a table whose files were all pruned is read from one file, and yields nothing
    const filesOf = (i: number): DataFile[] => (pruned[i].files.length > 0 ? pruned[i].files : [occurrences[i].table.files[0]]);
    // co-location: a table joined to the split one on equal keys needs, per fragment, only the
    // files whose key range overlaps the range of the fragment's split-table files
    const keyJoins = equiJoinKeys(joinNode, occurrences, big);
    const groups = groupFiles(filesOf(big), fragmentsPerStage);
    const shuffled = shuffleSet(groups, keyJoins, big, filesOf);
    if (shuffled) {
      const note = `inner join of ${occurrences.length} lake tables with a large second side`;
      return shuffleJoin({ fragmentNode, merge, how, pruned, big, filesOf, keyed: shuffled, note }, async () => null);
    }
    let colocated = 0;
    const refIndex = (n: Node): number => occurrences.findIndex((o) => shapeOf(o.ref) === shapeOf(n) && o.ref.alias === n.alias);
    const stageId = 's0';
    const planGroup = async (group: DataFile[], g: number): Promise<Fragment | null> => {
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
          files: tableScanFiles(occ.table, files.map((f) => f.path)),
          bytes: files.reduce((n, f) => n + f.bytes, 0),
          rows: files.reduce((n, f) => n + f.rows, 0),
        });
      }
      // the split table's files first: EXPLAIN and affinity look at the first input
      const splitName = `${occurrences[big].table.schema}.${occurrences[big].table.name}`;
      inputs.sort((a, b) => Number(b.table === splitName && b.files.length <= group.length) - Number(a.table === splitName && a.files.length <= group.length));
      return { id: `${stageId}f${g}`, stage: stageId, sql: await render(conn, { node }), inputs };
    };
    const planned = await Promise.all(groups.map(planGroup));
    if (planned.some((f) => f === null)) return null;
    const fragments = planned as Fragment[];
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
    broadcastNotes((i) => i === big, pruned);
    const mergeSql = merge ? await render(conn, { node: merge(stage.output) }) : null;
    return { kind: 'distributed', sql, stages: [stage], merge: mergeSql, notes, columns: described.names };
  }

  /** The column types a table's scan carries (its used columns, or all). */
  function carriedTypes(occ: Occurrence): string[] {
    const used = occ.columns === '*' ? null : new Set(occ.columns.map((c) => c.toLowerCase()));
    return occ.table.columns.filter((c) => !used || used.has(c.name.toLowerCase())).map((c) => c.type);
  }

  /**
   * When a table joined to the split one is too big to read whole in every fragment (even narrowed
   * to co-located files): the tables to repartition by one integer join key of the split table —
   * the split table and every large table joined to it on that key — as occurrence index → key column.
   */
  function shuffleSet(
    groups: DataFile[][],
    keyJoins: Map<number, [string, string]>,
    big: number,
    filesOf: (i: number) => DataFile[],
  ): Map<number, string> | null {
    if (!opts.scratch) return null;
    const limit = opts.broadcastLimitBytes ?? DEFAULT_BROADCAST_LIMIT;
    const typeOf = (i: number, col: string): string =>
      occurrences[i].table.columns.find((c) => c.name.toLowerCase() === col.toLowerCase())?.type ?? '';
    const large: Array<[number, string, string, number]> = [];
    for (const [i, [bigKey, otherKey]] of keyJoins) {
      if (!INTEGER_KEY.test(typeOf(big, bigKey)) || !INTEGER_KEY.test(typeOf(i, otherKey))) continue;
      const files = filesOf(i);
      // the most any fragment would read of it when broadcast, co-location included
      let worst = 0;
      for (const g of groups) {
        const narrowed = overlapping(g, bigKey, files, otherKey) ?? files;
        worst = Math.max(worst, narrowed.reduce((n, f) => n + f.bytes, 0));
      }
      if (worst > limit) large.push([i, bigKey, otherKey, worst]);
    }
    if (large.length === 0) return null;
    large.sort((a, b) => b[3] - a[3]);
    const key = large[0][1];
    const set = new Map<number, string>([[big, key]]);
    for (const [i, bigKey, otherKey] of large) if (bigKey.toLowerCase() === key.toLowerCase()) set.set(i, otherKey);
    for (const i of set.keys()) if (!carriedTypes(occurrences[i]).every((t) => SHUFFLE_SAFE.test(t))) return null;
    return set;
  }


  /**
   * A repartition (shuffle) join: each table of `shuffled` is scanned by repartition fragments that
   * write its rows, by hash of the join key, into one Parquet file set per partition in the query's
   * scratch directory; then one fragment per partition runs the query's join over that partition's
   * rows of every shuffled table (and the other tables whole). Rows with equal keys meet in one
   * partition, so every joined row comes from exactly one fragment and the fragments' rows combine
   * as in a broadcast join: streamed through, top-N or partial aggregates.
   */
  const nameOf = (i: number): string => `${occurrences[i].table.schema}.${occurrences[i].table.name}`;

  /** The one stage whose fragments each join one key partition of the `keyed` tables. */
  function keyedStage(kind: StageKind, keyed: Map<number, string>, big: number, pruned: Awaited<ReturnType<typeof prune>>[], fragments: Fragment[]): Stage {
    return {
      id: 's0',
      kind,
      table: [...keyed.keys()].map(nameOf).join(' ⋈ '),
      output: `${opts.prefix}_s0`,
      fragments,
      pruning: pruned[big].report,
      pushed: { columns: occurrences[big].columns, filters: pruned[big].filters },
    };
  }

  /** EXPLAIN notes for the tables every fragment reads whole. */
  function broadcastNotes(except: (i: number) => boolean, pruned: Awaited<ReturnType<typeof prune>>[]): void {
    occurrences.forEach((o, i) => {
      if (except(i)) return;
      const r = pruned[i].report;
      notes.push(`broadcast ${nameOf(i)} AS ${o.alias}: ${r.filesKept} of ${r.filesTotal} files, ${r.bytesKept} of ${r.bytesTotal} bytes`);
    });
  }

  /**
   * Key partitioning without shuffle files, when the tables' files already sit in key ranges (files
   * written in key order, as TPC-H's orders and lineitem): the split table's file groups give the
   * ranges, each fragment reads every keyed table's files whose key range overlaps its own and keeps
   * only the rows in its range (NULL keys go to the first). Null when statistics do not allow it or a
   * table would be read more than about once over all fragments.
   */
  async function rangeJoin(job: KeyedJob, order: number[]): Promise<PlannedQuery | null> {
    const { fragmentNode, merge, how, pruned, big, filesOf, keyed, note } = job;
    const bigKey = keyed.get(big) as string;
    const groups = groupFiles(filesOf(big), fragmentsPerStage);
    if (groups.length < 2) return null;
    const rangeOf = (files: readonly DataFile[], key: string): { min: string; max: string } | null => {
      let out: { min: string; max: string } | null = null;
      for (const f of files) {
        const st = statsOf(f, key);
        if (!st || !/^-?\d+$/.test(st.min) || !/^-?\d+$/.test(st.max)) return null;
        if (!out) out = { ...st };
        else {
          if ((compareNumbers(st.min, out.min) ?? 0) < 0) out.min = st.min;
          if ((compareNumbers(st.max, out.max) ?? 0) > 0) out.max = st.max;
        }
      }
      return out;
    };
    const ranged = groups.map((g) => ({ files: g, range: rangeOf(g, bigKey) }));
    if (ranged.some((r) => r.range === null)) return null;
    ranged.sort((a, b) => compareNumbers(a.range!.min, b.range!.min) ?? 0);
    for (let g = 1; g < ranged.length; g++) if ((compareNumbers(ranged[g - 1].range!.max, ranged[g].range!.min) ?? 0) >= 0) return null;
    const lo = (g: number): string | null => (g === 0 ? null : ranged[g].range!.min);
    const hi = (g: number): string | null => (g === ranged.length - 1 ? null : ranged[g + 1].range!.min);
    // each keyed table's files per partition: those whose key range meets the partition's
    const filesFor = new Map<number, DataFile[][]>();
    for (const [i, key] of keyed) {
      if (i === big) {
        filesFor.set(i, ranged.map((r) => r.files));
        continue;
      }
      const all = filesOf(i);
      const per = ranged.map((_, g) =>
        all.filter((f) => {
          const st = statsOf(f, key);
          if (!st) return true;
          const l = lo(g);
          const h = hi(g);
          return (l === null || (compareNumbers(st.max, l) ?? 1) >= 0) && (h === null || (compareNumbers(st.min, h) ?? -1) < 0);
        }),
      );
      const read = per.reduce((n, fs) => n + fs.reduce((m, f) => m + f.bytes, 0), 0);
      const once = all.reduce((n, f) => n + f.bytes, 0);
      if (read > once * 1.5 + (1 << 20)) return null; // not laid out by this key: shuffle instead
      filesFor.set(i, per.map((fs) => (fs.length > 0 ? fs : [all[0]])));
    }
    // rows with a NULL key belong to the first range, wherever their file's key range lies: the first
    // partition also reads every file that may hold NULL keys (its other rows fall outside its range)
    for (const [i, key] of keyed) {
      const per = filesFor.get(i) as DataFile[][];
      const first = new Set(per[0].map((f) => f.path));
      const nulls = filesOf(i).filter((f) => !first.has(f.path) && nullCountOf(f, key) !== 0);
      if (nulls.length > 0) filesFor.set(i, [[...per[0], ...nulls], ...per.slice(1)]);
    }
    const stageId = 's0';
    const fragments: Fragment[] = await Promise.all(ranged.map(async (_, g) => {
      const node = clone(fragmentNode);
      const refs = baseTables(node);
      const inputs: FragmentInput[] = [];
      for (const [position, ref] of refs.entries()) {
        const i = order[position];
        const occ = occurrences[i];
        let scan: Node;
        let files: DataFile[];
        const key = keyed.get(i);
        if (key !== undefined) {
          files = (filesFor.get(i) as DataFile[][])[g];
          const col = quoteIdent(key);
          const bounds = [lo(g) !== null ? `${col} >= ${lo(g)}` : null, hi(g) !== null ? `${col} < ${hi(g)}` : null].filter((b) => b !== null);
          // files wholly inside the range (and without NULL keys past the first range) need no filter:
          // a filter there costs DuckDB more than the rows it drops (it blocks its EXISTS/IN rewrites)
          const inside = files.every((f) => {
            const st = statsOf(f, key);
            const nulls = nullCountOf(f, key);
            return st !== null && (g === 0 || nulls === 0) &&
              (lo(g) === null || (compareNumbers(st.min, lo(g) as string) ?? -1) >= 0) &&
              (hi(g) === null || (compareNumbers(st.max, hi(g) as string) ?? 1) < 0);
          });
          const cond = bounds.length === 0 || inside ? null : g === 0 ? `(${bounds.join(' AND ')}) OR ${col} IS NULL` : bounds.join(' AND ');
          const inner = `SELECT * FROM ${tableScanSql(occ.table, files.map((f) => f.path))}${cond ? ` WHERE ${cond}` : ''}`;
          const parsed = (await parse(conn, `SELECT * FROM (${inner}) AS t`)) as ParsedStatement[];
          scan = { ...(parsed[0].node.from_table as Node), alias: occ.alias };
        } else {
          files = filesOf(i);
          scan = await scanNode(conn, occ.table, files.map((f) => f.path), occ.alias);
        }
        inputs.push(inputOf(occ, files.map((f) => f.path), files));
        for (const k of Object.keys(ref)) delete ref[k];
        Object.assign(ref, scan);
      }
      const splitName = `${occurrences[big].table.schema}.${occurrences[big].table.name}`;
      inputs.sort((a, b) => Number(b.table === splitName) - Number(a.table === splitName));
      return { id: `${stageId}f${g}`, stage: stageId, sql: await render(conn, { node }), inputs };
    }));
    const stage = keyedStage('co-partitioned', keyed, big, pruned, fragments);
    notes.push(
      `${note}: ` +
        [...keyed].map(([i, key]) => `${nameOf(i)} by ${key}`).join(', ') +
        ` split into ${ranged.length} key ranges from the files' statistics (no shuffle: each fragment reads the files of its range and keeps its rows); ${how}`,
    );
    broadcastNotes((i) => keyed.has(i), pruned);
    const mergeSql = merge ? await render(conn, { node: merge(stage.output) }) : null;
    return { kind: 'distributed', sql, stages: [stage], merge: mergeSql, notes, columns: described.names };
  }

  async function shuffleJoin(job: KeyedJob, instead: () => Promise<PlannedQuery | null>): Promise<PlannedQuery | null> {
    const { fragmentNode, merge, how, pruned, big, filesOf, keyed: shuffled, note } = job;
    // the fragment's table references, in the statement's order: the same tables may appear several
    // times with one alias (TPC-H Q17's two unaliased lineitem), so match them by position
    const order = baseTables(root).map((n) => occurrences.findIndex((o) => o.ref === n));
    const fragmentOrder = baseTables(fragmentNode);
    if (order.includes(-1) || fragmentOrder.length !== order.length ||
        fragmentOrder.some((n, i) => n.table_name !== occurrences[order[i]].ref.table_name || n.alias !== occurrences[order[i]].ref.alias)) {
      return null;
    }
    const ranged = await rangeJoin(job, order);
    if (ranged) return ranged;
    const other = await instead();
    if (other) return other;
    const scratch = opts.scratch as string;
    const partitions = fragmentsPerStage;
    const template = ((await parse(conn, `SELECT hash(CAST(x AS HUGEINT)) % ${partitions} AS ${PART_COLUMN}`)) as ParsedStatement[])[0].node;
    const stages: Stage[] = [];
    const directories = new Map<number, string>();
    for (const [i, key] of shuffled) {
      const occ = occurrences[i];
      const stageId = `r${stages.length}`;
      const directory = join(scratch, stageId);
      directories.set(i, directory);
      const part = clone((template.select_list as Node[])[0]);
      walk(part, (n) => {
        if (n.class === 'COLUMN_REF') n.column_names = [occ.alias, key];
        return undefined;
      });
      const cols = occ.columns === '*' ? [starNode()] : occ.columns.map((c) => columnRef(occ.alias, c));
      const fragments: Fragment[] = await Promise.all(groupFiles(filesOf(i), fragmentsPerStage).map(async (group, g) => {
        const scan = await scanNode(conn, occ.table, group.map((f) => f.path), occ.alias);
        const node = selectNode([...cols, part], scan, and(occ.filters.map((f) => clone(f))));
        return {
          id: `${stageId}f${g}`,
          stage: stageId,
          sql: await render(conn, { node }),
          inputs: [inputOf(occ, group.map((f) => f.path), group)],
          sink: { directory, column: PART_COLUMN, partitions },
        };
      }));
      stages.push({
        id: stageId,
        kind: 'repartition',
        table: `${occ.table.schema}.${occ.table.name}`,
        output: `${opts.prefix}_${stageId}`,
        fragments,
        pruning: pruned[i].report,
        pushed: { columns: occ.columns, filters: pruned[i].filters },
      });
    }
    const stageId = 's0';
    const fragments: Fragment[] = await Promise.all(Array.from({ length: partitions }, async (_, k) => {
      const node = clone(fragmentNode);
      const refs: Node[] = [];
      walk(node, (n) => {
        if (n.type === 'BASE_TABLE') refs.push(n);
        return undefined;
      });
      const inputs: FragmentInput[] = [];
      for (const [position, ref] of refs.entries()) {
        const i = order[position];
        const occ = occurrences[i];
        let scan: Node;
        const directory = directories.get(i);
        if (directory) {
          const glob = partitionGlob(directory, PART_COLUMN, k);
          const parsed = (await parse(conn, `SELECT * FROM read_parquet(${quoteLiteral(glob)}, hive_partitioning = false)`)) as ParsedStatement[];
          scan = { ...(parsed[0].node.from_table as Node), alias: occ.alias };
          const kept = pruned[i].report;
          inputs.push({ table: `${occ.table.schema}.${occ.table.name}`, format: 'parquet', files: [glob], bytes: Math.round(kept.bytesKept / partitions), rows: 0 });
        } else {
          const files = filesOf(i);
          scan = await scanNode(conn, occ.table, files.map((f) => f.path), occ.alias);
          inputs.push(inputOf(occ, files.map((f) => f.path), files));
        }
        for (const key of Object.keys(ref)) delete ref[key];
        Object.assign(ref, scan);
      }
      return { id: `${stageId}f${k}`, stage: stageId, sql: await render(conn, { node }), inputs };
    }));
    const joinStage: Stage = { ...keyedStage('shuffle-join', shuffled, big, pruned, fragments), dependsOn: stages.map((st) => st.id) };
    notes.push(
      `${note}: ` +
        [...shuffled].map(([i, key]) => `${nameOf(i)} by ${key}`).join(', ') +
        ` repartitioned into ${partitions} partitions (hash of the key), one join fragment per partition; ${how}`,
    );
    broadcastNotes((i) => shuffled.has(i), pruned);
    const mergeSql = merge ? await render(conn, { node: merge(joinStage.output) }) : null;
    return { kind: 'distributed', sql, stages: [...stages, joinStage], merge: mergeSql, notes, columns: described.names, scratch };
  }

  // the join may sit in a derived table the statement selects from (TPC-H Q7–Q9:
  // `SELECT …, sum(volume) FROM (SELECT … FROM a, b, c WHERE …) t GROUP BY …`): each of its rows
  // still comes from exactly one fragment when the derived table only filters and projects
  const joinNode = derivedJoin(root, aggregates) ?? root;
  // 0. a monostore: the one big executor runs the whole statement — joins, aggregation, the merge —
  //    over the pruned files of every table; its rows stream through in order
  /** The whole statement as one fragment over every table's pruned files; its rows stream through. */
  async function wholeStatement(note: string): Promise<PlannedQuery | null> {
    const refs = baseTables(root);
    const order = refs.map((n) => occurrences.findIndex((o) => o.ref === n));
    if (order.includes(-1)) return null;
    const pruned = await pruneAll();
    const node = clone(root);
    const inputs: FragmentInput[] = [];
    for (const [position, ref] of baseTables(node).entries()) {
      const i = order[position];
      const files = pruned[i].files.length > 0 ? pruned[i].files : [occurrences[i].table.files[0]];
      const scan = await scanNode(conn, occurrences[i].table, files.map((f) => f.path), occurrences[i].alias);
      inputs.push(inputOf(occurrences[i], files.map((f) => f.path), files));
      for (const k of Object.keys(ref)) delete ref[k];
      Object.assign(ref, scan);
    }
    const big = pruned.reduce((best, p, i) => (p.report.bytesKept > pruned[best].report.bytesKept ? i : best), 0);
    const stage: Stage = {
      id: 's0',
      kind: 'whole-statement',
      table: [...new Set(occurrences.map((_, i) => nameOf(i)))].join(', '),
      output: `${opts.prefix}_s0`,
      fragments: [{ id: 's0f0', stage: 's0', sql: await render(conn, { ...statement, node }), inputs }],
      pruning: pruned[big].report,
      pushed: { columns: occurrences[big].columns, filters: pruned[big].filters },
    };
    notes.push(note);
    return { kind: 'distributed', sql, stages: [stage], merge: null, notes, columns: described.names };
  }

  /** Compressed bytes of the columns the statement reads, over every reference's pruned files. */
  let bytesRead: Promise<number> | null = null;
  function columnBytes(): Promise<number> {
    bytesRead ??= sumColumnBytes();
    return bytesRead;
  }

  async function sumColumnBytes(): Promise<number> {
    const pruned = await pruneAll();
    let total = 0;
    for (const [i, occ] of occurrences.entries()) {
      for (const f of pruned[i].files) {
        const sizes = f.columnBytes;
        if (!sizes || occ.columns === '*') total += f.bytes;
        else for (const c of occ.columns) total += sizes[c] ?? f.bytes / Math.max(1, occ.table.columns.length);
      }
    }
    return total;
  }

  if (opts.wholeStatement && !hasParams) {
    const whole = await wholeStatement('monostore: the whole statement runs on the one big executor (joins, aggregation and the final merge); rows stream through');
    if (whole) return whole;
    notes.push('monostore: the statement names a table the executor does not have: planned as usual');
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
      notes.push(
        topN.keep === null
          ? 'one lake table with ORDER BY: fragments send their rows, the merge sorts them'
          : `one lake table with ORDER BY … LIMIT: each fragment keeps its top ${topN.keep} rows, the merge the overall top`,
      );
      return { kind: 'distributed', sql, stages: [stage], merge: await render(conn, { node: merge }), notes, columns: described.names };
    }
  }
  // 2b. one table, LIMIT without ORDER BY: each fragment stops after LIMIT + OFFSET rows, the merge
  //     takes the first ones in fragment (= file) order, as DuckDB's insertion-order-preserving scan would
  if (single && !hasParams && !isAggregateQuery(root, aggregates)) {
    const lim = limitOnlyShape(root);
    if (lim) {
      const stage = await buildStage(occurrences[0], 0, 'top-n', (scan) => ({ ...clone(root), from_table: scan, modifiers: [lim.fragment] }));
      const merge = selectNode([starNode()], { type: 'BASE_TABLE', alias: '', sample: null, schema_name: '', table_name: stage.output, column_name_alias: [], catalog_name: '', at_clause: null }, null);
      merge.modifiers = [lim.merge];
      notes.push(`one lake table with LIMIT and no ORDER BY: each fragment stops after ${lim.keep} rows, the merge keeps the first in file order`);
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
    if (partial && (await binds(conn, partial.fragment, resolveRef))) {
      const stage = await buildStage(occurrences[0], 0, 'partial-aggregate', (scan) => ({ ...clone(partial.fragment), from_table: scan }));
      const merge = clone(partial.merge);
      (merge.from_table as Node).table_name = stage.output;
      notes.push('one lake table with aggregates: partial aggregates on executors, combined in the merge');
      return { kind: 'distributed', sql, stages: [stage], merge: await render(conn, { node: merge }), notes, columns: described.names };
    }
    notes.push('aggregates outside the partial-aggregation pattern: gather');
  }
  // 3b. a statement of several tables that reads little (its columns' compressed bytes): one
  //     fragment runs it whole — cutting it up would cost more in fragments, waves and shipped rows
  //     than the parallel scan saves
  const smallStatement = opts.smallStatementBytes ?? SMALL_STATEMENT_BYTES;
  if (occurrences.length > 1 && !hasParams && smallStatement > 0) {
    const bytes = await columnBytes();
    if (bytes <= smallStatement) {
      const whole = await wholeStatement(`a small statement (${(bytes / (1 << 20)).toFixed(1)} MiB of the columns it reads): one fragment runs it whole; rows stream through`);
      if (whole) return whole;
    }
  }
  // 4. lake tables joined by inner joins, no subqueries: the largest table's files are split across
  //    fragments and every fragment reads the other tables whole (a broadcast join), running the join
  //    itself; each joined row comes from exactly one fragment, so the fragments' rows are combined
  //    like one table's: streamed through, top-N, or partially aggregated
  if (
    occurrences.length > 1 &&
    !hasParams &&
    innerJoinOfLakeTables(joinNode, occurrences) &&
    (root.cte_map as { map: unknown[] }).map.length === 0 &&
    !root.qualify &&
    !root.sample &&
    !contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW')
  ) {
    const join = await broadcastJoin();
    if (join) return join;
    notes.push('a join outside the broadcast pattern: gather');
  }
  // 4b. a statement whose every combination of rows shares one join key's value — joins, correlated
  //     subqueries, IN lists, groups (key-partition.ts): the tables of that key are repartitioned by
  //     it and each partition runs the whole statement; small tables are read whole by each
  if (
    opts.scratch &&
    !hasParams &&
    root.type === 'SELECT_NODE' &&
    (root.cte_map as { map: unknown[] }).map.length === 0 &&
    !root.qualify &&
    !root.sample &&
    !contains(root, (n) => n.class === 'WINDOW')
  ) {
    const pruned = await pruneAll();
    const limit = opts.broadcastLimitBytes ?? DEFAULT_BROADCAST_LIMIT;
    const typeOf = (i: number, col: string): string =>
      occurrences[i].table.columns.find((c) => c.name.toLowerCase() === col.toLowerCase())?.type ?? '';
    const keys = keyPartition(
      root,
      occurrences,
      aggregates,
      (i) => pruned[i].report.bytesKept,
      (i) => pruned[i].report.bytesKept <= limit,
      (i, col) => INTEGER_KEY.test(typeOf(i, col)) && carriedTypes(occurrences[i]).every((t) => SHUFFLE_SAFE.test(t)),
    );
    const shape = keys ? await combineShape(true) : null;
    if (keys && shape) {
      const filesOf = (i: number): DataFile[] => (pruned[i].files.length > 0 ? pruned[i].files : [occurrences[i].table.files[0]]);
      const big = [...keys.keys()].reduce((best, i) => (pruned[i].report.bytesKept > pruned[best].report.bytesKept ? i : best));
      const note = 'every row combination shares one key (joins, correlated subqueries, IN lists and groups by it)';
      // key ranges need no shuffle; a semi-join reduction beats shuffling whole tables
      const planned = await shuffleJoin({ ...shape, pruned, big, filesOf, keyed: keys, note }, async () => {
        const reduce = hasParams ? null : await chooseReductions();
        if (reduce) return gather(reduce);
        // writing and reading shuffle files costs more than one executor reading a modest input
        if (smallStatement > 0) {
          const bytes = await columnBytes();
          if (bytes <= (opts.broadcastLimitBytes ?? DEFAULT_BROADCAST_LIMIT)) {
            return wholeStatement(`every row combination shares one key, but a repartition costs more than one fragment reading ${(bytes / (1 << 20)).toFixed(1)} MiB of columns: one fragment runs it whole; rows stream through`);
          }
        }
        return null;
      });
      if (planned) return planned;
    }
    if (keys) notes.push('partitioned by a key, but the top level does not combine: gather');
  }
  // 5. gather: each table reference becomes a scan with its columns and filters pushed down; the
  //    statement itself runs in the merge over the gathered rows — large tables cut down by the
  //    values of small, selectively filtered ones when they join them (semi-join reduction)
  return gather(hasParams ? null : await chooseReductions());
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

/** A file's NULL count for `key` from its statistics; null when unknown. */
function nullCountOf(f: DataFile, key: string): number | null {
  const s = Object.entries(f.columns).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  return s && s.nullCount !== null && s.nullCount !== undefined ? s.nullCount : null;
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

/**
 * The SELECT of a derived table that is the statement's only FROM item, when it only filters and
 * projects (no aggregates, DISTINCT, ORDER/LIMIT, QUALIFY, SAMPLE or CTEs of its own); else null.
 */
function derivedJoin(root: Node, aggregates: ReadonlySet<string>): Node | null {
  if (root.type !== 'SELECT_NODE') return null;
  const from = root.from_table as Node | null;
  if (!from || from.type !== 'SUBQUERY' || from.sample) return null;
  const inner = (from.subquery as Node | undefined)?.node as Node | undefined;
  if (!inner || inner.type !== 'SELECT_NODE') return null;
  if ((inner.modifiers as Node[]).length > 0 || inner.qualify || inner.sample) return null;
  if ((inner.cte_map as { map: unknown[] }).map.length > 0 || isAggregateQuery(inner, aggregates)) return null;
  return inner;
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
  /** null: ORDER BY without LIMIT (the merge sorts every row). */
  limit: number | null;
  offset: number;
  keep: number | null;
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
function topNShape(root: Node, whereSubqueries = false): TopN | null {
  if (root.qualify || root.sample || (root.cte_map as { map: unknown[] }).map.length > 0) return null;
  if (contains(root, (n) => n.class === 'WINDOW')) return null;
  // subqueries of the select list or ORDER BY would run in the merge, which has no lake tables
  if (contains(whereSubqueries ? [root.select_list, root.modifiers] : root, (n) => n.class === 'SUBQUERY')) return null;
  const mods = root.modifiers as Node[];
  const order = mods.find((m) => m.type === 'ORDER_MODIFIER');
  const limitMod = mods.find((m) => m.type === 'LIMIT_MODIFIER');
  if (!order || (limitMod ? mods.length !== 2 : mods.length !== 1)) return null;
  // ORDER BY alone: fragments send every row unsorted, the merge sorts
  const limit = limitMod ? intValue(limitMod.limit as Node) : null;
  const offset = limitMod?.offset ? intValue(limitMod.offset as Node) : 0;
  if ((limitMod && limit === null) || offset === null) return null;
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
  if (limit === null) return { fragmentModifiers: [], orders, limit: null, offset: 0, keep: null };
  const keep = limit + offset;
  return {
    fragmentModifiers: [clone(order), { type: 'LIMIT_MODIFIER', limit: intConstant(keep), offset: null }],
    orders,
    limit,
    offset,
    keep,
  };
}

/** LIMIT n [OFFSET m] alone (no ORDER BY, DISTINCT, window or subquery): the fragment and merge modifiers. */
function limitOnlyShape(root: Node): { fragment: Node; merge: Node; keep: number } | null {
  if (root.qualify || root.sample || (root.cte_map as { map: unknown[] }).map.length > 0) return null;
  if (contains(root, (n) => n.class === 'SUBQUERY' || n.class === 'WINDOW')) return null;
  const mods = root.modifiers as Node[];
  if (mods.length !== 1 || mods[0].type !== 'LIMIT_MODIFIER') return null;
  const limit = intValue(mods[0].limit as Node);
  const offset = mods[0].offset ? intValue(mods[0].offset as Node) : 0;
  if (limit === null || offset === null) return null;
  return {
    fragment: { type: 'LIMIT_MODIFIER', limit: intConstant(limit + offset), offset: null },
    merge: { type: 'LIMIT_MODIFIER', limit: intConstant(limit), offset: offset > 0 ? intConstant(offset) : null },
    keep: limit + offset,
  };
}

function topNMerge(input: string, t: TopN): Node {
  const star: Node = { class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] };
  const node = selectNode([star], { type: 'BASE_TABLE', alias: '', sample: null, schema_name: '', table_name: input, column_name_alias: [], catalog_name: '', at_clause: null }, null);
  node.modifiers = [
    { type: 'ORDER_MODIFIER', orders: t.orders },
    ...(t.limit === null ? [] : [{ type: 'LIMIT_MODIFIER', limit: intConstant(t.limit), offset: t.offset > 0 ? intConstant(t.offset) : null }]),
  ];
  return node;
}

/** The BASE_TABLE nodes below `node`, depth first. */
function baseTables(node: Node): Node[] {
  const out: Node[] = [];
  walk(node, (n) => {
    if (n.type === 'BASE_TABLE') out.push(n);
    return undefined;
  });
  return out;
}

function starNode(): Node {
  return { class: 'STAR', type: 'STAR', alias: '', relation_name: '', exclude_list: [], replace_list: [], columns: false, expr: null, qualified_exclude_list: [], rename_list: [] };
}

function inputOf(occ: Occurrence, paths: string[], files: readonly DataFile[]): FragmentInput {
  return {
    table: `${occ.table.schema}.${occ.table.name}`,
    format: occ.table.format,
    files: tableScanFiles(occ.table, paths),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    rows: files.reduce((n, f) => n + f.rows, 0),
  };
}

function booleanTrue(): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: true } };
}

function falseConstant(): Node {
  return { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: false } };
}

export { isNode };
