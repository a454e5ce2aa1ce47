// Runs a distributed plan: every stage's fragments go to the executors; a stream-through plan hands
// their rows straight on, otherwise each stage's rows are loaded into a temporary table on the
// coordinator's connection and the merge query runs over them there.
import { rmSync } from 'node:fs';
import * as A from 'apache-arrow';
import { ArrowAppender } from '../duckdb/arrow-appender';
import { duckdbTypeOfField, typeSql } from '../duckdb/arrow-import-types';
import { duckdbError } from '../duckdb/errors';
import { InternalError } from '../errors';
import { Lease } from '../duckdb/lease';
import { ResultBatch } from '../duckdb/record-batches';
import { quoteIdent } from '../duckdb/sql';
import { BatchOptions } from '../duckdb/record-batches';
import { startQuery } from '../duckdb/statement';
import { Fragment, fragmentBytes, Plan, Stage } from '../planner/plan';
import { addCacheStats, CacheStats } from '../store/partition-cache';

/** A finished fragment's rows (buffered, so a retried fragment never yields twice). */
export interface FragmentRows {
  fragment: Fragment;
  schema: A.Schema;
  batches: A.RecordBatch[];
  /** The executor's partition-cache report for the fragment, when it sent one. */
  cache?: CacheStats | null;
}

/** A finished fragment's rows, possibly still the IPC messages they came as (passed on unchanged). */
export interface WireRows extends Omit<FragmentRows, 'batches'> {
  batches: ResultBatch[];
}

/** What runs fragments: the executor pool (or anything that can). */
export interface FragmentScheduler {
  runAll(fragments: readonly Fragment[], signal: AbortSignal): AsyncIterable<FragmentRows>;
  /** The same with batches left in their wire form where they came over the network (optional). */
  runAllWire?(fragments: readonly Fragment[], signal: AbortSignal): AsyncIterable<WireRows>;
}

export interface PlanResult {
  schema: A.Schema;
  batches: AsyncIterable<ResultBatch>;
  interrupt(): void;
  close(): void;
}

/** What a plan's run did, for EXPLAIN ANALYZE and the query log. */
export interface PlanStats {
  fragments: number;
  rowsShipped: number;
  arrowBytesShipped: number;
  /** Rows repartition fragments wrote to shuffle files (not shipped to the coordinator). */
  rowsShuffled?: number;
  /** Partition-cache hits/misses/bytes fetched over every fragment (executors that report them). */
  cache?: CacheStats;
  /** Where the time went (ms): stages others depend on, the other fragments, loading their rows, the merge's start. */
  timings?: { dependencies: number; fragments: number; load: number; merge: number };
}

function countCache(stats: PlanStats, r: Pick<FragmentRows, 'cache'>): void {
  if (!r.cache) return;
  stats.cache ??= { hits: 0, misses: 0, bytesFetched: 0 };
  addCacheStats(stats.cache, r.cache);
}

/** The count a repartition fragment answers. */
function countOf(r: FragmentRows): number {
  const b = r.batches[0];
  return b && b.numRows > 0 ? Number(b.getChildAt(0)?.get(0) ?? 0) : 0;
}

function arrowBytes(b: ResultBatch): number {
  if (!(b instanceof A.RecordBatch)) return b.bodyLength;
  let n = 0;
  const visit = (d: A.Data): void => {
    for (const buf of [d.values, d.valueOffsets, d.nullBitmap, d.typeIds] as (ArrayBufferView | undefined)[]) {
      if (buf) n += buf.byteLength;
    }
    for (const c of d.children) visit(c);
  };
  visit(b.data);
  return n;
}

/**
 * Fragments of one stage must answer with one schema: batches of another shape would be read as if
 * they had the first's (garbage values, or a stream clients cannot decode), so that is an error.
 */
function checkSchema(expected: A.Schema, r: Pick<FragmentRows, 'schema' | 'fragment'>): void {
  const shape = (s: A.Schema): string => s.fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ');
  if (shape(r.schema) !== shape(expected)) {
    throw new InternalError(`fragment ${r.fragment.id} answered (${shape(r.schema)}) where its stage has (${shape(expected)})`);
  }
}

/**
 * Stream-through fragments reading at most this many file bytes are materialized on the executor
 * (their rows, at most their inputs' rows, are held there until sent); larger ones stream.
 */
