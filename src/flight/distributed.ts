// Queries over lake tables, when executors are configured: planned (src/planner), run on the
// executors with the merge on the coordinator (src/executors/run-plan.ts), and EXPLAIN of such a
// query answered with the distributed plan. Everything else runs on the coordinator's DuckDB.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import { PlanStats, runPlan } from '../executors/run-plan';
import { explainRows } from '../planner/explain';
import { Catalog } from '../catalog/catalog';
import { PlanCache } from '../planner/plan-cache';
import { planQuery } from '../planner/planner';
import { leaseFor } from './connections';
import { sessionBound } from './session-bound';
import { BatchSource, CallContext, staticSource } from './context';
import { batchOptions } from './statements';
import { StatementFacts, trackExecutors } from './query-log';

const EXPLAIN = /^\s*EXPLAIN\s+(?!ANALY[SZ]E\b)/i;
const EXPLAIN_ANALYZE = /^\s*EXPLAIN\s+ANALY[SZ]E\s+/i;

/** Recent plans per catalog (plan-cache.ts). */
const planCaches = new WeakMap<Catalog, PlanCache>();

export const EXPLAIN_SCHEMA = new A.Schema([
  new A.Field('explain_key', new A.Utf8(), true),
  new A.Field('explain_value', new A.Utf8(), true),
]);

/**
 * Runs `text` distributed when it reads lake tables and executors exist; null means "run it on the
 * coordinator as usual" (no executors, no lake table, inside a transaction, session state the
 * executors lack, or not a query).
 */
export async function runDistributed(
  ctx: CallContext,
  text: string,
  params: A.RecordBatch[] | null,
  transactionId: Uint8Array | null | undefined,
  facts?: StatementFacts,
): Promise<BatchSource | null> {
  const { catalog, executors } = ctx.state;
  if (!catalog || !executors || executors.size === 0) return null;
  if (transactionId && transactionId.length > 0) return null;
  if (sessionBound(ctx) !== null) return null;
  const explain = EXPLAIN.test(text);
  const analyze = EXPLAIN_ANALYZE.test(text);
  const query = explain ? text.replace(EXPLAIN, '') : analyze ? text.replace(EXPLAIN_ANALYZE, '') : text;
  const lease = await leaseFor(ctx, null, { fresh: true });
  let handedOver = false;
  try {
    const planStarted = performance.now();
    const prefix = `__skein_${randomBytes(4).toString('hex')}`;
    const options = {
      executors: executors.size,
      prefix,
      scratch: executors.shuffle ? join(executors.shuffle.directory, prefix) : undefined,
      broadcastLimitBytes: executors.shuffle?.broadcastLimitBytes,
      wholeStatement: executors.monostore === true,
      smallStatementBytes: executors.smallStatementBytes,
    };
    let cache = planCaches.get(catalog);
    if (!cache) planCaches.set(catalog, (cache = new PlanCache()));
    const schema = String((await lease.conn.runAndReadAll('SELECT current_schema()')).getRows()[0][0]);
    const key = JSON.stringify([query, schema, options.executors, options.broadcastLimitBytes ?? null, options.wholeStatement, options.smallStatementBytes ?? null, options.scratch !== undefined]);
    let plan = await cache.get<Awaited<ReturnType<typeof planQuery>>>(key, catalog, prefix);
    if (!plan) {
      const recording = PlanCache.recording(catalog);
      plan = await planQuery(lease.conn, recording.catalog, query, { ...options, currentSchema: schema });
      cache.put(key, query, plan, prefix, recording.tables);
    }
    if (plan.kind === 'local') return null;
    const planMs = Number((performance.now() - planStarted).toFixed(1));
    if (explain) return staticSource(EXPLAIN_SCHEMA, [explainBatch(explainRows(plan))]);
    if (facts) facts.bytesScanned = plan.stages.reduce((n, st) => n + st.pruning.bytesKept, 0);
    const runner = facts ? trackExecutors(executors, facts.executors) : executors;
    handedOver = true;
    if (analyze) {
      // run it to the end, then report what it did
      const started = performance.now();
      const stats: PlanStats = { fragments: 0, rowsShipped: 0, arrowBytesShipped: 0 };
      const result = await runPlan(plan, runner, lease, { signal: ctx.signal, batch: batchOptions(ctx), params }, stats);
      let rows = 0;
      try {
        for await (const b of result.batches) rows += b.numRows;
      } finally {
        result.close();
      }
      const scanned = plan.stages.reduce((n, st) => n + st.pruning.bytesKept, 0);
      const elapsedMs = performance.now() - started;
      // the same figures as one JSON object, for tools (bench/, dashboards) instead of parsing the text
      const machine = {
        elapsedMs: Number(elapsedMs.toFixed(3)),
        resultRows: rows,
        fragments: stats.fragments,
        rowsShipped: stats.rowsShipped,
        arrowBytesShipped: stats.arrowBytesShipped,
        rowsShuffled: stats.rowsShuffled ?? 0,
        fileBytesScanned: scanned,
        filesKept: plan.stages.reduce((n, st) => n + st.pruning.filesKept, 0),
        filesTotal: plan.stages.reduce((n, st) => n + st.pruning.filesTotal, 0),
        stages: plan.stages.map((st) => ({ id: st.id, kind: st.kind, table: st.table, fragments: st.fragments.length })),
        cache: stats.cache ?? null,
        timings: { plan: planMs, ...stats.timings },
      };
      const t = machine.timings;
      const analyzed: Array<[string, string]> = [
        ['analyze', [
          `elapsed: ${elapsedMs.toFixed(1)} ms (after planning: ${planMs} ms)`,
          `time: ${t.dependencies ? `${t.dependencies} ms shuffle writes, ` : ''}${t.fragments} ms fragments, ` +
            `${t.load} ms loading their rows, ${t.merge} ms merge (rows streamed: the rest)`,
          `result rows: ${rows}`,
          `fragments run: ${stats.fragments}`,
          `rows shipped from executors: ${stats.rowsShipped}`,
          `Arrow bytes shipped: ${stats.arrowBytesShipped}`,
          `file bytes scanned: ${scanned}`,
          `shipped ÷ scanned: ${scanned > 0 ? (stats.arrowBytesShipped / scanned).toExponential(3) : 'n/a'}`,
          ...(stats.cache
            ? [`partition cache: ${stats.cache.hits} hits, ${stats.cache.misses} misses, ${stats.cache.bytesFetched} bytes fetched`]
            : []),
          ...(stats.rowsShuffled ? [`rows written to shuffle files: ${stats.rowsShuffled}`] : []),
        ].join('\n')],
        ['stats', JSON.stringify(machine)],
      ];
      return staticSource(EXPLAIN_SCHEMA, [explainBatch([...explainRows(plan), ...analyzed])]);
    }
    const result = await runPlan(plan, runner, lease, { signal: ctx.signal, batch: batchOptions(ctx), params });
    return { schema: result.schema, batches: result.batches, interrupt: result.interrupt, close: result.close };
  } finally {
    if (!handedOver) lease.release();
  }
}

function explainBatch(rows: Array<[string, string]>): A.RecordBatch {
  return new A.RecordBatch(
    EXPLAIN_SCHEMA,
    A.makeData({
      type: new A.Struct(EXPLAIN_SCHEMA.fields),
      length: rows.length,
      nullCount: 0,
      children: [
        A.vectorFromArray(rows.map((r) => r[0]), new A.Utf8()).data[0],
        A.vectorFromArray(rows.map((r) => r[1]), new A.Utf8()).data[0],
      ],
    }),
  );
}
