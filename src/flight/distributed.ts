// Queries over lake tables, when executors are configured: planned (src/planner), run on the
// executors with the merge on the coordinator (src/executors/run-plan.ts), and EXPLAIN of such a
// query answered with the distributed plan. Everything else runs on the coordinator's DuckDB.
import { randomBytes } from 'node:crypto';
import * as A from 'apache-arrow';
import { runPlan } from '../executors/run-plan';
import { explainRows } from '../planner/explain';
import { planQuery } from '../planner/planner';
import { leaseFor } from './connections';
import { BatchSource, CallContext, staticSource } from './context';
import { batchOptions } from './statements';

const EXPLAIN = /^\s*EXPLAIN\s+(?!ANALY[SZ]E\b)/i;

export const EXPLAIN_SCHEMA = new A.Schema([
  new A.Field('explain_key', new A.Utf8(), true),
  new A.Field('explain_value', new A.Utf8(), true),
]);

/**
 * Runs `text` distributed when it reads lake tables and executors exist; null means "run it on the
 * coordinator as usual" (no executors, no lake table, inside a transaction, or not a query).
 */
export async function runDistributed(
  ctx: CallContext,
  text: string,
  params: A.RecordBatch[] | null,
  transactionId: Uint8Array | null | undefined,
): Promise<BatchSource | null> {
  const { catalog, executors } = ctx.state;
  if (!catalog || !executors || executors.size === 0) return null;
  if (transactionId && transactionId.length > 0) return null;
  const explain = EXPLAIN.test(text);
  const query = explain ? text.replace(EXPLAIN, '') : text;
  const lease = await leaseFor(ctx, null, { fresh: true });
  let handedOver = false;
  try {
    const plan = await planQuery(lease.conn, catalog, query, {
      executors: executors.size,
      prefix: `__skein_${randomBytes(4).toString('hex')}`,
    });
    if (plan.kind === 'local') return null;
    if (explain) {
      const rows = explainRows(plan);
      const batch = new A.RecordBatch(EXPLAIN_SCHEMA, A.makeData({
        type: new A.Struct(EXPLAIN_SCHEMA.fields),
        length: rows.length,
        nullCount: 0,
        children: [
          A.vectorFromArray(rows.map((r) => r[0]), new A.Utf8()).data[0],
          A.vectorFromArray(rows.map((r) => r[1]), new A.Utf8()).data[0],
        ],
      }));
      return staticSource(EXPLAIN_SCHEMA, [batch]);
    }
    handedOver = true;
    const result = await runPlan(plan, executors, lease, { signal: ctx.signal, batch: batchOptions(ctx), params });
    return { schema: result.schema, batches: result.batches, interrupt: result.interrupt, close: result.close };
  } finally {
    if (!handedOver) lease.release();
  }
}