const MATERIALIZE_MAX_INPUT_BYTES = 256 << 20;

/** More distinct values than this turn a semi-join reduction off ('*'): the list would cost more than it saves. */
const MAX_REDUCTION_VALUES = 200_000;

/**
 * The stage's fragments with its semi-join reductions filled in: each placeholder literal becomes
 * the distinct non-NULL integer values of the source stage's column, comma-separated (NULL: none).
 */
function withReductions(stage: Stage, byStage: ReadonlyMap<string, FragmentRows[]>, lists: Map<string, string>): Fragment[] {
  if (!stage.reducers || stage.reducers.length === 0) return [...stage.fragments];
  const values = stage.reducers.map((r) => ({ literal: `'${r.placeholder}'`, text: valueList(r.stage, r.column, stage.id, byStage, lists) }));
  return stage.fragments.map((f) => ({ ...f, sql: values.reduce((sql, v) => sql.split(v.literal).join(v.text), f.sql) }));
}

/** The SQL text of one stage column's distinct values (computed once per query: `lists`). */
function valueList(source: string, column: string, target: string, byStage: ReadonlyMap<string, FragmentRows[]>, lists: Map<string, string>): string {
  const key = `${source}\u0000${column}`;
  const known = lists.get(key);
  if (known !== undefined) return known;
  const seen = new Set<string>();
  for (const rows of byStage.get(source) ?? []) {
    for (const b of rows.batches) {
      const col = b.getChild(column);
      if (!col) throw new InternalError(`stage ${source} has no column ${column} to reduce ${target} by`);
      for (const v of col) {
        if (v === null || v === undefined) continue;
        const text = String(v);
        if (!/^-?\d+$/.test(text)) throw new InternalError(`stage ${source}'s ${column} holds a non-integer (${text.slice(0, 40)})`);
        seen.add(text);
      }
    }
  }
  const text = seen.size === 0 ? 'NULL' : seen.size > MAX_REDUCTION_VALUES ? `'*'` : `'${[...seen].join(',')}'`;
  lists.set(key, text);
  return text;
}

/** Loads a stage's rows into a temporary table named `name` on the lease's connection. */
async function loadStage(lease: Lease, name: string, results: FragmentRows[], stats: PlanStats): Promise<void> {
  const schema = results[0].schema;
  for (const r of results) checkSchema(schema, r);
  const types = schema.fields.map((f) => duckdbTypeOfField(f, quoteIdent(f.name)));
  const columns = schema.fields.map((f, i) => `${quoteIdent(f.name)} ${typeSql(types[i])}`).join(', ');
  await lease.conn.run(`CREATE OR REPLACE TEMPORARY TABLE ${quoteIdent(name)} (${columns})`);
  const appender = await lease.conn.createAppender(name, 'main', 'temp');
  try {
    const writer = new ArrowAppender(appender, schema.fields, schema.fields.map((_, i) => i), types);
    for (const r of results) {
      for (const b of r.batches) {
        writer.append(b);
        stats.rowsShipped += b.numRows;
        stats.arrowBytesShipped += arrowBytes(b);
      }
    }
    writer.finish();
  } finally {
    appender.closeSync();
  }
}

/**
 * Runs `plan` (distributed) and returns its result stream. `lease` is the coordinator connection the
 * merge runs on; it is released when the result is closed.
 */
