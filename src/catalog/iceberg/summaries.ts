// A manifest's partition summaries (the manifest list's lower/upper bound per partition field)
// as bounds of table columns, so filters can skip whole manifests. Only where exact: an identity
// partition bounds its column; year/month/day/hour bound a date or timestamp column from the start
// of the lowest unit to the last instant of the highest. bucket, truncate and void say nothing
// usable (a truncated string's bound is not the column's), so those columns stay unknown.
import { ColumnStats } from '../catalog';
import { renderBound, renderDate, renderTimestamp } from './bounds';
import { FieldSummary } from './manifests';
import { PartitionSpec } from './metadata';
import { Column } from './schema';

const DAY_MICROS = 86_400_000_000n;
const HOUR_MICROS = 3_600_000_000n;

/** A 4-byte (int, date) or 8-byte little-endian integer. */
function int(b: Buffer | null): number | null {
  if (!b) return null;
  if (b.length === 4) return b.readInt32LE(0);
  if (b.length === 8) return Number(b.readBigInt64LE(0));
  return null;
}

/** Days since 1970-01-01 of the first day of year/month number `n` since 1970 (n + 1 = the next unit's start). */
function daysOfUnit(unit: 'year' | 'month', n: number): number {
  const year = unit === 'year' ? 1970 + n : 1970 + Math.floor(n / 12);
  const month = unit === 'year' ? 0 : ((n % 12) + 12) % 12;
  return Math.round(Date.UTC(year, month, 1) / 86_400_000);
}

/** [first day, first day of the unit after the last] in days since the epoch, for a time transform. */
function dayRange(transform: string, lo: number, hi: number): [number, number] | null {
  switch (transform) {
    case 'year':
    case 'month':
      return [daysOfUnit(transform, lo), daysOfUnit(transform, hi + 1)];
    case 'day':
      return [lo, hi + 1];
  }
  return null;
}

/** Column min/max of the source column of a time transform, as DuckDB renders them; null when not exact. */
function timeBounds(transform: string, type: string, s: FieldSummary): [string, string] | null {
  const lo = int(s.lower);
  const hi = int(s.upper);
  if (lo === null || hi === null || lo > hi) return null;
  if (type === 'date') {
    const r = dayRange(transform, lo, hi);
    const min = r && renderDate(r[0]);
    const max = r && renderDate(r[1] - 1);
    return min && max ? [min, max] : null;
  }
  if (type !== 'timestamp') return null; // timestamptz: pruning compares no zoned values
  let start: bigint;
  let end: bigint; // exclusive
  if (transform === 'hour') {
    start = BigInt(lo) * HOUR_MICROS;
    end = BigInt(hi + 1) * HOUR_MICROS;
  } else {
    const r = dayRange(transform, lo, hi);
    if (!r) return null;
    start = BigInt(r[0]) * DAY_MICROS;
    end = BigInt(r[1]) * DAY_MICROS;
  }
  // the inclusive max is the last microsecond of the last unit (TIMESTAMP holds microseconds)
  const min = renderTimestamp(start);
  const max = renderTimestamp(end - 1n);
  return min && max ? [min, max] : null;
}

/**
 * Bounds of table columns over every row of a manifest written under `spec`, from its summaries,
 * by current column name (empty when nothing is known). nullCount is 0 when the summary says no
 * partition value is NULL (a NULL column gives a NULL partition value under these transforms),
 * else unknown; a pseudo row count must be given with it (see ColumnStats).
 */
export function manifestBounds(spec: PartitionSpec | undefined, summaries: readonly FieldSummary[] | null, columns: readonly Column[]): Record<string, ColumnStats> {
  const out: Record<string, ColumnStats> = {};
  if (!spec || !summaries || summaries.length !== spec.fields.length) return out;
  spec.fields.forEach((f, i) => {
    const col = columns.find((c) => c.id === f['source-id']);
    if (!col || typeof col.iceberg !== 'string' || out[col.name]) return; // a dropped column, or already bounded
    const s = summaries[i];
    let range: [string, string] | null = null;
    if (f.transform === 'identity') {
      if (col.iceberg === 'float' || col.iceberg === 'double') return; // NaN sorts differently in DuckDB
      const min = s.lower && renderBound(s.lower, col.iceberg);
      const max = s.upper && renderBound(s.upper, col.iceberg);
      range = min && max ? [min, max] : null;
    } else if (/^(year|month|day|hour)$/.test(f.transform)) {
      range = timeBounds(f.transform, col.iceberg, s);
    } else {
      return;
    }
    const nullCount = s.containsNull === false ? 0 : null;
    if (range || nullCount !== null) out[col.name] = { min: range?.[0] ?? null, max: range?.[1] ?? null, nullCount };
  });
  return out;
}
