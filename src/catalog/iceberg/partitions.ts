// Partition tuples of data and delete files: which files a partition-scoped delete applies to
// (same spec, equal tuple), and the values pruning can use directly — identity partitions of a
// table column. Other transforms (year/month/day/hour/bucket/truncate) are checked to be known;
// for them pruning relies on the column bounds every file carries.
import { UnimplementedError } from '../../errors';
import { renderPartitionValue } from './bounds';
import { PartitionSpec } from './metadata';
import { Column } from './schema';

const TRANSFORM = /^(identity|year|month|day|hour|void|bucket\[\d+\]|truncate\[\d+\])$/;

export function checkSpecs(specs: readonly PartitionSpec[], table: string): void {
  for (const s of specs) {
    for (const f of s.fields) {
      if (!TRANSFORM.test(f.transform)) {
        throw new UnimplementedError(`iceberg table ${table}: partition transform ${f.transform} (field ${f.name}) is not supported`);
      }
    }
  }
}

/** A spec that partitions nothing (all its fields void, or none). */
export function unpartitioned(spec: PartitionSpec | undefined): boolean {
  return !spec || spec.fields.every((f) => f.transform === 'void');
}

/** A key equal for files of the same spec and partition tuple. */
export function partitionKey(specId: number, tuple: readonly unknown[]): string {
  return JSON.stringify([specId, ...tuple], (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') return `0x${Buffer.from((v as { data: number[] }).data).toString('hex')}`;
    return v;
  });
}

/** Identity partition values of the file, by current column name, as DuckDB renders them. */
export function identityValues(spec: PartitionSpec, tuple: readonly unknown[], columns: readonly Column[]): Record<string, string> {
  const out: Record<string, string> = {};
  spec.fields.forEach((f, i) => {
    if (f.transform !== 'identity') return;
    const col = columns.find((c) => c.id === f['source-id']);
    if (!col) return; // the source column was dropped
    const v = renderPartitionValue(tuple[i], col.iceberg);
    if (v !== null) out[col.name] = v;
  });
  return out;
}

/** Source columns whose identity partition value is NULL in this file (every row NULL there). */
export function identityNulls(spec: PartitionSpec, tuple: readonly unknown[], columns: readonly Column[]): string[] {
  const out: string[] = [];
  spec.fields.forEach((f, i) => {
    if (f.transform !== 'identity' || (tuple[i] !== null && tuple[i] !== undefined)) return;
    const col = columns.find((c) => c.id === f['source-id']);
    if (col) out.push(col.name);
  });
  return out;
}
