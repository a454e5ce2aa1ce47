// Renders Arrow results for `skein query`: an aligned table, CSV, JSON lines, or raw Arrow IPC.
import * as A from 'apache-arrow';

/** Text for one cell, readable for every Arrow type DuckDB produces. */
export function cellText(v: unknown, type: A.DataType): string | null {
  if (v === null || v === undefined) return null;
  if (A.DataType.isTimestamp(type)) {
    const ms = Number(v);
    return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : String(v);
  }
  if (A.DataType.isDate(type)) return new Date(Number(v)).toISOString().slice(0, 10);
  if (A.DataType.isDecimal(type)) return decimalText(v as Uint32Array, type.scale);
  if (A.DataType.isBinary(type) && v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

function decimalText(words: Uint32Array, scale: number): string {
  let big = 0n;
  for (let i = words.length - 1; i >= 0; i--) big = (big << 32n) | BigInt(words[i]);
  big = BigInt.asIntN(words.length * 32, big);
  const neg = big < 0n;
  let digits = (neg ? -big : big).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return (neg ? '-' : '') + digits;
}

function rows(batch: A.RecordBatch): (string | null)[][] {
  const cols = batch.schema.fields.map((f, i) => ({ f, v: batch.getChildAt(i) as A.Vector }));
  const out: (string | null)[][] = [];
  for (let r = 0; r < batch.numRows; r++) out.push(cols.map(({ f, v }) => cellText(v.get(r), f.type)));
  return out;
}

export async function writeTable(reader: AsyncIterable<A.RecordBatch>, schema: A.Schema, out: NodeJS.WritableStream, maxRows = 1000): Promise<number> {
  const header = schema.fields.map((f) => f.name);
  const body: string[][] = [];
  let total = 0;
  for await (const b of reader) {
    for (const row of rows(b)) {
      if (body.length < maxRows) body.push(row.map((c) => c ?? 'NULL'));
      total++;
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  out.write(`${rule}\n${line(header)}\n${rule}\n`);
  for (const r of body) out.write(`${line(r)}\n`);
  out.write(`${rule}\n`);
  out.write(`${total} row${total === 1 ? '' : 's'}${total > body.length ? ` (${body.length} shown)` : ''}\n`);
  return total;
}

function csvCell(c: string | null): string {
  if (c === null) return '';
  return /[",\n\r]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}

export async function writeCsv(reader: AsyncIterable<A.RecordBatch>, schema: A.Schema, out: NodeJS.WritableStream): Promise<void> {
  out.write(`${schema.fields.map((f) => csvCell(f.name)).join(',')}\n`);
  for await (const b of reader) for (const r of rows(b)) out.write(`${r.map(csvCell).join(',')}\n`);
}

export async function writeJsonLines(reader: AsyncIterable<A.RecordBatch>, schema: A.Schema, out: NodeJS.WritableStream): Promise<void> {
  const names = schema.fields.map((f) => f.name);
  for await (const b of reader) {
    for (const r of rows(b)) out.write(`${JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]])))}\n`);
  }
}

export async function writeArrow(reader: AsyncIterable<A.RecordBatch>, schema: A.Schema, out: NodeJS.WritableStream): Promise<void> {
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  const sink = (async () => {
    for await (const chunk of writer) out.write(chunk);
  })();
  for await (const b of reader) writer.write(b);
  writer.finish();
  writer.close();
  await sink;
}
