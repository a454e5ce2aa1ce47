// EXPLAIN of a distributed plan: the stages with their fragments, the files and bytes each reads,
// what pruning kept and why, what was pushed into the scans, the merge, and a Mermaid picture.
// Rows are (explain_key, explain_value), the shape of DuckDB's own EXPLAIN.
import { Plan, Stage } from './plan';

function mb(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function stageText(s: Stage): string {
  const p = s.pruning;
  const lines = [
    `stage ${s.id} (${s.kind}) over ${s.table} → ${s.output}`,
    `  files: ${p.filesKept} of ${p.filesTotal} kept, ${mb(p.bytesKept)} of ${mb(p.bytesTotal)}; row groups ${p.rowGroupsKept} of ${p.rowGroupsTotal} may match`,
    ...p.reasons.map((r) => `  pruned: ${r}`),
    `  columns: ${s.pushed.columns === '*' ? '*' : s.pushed.columns.join(', ') || '(none: row count only)'}`,
    `  filters pushed: ${s.pushed.filters.length > 0 ? s.pushed.filters.join(' AND ') : '(none)'}`,
  ];
  const sink = s.fragments[0]?.sink;
  if (sink) lines.push(`  writes its rows into ${sink.partitions} partitions by ${s.kind === 'repartition' ? 'hash of the join key' : sink.column} (shuffle files, not shipped to the coordinator)`);
  if (s.dependsOn && s.dependsOn.length > 0) lines.push(`  runs after ${s.dependsOn.join(', ')}: fragment k joins partition k of their shuffle files`);
  for (const r of s.reducers ?? []) {
    lines.push(`  runs after ${r.stage}: '${r.placeholder}' becomes the distinct ${r.column} values of ${r.stage}'s rows (semi-join reduction)`);
  }
  for (const f of s.fragments) {
    const input = f.inputs[0];
    lines.push(`  fragment ${f.id}: ${input.files.length} file(s), ${mb(input.bytes)}, ${input.rows} rows`);
    lines.push(`    ${f.sql.length > 400 ? `${f.sql.slice(0, 400)}…` : f.sql}`);
  }
  return lines.join('\n');
}

function mermaid(plan: Plan): string {
  const lines = ['flowchart BT'];
  const merge = plan.merge === null ? 'client' : 'merge';
  lines.push(plan.merge === null ? '  client["rows stream to the client"]' : '  merge["merge on the coordinator"] --> client["client"]');
  const consumer = new Map(plan.stages.flatMap((s) => (s.dependsOn ?? []).map((d) => [d, s.id] as const)));
  for (const s of plan.stages) {
    const p = s.pruning;
    lines.push(`  ${s.id}["${s.id}: ${s.kind} ${s.table}<br/>${p.filesKept}/${p.filesTotal} files, ${mb(p.bytesKept)}"] --> ${consumer.get(s.id) ?? merge}`);
    for (const f of s.fragments) lines.push(`  ${f.id}(["${f.id}: ${f.inputs[0].files.length} file(s)"]) --> ${s.id}`);
  }
  return lines.join('\n');
}

export function explainRows(plan: Plan): Array<[string, string]> {
  const rows: Array<[string, string]> = [['plan', plan.notes.join('\n')]];
  for (const s of plan.stages) rows.push([`stage ${s.id}`, stageText(s)]);
  rows.push(['merge', plan.merge ?? '(none: fragment rows are the answer)']);
  rows.push(['mermaid', mermaid(plan)]);
  return rows;
}
