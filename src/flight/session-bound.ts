// Whether a session's own state keeps its queries on the coordinator. Executors run fragments with
// DuckDB's default settings and see none of a session's objects, so a session setting that changes
// answers (TimeZone, collation, NULL order, integer division…) or a temporary table, view or macro
// (which may also shadow a lake table's name) would give another answer there than single-node.
import { CallContext } from './context';
import { CATALOG, SCHEMA } from './sessions';

/**
 * Session options that cannot change a query's result: the namespace (the planner resolves names
 * on a connection set up for the session) and settings about speed, progress and error format.
 */
const NEUTRAL = new Set(
  [CATALOG, SCHEMA, 'search_path', 'preserve_insertion_order', 'max_expression_depth', 'ordered_aggregate_threshold', 'enable_progress_bar', 'errors_as_json'].map(
    (s) => s.toLowerCase(),
  ),
);

/** The reason the session's statements must run on the coordinator, or null when executors may run them. */
export function sessionBound(ctx: CallContext): string | null {
  const session = ctx.state.sessions.peek(ctx.principal);
  const setting = [...(session?.options.keys() ?? [])].find((k) => !NEUTRAL.has(k.toLowerCase()));
  if (setting !== undefined) return `the session sets ${setting}, which executors do not have`;
  // a session connection exists once the session created temporary objects (statements outside a
  // transaction that holds it do not see them either)
  if (!ctx.state.transactions.hasFreeSessionConnection(ctx.principal)) return null;
  return 'the session has temporary objects, which executors do not see';
}
