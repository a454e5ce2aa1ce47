// Per-file facts pruning needs, from the Delta log: row counts and column min/max/null counts from
// the `stats` JSON, partition values from `partitionValues`, all rendered by DuckDB as the VARCHAR
// of the typed value (as the rest of the catalog renders stats). Only bounds that are safe feed
// pruning: string max values that may be truncated, float maxima (NaN) and null counts a deletion
// vector may have changed are left unknown; timestamp maxima are widened over their millisecond.
import { DuckDBConnection, listValue, LIST, VARCHAR } from '@duckdb/node-api';
import { quoteLiteral } from '../../duckdb/sql';
import { ColumnStats } from '../catalog';
import { AddAction } from './log';
import { DeltaColumn } from './schema';

export interface FileStats {
  /** Rows after the deletion vector; 0 when the log has no numRecords. */
  rows: number;
  columns: Record<string, ColumnStats>;
}

/** Delta types whose JSON stats DuckDB casts back exactly (binary and timestamps with zones are skipped). */
const STATS_TYPES = /^(byte|short|integer|long|float|double|decimal\(\d+,\s*\d+\)|date|timestamp_ntz|string|boolean)$/;

/** A JSONPath member for a name: only plain names are used (others get no stats). */
const pathOf = (name: string): string | null => (/^[^"\\]+$/.test(name) ? `"${name}"` : null);

function boundSql(c: DeltaColumn, which: 'minValues' | 'maxValues', prefixLength: number): string {
  const p = pathOf(c.physical)!;
  const raw = `json_extract_string(s, ${quoteLiteral(`$.${which}.${p}`)})`;
  const v = `TRY_CAST(${raw} AS ${c.type})`;
  if (which === 'maxValues') {
    if (c.primitive === 'float' || c.primitive === 'double') return 'NULL'; // NaN sorts above any max the writer saw
    if (c.primitive === 'string') return `CASE WHEN length(${raw}) < ${prefixLength} THEN ${v} END::VARCHAR`;
    if (c.primitive === 'timestamp_ntz') return `TRY_CAST(${v} + INTERVAL 999 MICROSECOND AS VARCHAR)`;
  }
  return `${v}::VARCHAR`;
}

/**
 * Rows and column stats per file (same order as `files`). `dvRows` is each file's count of rows
 * deleted by its deletion vector (0 without one).
 */
export async function fileStats(
  conn: DuckDBConnection,
  files: readonly AddAction[],
  dvRows: readonly number[],
  columns: readonly DeltaColumn[],
  partitionColumns: ReadonlySet<string>,
  stringPrefixLength: number,
): Promise<FileStats[]> {
  const withStats = columns.filter((c) => !partitionColumns.has(c.name) && c.primitive && STATS_TYPES.test(c.primitive) && pathOf(c.physical));
  const texts = files.map((f) => (typeof f.stats === 'string' ? f.stats : f.stats_parsed ? JSON.stringify(f.stats_parsed) : null));
  const select = withStats.flatMap((c) => [
    boundSql(c, 'minValues', stringPrefixLength),
    boundSql(c, 'maxValues', stringPrefixLength),
    `TRY_CAST(json_extract(s, ${quoteLiteral(`$.nullCount.${pathOf(c.physical)}`)}) AS BIGINT)`,
  ]);
  const sql = `SELECT TRY_CAST(json_extract(s, '$.numRecords') AS BIGINT), coalesce(TRY_CAST(json_extract(s, '$.tightBounds') AS BOOLEAN), true)
      ${select.map((e) => `, ${e}`).join('')}
    FROM (SELECT unnest(range(len($1::VARCHAR[]))) AS i, unnest($1::VARCHAR[]) AS s) ORDER BY i`;
  const rows = (await conn.runAndReadAll(sql, [listValue(texts)], { 1: LIST(VARCHAR) })).getRowsJS() as unknown[][];
  return rows.map((r, i) => {
    const records = r[0] === null ? null : Number(r[0]);
    const tight = r[1] === true && dvRows[i] === 0;
    const live = records === null ? 0 : records - dvRows[i];
    const out: Record<string, ColumnStats> = {};
    withStats.forEach((c, k) => {
      const [min, max, nulls] = r.slice(2 + 3 * k, 5 + 3 * k) as [string | null, string | null, bigint | null];
      let nullCount: number | null = nulls === null || records === null ? null : Number(nulls);
      // wide bounds (or deleted rows) keep only the two null counts that stay true: none, or all
      if (nullCount !== null && !tight) nullCount = nullCount === 0 ? 0 : nullCount === records ? live : null;
      if (min !== null || max !== null || nullCount !== null) out[c.name] = { min, max, nullCount };
    });
    return { rows: live, columns: out };
  });
}

/** Rendered partition values: for each file, logical column → DuckDB VARCHAR of the value (null = NULL). */
export async function partitionValues(
  conn: DuckDBConnection,
  files: readonly AddAction[],
  columns: readonly DeltaColumn[],
): Promise<{ values: Array<Record<string, string | null>>; bad: { file: number; column: string; raw: string } | null }> {
  const values = files.map(() => ({}) as Record<string, string | null>);
  if (columns.length === 0) return { values, bad: null };
  const raws: (string | null)[] = [];
  const kinds: string[] = [];
  const at: Array<[number, string]> = [];
  files.forEach((f, i) => {
    columns.forEach((c, k) => {
      let raw = f.partitionValues?.[c.physical] ?? null;
      if (raw === '') raw = null; // the protocol's spelling of a NULL partition
      // timestamps written without a zone are UTC (delta-rs, Spark with UTC sessions)
      if (raw !== null && c.primitive === 'timestamp' && !/(Z|[+-]\d{2}(:?\d{2})?)$/.test(raw)) raw = `${raw}+00:00`;
      raws.push(raw);
      kinds.push(String(k));
      at.push([i, c.name]);
    });
  });
  const cases = columns.map((c, k) => `WHEN ${k} THEN TRY_CAST(v AS ${c.type})::VARCHAR`).join(' ');
  const sql = `SELECT CASE k::INTEGER ${cases} END FROM (SELECT unnest(range(len($1::VARCHAR[]))) AS i, unnest($1::VARCHAR[]) AS v, unnest($2::VARCHAR[]) AS k) ORDER BY i`;
  const rows = (await conn.runAndReadAll(sql, [listValue(raws), listValue(kinds)], { 1: LIST(VARCHAR), 2: LIST(VARCHAR) })).getRowsJS() as [string | null][];
  let bad: { file: number; column: string; raw: string } | null = null;
  rows.forEach(([v], n) => {
    const [i, name] = at[n];
    if (v === null && raws[n] !== null) bad ??= { file: i, column: name, raw: raws[n] as string };
    values[i][name] = v;
  });
  return { values, bad };
}
