// A distributed plan is plain data: stages of fragments (SQL that executors run over named files),
// and the merge the coordinator runs over the stages' results. It can be printed (EXPLAIN),
// serialised, signed fragment by fragment, and compared in tests.
import { join } from 'node:path';
import { FileFormat } from '../catalog/catalog';

/** Files one fragment reads, as the planner chose them. */
export interface FragmentInput {
  table: string;
  format: FileFormat;
  files: readonly string[];
  bytes: number;
  rows: number;
}

/**
 * Where a repartition fragment writes its rows instead of answering them: Parquet files under
 * `<directory>/f-<fragment id>/<column>=<k>/` for every k in [0, partitions) — a partition without
 * rows still gets an empty file, so readers of partition k always find one. The fragment answers one
 * row, the number of rows written. Writing goes to a private directory renamed into place at the end,
 * so a retried fragment never leaves half its rows behind.
 */
export interface FragmentSink {
  directory: string;
  /** The output column holding the partition number (not written into the files). */
  column: string;
  partitions: number;
}

/** The committed directory of a repartition fragment's partitions. */
export function sinkDirectory(sink: FragmentSink, fragmentId: string): string {
  return join(sink.directory, `f-${fragmentId}`);
}

/** Glob of partition `k`'s files over every fragment of a repartition stage writing to `directory`. */
export function partitionGlob(directory: string, column: string, k: number): string {
  return join(directory, 'f-*', `${column}=${k}`, '*.parquet');
}

/** One unit of executor work: final SQL text (rendered by DuckDB from the planner's AST). */
export interface Fragment {
  id: string;
  /** The stage it belongs to; its results are that stage's output. */
  stage: string;
  sql: string;
  inputs: readonly FragmentInput[];
  /** Set on repartition fragments: write the rows to shared scratch files (see FragmentSink). */
  sink?: FragmentSink;
  /**
   * Run to the end before answering (a materialized DuckDB result: no round trip per chunk, full
   * chunks): set by the coordinator when the rows are loaded whole into the merge anyway. Otherwise
   * rows stream as DuckDB produces them.
   */
  materialize?: boolean;
}

/** Bytes of the files a fragment reads. */
export function fragmentBytes(f: Fragment): number {
  return f.inputs.reduce((s, i) => s + i.bytes, 0);
}

export type StageKind = 'scan' | 'partial-aggregate' | 'top-n' | 'broadcast-join' | 'repartition' | 'shuffle-join' | 'co-partitioned' | 'whole-statement';

export interface PruneReport {
  filesTotal: number;
  filesKept: number;
  bytesTotal: number;
  bytesKept: number;
  rowGroupsTotal: number;
  rowGroupsKept: number;
  /** Why files were dropped, e.g. "l_shipdate <= 1998-09-02 excludes 3 files (max > bound)". */
  reasons: readonly string[];
}

export interface Stage {
  id: string;
  kind: StageKind;
  table: string;
  /** Name the merge SQL uses for this stage's gathered rows. */
  output: string;
  fragments: readonly Fragment[];
  pruning: PruneReport;
  /** Filters and columns pushed into the scans, for EXPLAIN. */
  pushed: { columns: readonly string[] | '*'; filters: readonly string[] };
  /** Stages that must finish first (a shuffle join reads what its repartition stages wrote). */
  dependsOn?: readonly string[];
  /**
   * Semi-join reduction: before this stage runs, every fragment's SQL gets the distinct non-NULL
   * values of `column` in stage `stage`'s rows, comma-separated, as the string literal now reading
   * `'<placeholder>'` (NULL when there are none; '*' turns the filter off). That stage runs first.
   */
  reducers?: readonly { placeholder: string; stage: string; column: string }[];
}

export interface Plan {
  /** 'local': no lake table; the coordinator's DuckDB runs the statement as it is. */
  kind: 'local' | 'distributed';
  sql: string;
  stages: readonly Stage[];
  /**
   * SQL over the stages' outputs that gives the final answer; null when the single stage's rows
   * are the answer (streamed straight through).
   */
  merge: string | null;
  /** Why the planner chose this shape, for EXPLAIN. */
  notes: readonly string[];
  /** A scratch directory of this query's shuffle files, removed when the query ends. */
  scratch?: string;
}