export async function runPlan(
  plan: Plan,
  runner: FragmentScheduler,
  lease: Lease,
  opts: { signal: AbortSignal; batch: BatchOptions; params?: A.RecordBatch[] | null },
  stats: PlanStats = { fragments: 0, rowsShipped: 0, arrowBytesShipped: 0 },
): Promise<PlanResult> {
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  opts.signal.addEventListener('abort', stop, { once: true });
  stats.fragments = plan.stages.reduce((n, s) => n + s.fragments.length, 0);
  // stages others depend on (a shuffle's repartition stages) run to the end first; their rows are
  // in the scratch files, their answers only counts
  const needed = new Set(plan.stages.flatMap((s) => s.dependsOn ?? []));
  const before = plan.stages.filter((s) => needed.has(s.id));
  const stages = plan.stages.filter((s) => !needed.has(s.id));
  const all = stages.flatMap((s) => s.fragments);
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned || !plan.scratch) return;
    cleaned = true;
    rmSync(plan.scratch, { recursive: true, force: true });
  };
  const timings = { dependencies: 0, fragments: 0, load: 0, merge: 0 };
  stats.timings = timings;
  let mark = performance.now();
  const lap = (): number => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return Number(ms.toFixed(1));
  };
  try {
    if (before.length > 0) {
      for await (const r of runner.runAll(before.flatMap((s) => s.fragments), ac.signal)) {
        stats.rowsShuffled = (stats.rowsShuffled ?? 0) + countOf(r);
        countCache(stats, r);
      }
    }
    timings.dependencies = lap();
    if (plan.merge === null) {
      // stream through: one stage, rows as fragments finish
      lease.release();
      // a fragment over modest inputs runs to the end before answering: DuckDB hands a streamed
      // selective scan over in chunks of a few hundred rows, one round trip each (three times slower)
      const streamed = all.map((f) => (fragmentBytes(f) <= MATERIALIZE_MAX_INPUT_BYTES ? { ...f, materialize: true } : f));
      // their rows go to the client as they came from the executors, not loaded and re-encoded here
      const rows = runner.runAllWire ? runner.runAllWire(streamed, ac.signal) : runner.runAll(streamed, ac.signal);
      const iterator: AsyncIterator<WireRows> = rows[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw new Error('a plan without fragments');
      const schema = first.value.schema;
      const batches = (async function* (): AsyncGenerator<ResultBatch> {
        try {
          for (let r: IteratorResult<WireRows> = first; !r.done; r = await iterator.next()) {
            checkSchema(schema, r.value);
            countCache(stats, r.value);
            for (const b of r.value.batches) {
              stats.rowsShipped += b.numRows;
              stats.arrowBytesShipped += arrowBytes(b);
              yield b;
            }
          }
        } finally {
          await iterator.return?.();
          cleanup();
        }
      })();
      const close = (): void => {
        ac.abort();
        cleanup();
      };
      return { schema, batches, interrupt: () => ac.abort(), close };
    }
    const byStage = new Map<string, FragmentRows[]>();
    // in waves: a reduced stage runs once the stages it takes values from have answered
    let waiting = [...stages];
    const lists = new Map<string, string>();
    while (waiting.length > 0) {
      const ready = waiting.filter((s) => (s.reducers ?? []).every((r) => byStage.has(r.stage)));
      if (ready.length === 0) throw new InternalError(`stages ${waiting.map((s) => s.id).join(', ')} wait on each other`);
      waiting = waiting.filter((s) => !ready.includes(s));
      // their rows are loaded whole before the merge: nothing gained by streaming them
      const wave = ready.flatMap((s) => withReductions(s, byStage, lists)).map((f) => ({ ...f, materialize: true }));
      for await (const r of runner.runAll(wave, ac.signal)) {
        countCache(stats, r);
        const list = byStage.get(r.fragment.stage) ?? [];
        list.push(r);
        byStage.set(r.fragment.stage, list);
      }
    }
    cleanup();
    timings.fragments = lap();
    for (const s of stages) {
      const rows = byStage.get(s.id);
      if (!rows || rows.length === 0) throw new Error(`stage ${s.id} returned nothing`);
      // in the plan's fragment order, not the order they finished: the merge then sees the rows in
      // one order every time (row order decides LIMIT without ORDER BY, POSITIONAL JOIN, first(),
      // and the last bits of floating-point sums)
      const order = new Map(s.fragments.map((f, i) => [f.id, i]));
      rows.sort((a, b) => (order.get(a.fragment.id) ?? 0) - (order.get(b.fragment.id) ?? 0));
      await loadStage(lease, s.output, rows, stats);
    }
    timings.load = lap();
    const q = await startQuery(lease, plan.merge, { params: opts.params ?? null, signal: opts.signal, batch: opts.batch, materialize: true });
    timings.merge = lap();
    return {
      schema: q.schema,
      batches: q.batches(),
      interrupt: () => {
        ac.abort();
        q.interrupt();
      },
      close: () => q.close(),
    };
  } catch (e) {
    ac.abort();
    cleanup();
    lease.release();
    throw duckdbError(e);
  } finally {
    opts.signal.removeEventListener('abort', stop);
  }
}
