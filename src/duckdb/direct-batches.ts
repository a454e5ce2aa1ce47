// The fast path for flat results (numbers, dates, times, timestamps, booleans, strings, blobs):
// the IPC record batch header is computed from the DuckDB chunks and their vector memory is copied
// once, straight into the outgoing message. Other types take the general path (column-appenders).
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBDecimalType, DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { Message } from 'apache-arrow';
import {
  BufferRegion,
  FieldNode,
  RecordBatch as RecordBatchMeta,
} from 'apache-arrow/ipc/metadata/message';
import { decimalStorageWidth, FIXED_WIDTH } from './appender-factory';
import { copyStrings, stringLength } from './string-copy';
import { isValid, POPCOUNT } from './validity';

/** A record batch already in IPC form: header flatbuffer, body written on demand into a buffer. */
export interface EncodedBatch {
  readonly kind: 'encoded';
  numRows: number;
  header: Uint8Array;
  bodyLength: number;
  writeBody(out: Uint8Array, at: number): void;
}

export interface Piece {
  chunk: DuckDBDataChunk;
  start: number;
  count: number;
  bytes: number;
}

const STRINGS = new Set<DuckDBTypeId>([DuckDBTypeId.VARCHAR, DuckDBTypeId.BLOB, DuckDBTypeId.BIT, DuckDBTypeId.BIGNUM]);

export function canEncodeDirect(types: readonly DuckDBType[]): boolean {
  return types.every(
    (t) =>
      t.typeId === DuckDBTypeId.BOOLEAN ||
      t.typeId === DuckDBTypeId.DECIMAL ||
      STRINGS.has(t.typeId) ||
      (FIXED_WIDTH[t.typeId] !== undefined && t.typeId !== DuckDBTypeId.ENUM),
  );
}

function validCount(mask: Uint8Array, start: number, count: number): number {
  let valid = 0;
  let r = start;
  const end = start + count;
  while (r < end && (r & 7) !== 0) valid += (mask[r >> 3] >> (r++ & 7)) & 1;
  while (r + 8 <= end) {
    valid += POPCOUNT[mask[r >> 3]];
    r += 8;
  }
  while (r < end) valid += (mask[r >> 3] >> (r++ & 7)) & 1;
  return valid;
}

/** Copies validity bits of rows [start, start+count) to bit position `pos` of `out` (mask null = all valid). */
function copyBits(out: Uint8Array, base: number, pos: number, mask: Uint8Array | null, start: number, count: number): void {
  if ((pos & 7) === 0 && (start & 7) === 0) {
    const whole = count >> 3;
    if (mask === null) out.fill(0xff, base + (pos >> 3), base + (pos >> 3) + whole);
    else out.set(mask.subarray(start >> 3, (start >> 3) + whole), base + (pos >> 3));
    pos += whole << 3;
    start += whole << 3;
    count -= whole << 3;
  }
  for (let k = 0; k < count; k++, pos++) {
    const r = start + k;
    const bit = mask === null ? 1 : (mask[r >> 3] >> (r & 7)) & 1;
    const at = base + (pos >> 3);
    if (bit) out[at] |= 1 << (pos & 7);
    else out[at] &= ~(1 << (pos & 7));
  }
}

const align8 = (n: number): number => (n + 7) & ~7;

interface Part {
  mask: Uint8Array | null;
  data: Uint8Array;
  start: number;
  count: number;
}

interface Column {
  /** decimal: DuckDB's 2-, 4- or 8-byte integers widened to Arrow's 16 (wider ones are `fixed`) */
  kind: 'fixed' | 'bool' | 'string' | 'decimal';
  /** bytes per value in DuckDB's vector */
  width: number;
  parts: Part[];
  nulls: number;
  validity: BufferRegion;
  offsets: BufferRegion | null;
  data: BufferRegion;
  stringBytes: number;
}

function readParts(pieces: Piece[], c: number, width: number): Part[] {
  return pieces.map((p) => {
    const cap = p.chunk.rowCount;
    const vec = duckdb.data_chunk_get_vector(p.chunk.chunk, c);
    return {
      mask: duckdb.vector_get_validity(vec, ((cap + 63) >> 6) * 8),
      data: duckdb.vector_get_data(vec, cap * width),
      start: p.start,
      count: p.count,
    };
  });
}

export function encodeDirect(pieces: Piece[], types: readonly DuckDBType[]): EncodedBatch {
  const numRows = pieces.reduce((s, p) => s + p.count, 0);
  let offset = 0;
  const region = (length: number): BufferRegion => {
    const r = new BufferRegion(offset, length);
    offset += align8(length);
    return r;
  };
  const columns: Column[] = types.map((t, c) => {
    const decimalWidth = t.typeId === DuckDBTypeId.DECIMAL ? decimalStorageWidth((t as DuckDBDecimalType).width) : 0;
    const kind = t.typeId === DuckDBTypeId.BOOLEAN ? 'bool' : STRINGS.has(t.typeId) ? 'string' : decimalWidth > 0 && decimalWidth < 16 ? 'decimal' : 'fixed';
    const width = kind === 'bool' ? 1 : kind === 'string' ? 16 : decimalWidth || (FIXED_WIDTH[t.typeId] as number);
    const parts = readParts(pieces, c, width);
    let nulls = 0;
    let stringBytes = 0;
    for (const p of parts) {
      if (p.mask) nulls += p.count - validCount(p.mask, p.start, p.count);
      if (kind === 'string') {
        const view = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
        for (let r = p.start; r < p.start + p.count; r++) if (isValid(p.mask, r)) stringBytes += stringLength(view, r);
      }
    }
    const validity = region(nulls > 0 ? (numRows + 7) >> 3 : 0);
    const offsets = kind === 'string' ? region((numRows + 1) * 4) : null;
    const data = region(kind === 'bool' ? (numRows + 7) >> 3 : kind === 'string' ? stringBytes : numRows * (kind === 'decimal' ? 16 : width));
    return { kind, width, parts, nulls, validity, offsets, data, stringBytes };
  });
  const nodes = columns.map((c) => new FieldNode(numRows, c.nulls));
  const regions = columns.flatMap((c) => (c.offsets ? [c.validity, c.offsets, c.data] : [c.validity, c.data]));
  const bodyLength = offset;
  const header = Message.encode(Message.from(new RecordBatchMeta(numRows, nodes, regions, null), bodyLength));

  return {
    kind: 'encoded',
    numRows,
    header,
    bodyLength,
    writeBody(out: Uint8Array, at: number): void {
      // `pieces` holds the chunks whose memory the column views point into: keep them alive until here
      if (pieces.length === 0 && numRows > 0) throw new Error('chunks released');
      // `out` may be a reused buffer: clear what is OR-ed into (bitmaps) and the alignment padding
      for (const r of regions) out.fill(0, at + r.offset + r.length, at + align8(r.offset + r.length));
      for (const col of columns) {
        if (col.nulls > 0) out.fill(0, at + col.validity.offset, at + col.validity.offset + col.validity.length);
        if (col.kind === 'bool') out.fill(0, at + col.data.offset, at + col.data.offset + col.data.length);
        writeColumn(out, at, col);
      }
    },
  };
}

function writeColumn(out: Uint8Array, at: number, col: Column): void {
  let pos = 0;
  const vBase = at + col.validity.offset;
  const dBase = at + col.data.offset;
  const oView = col.offsets ? new DataView(out.buffer, out.byteOffset + at + col.offsets.offset, col.offsets.length) : null;
  let strAt = 0;
  for (const p of col.parts) {
    if (col.nulls > 0) copyBits(out, vBase, pos, p.mask, p.start, p.count);
    if (col.kind === 'fixed') {
      out.set(p.data.subarray(p.start * col.width, (p.start + p.count) * col.width), dBase + pos * col.width);
    } else if (col.kind === 'decimal') {
      widenDecimals(p.data, col.width, p.start, p.count, out, dBase + pos * 16);
    } else if (col.kind === 'bool') {
      for (let k = 0; k < p.count; k++) {
        if (p.data[p.start + k]) out[dBase + ((pos + k) >> 3)] |= 1 << ((pos + k) & 7);
      }
    } else {
      const view = new DataView(p.data.buffer, p.data.byteOffset, p.data.byteLength);
      const dest = new Int32Array(p.count);
      for (let k = 0; k < p.count; k++) {
        const r = p.start + k;
        (oView as DataView).setInt32((pos + k) * 4, strAt, true);
        if (!isValid(p.mask, r)) {
          dest[k] = -1;
          continue;
        }
        dest[k] = strAt;
        strAt += stringLength(view, r);
      }
      copyStrings(p.data, p.start, null, dest, p.count, out, dBase);
    }
    pos += p.count;
  }
  if (oView) oView.setInt32(pos * 4, strAt, true);
}

let wide = new Int32Array(2048 * 4);

/**
 * Writes `count` DuckDB decimals (little-endian integers of `width` bytes, from row `start`) as
 * Arrow's 128-bit two's complement, 16 bytes each, at `out[at]`: sign-extended into an aligned
 * scratch array, then copied (`out` is a gRPC message at any offset).
 */
function widenDecimals(src: Uint8Array, width: number, start: number, count: number, out: Uint8Array, at: number): void {
  if (wide.length < count * 4) wide = new Int32Array(count * 4);
  const w = wide;
  const aligned = src.byteOffset % width === 0;
  if (width === 8 && aligned) {
    const s = new Int32Array(src.buffer, src.byteOffset + start * 8, count * 2);
    for (let k = 0, j = 0; k < count; k++, j += 4) {
      const hi = s[2 * k + 1];
      w[j] = s[2 * k];
      w[j + 1] = hi;
      w[j + 2] = w[j + 3] = hi >> 31;
    }
  } else if (width === 4 && aligned) {
    const s = new Int32Array(src.buffer, src.byteOffset + start * 4, count);
    for (let k = 0, j = 0; k < count; k++, j += 4) {
      const v = s[k];
      w[j] = v;
      w[j + 1] = w[j + 2] = w[j + 3] = v >> 31;
    }
  } else {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let k = 0, j = 0; k < count; k++, j += 4) {
      const r = start + k;
      const lo = width === 2 ? view.getInt16(r * 2, true) : width === 4 ? view.getInt32(r * 4, true) : view.getInt32(r * 8, true);
      const hi = width === 8 ? view.getInt32(r * 8 + 4, true) : lo >> 31;
      w[j] = lo;
      w[j + 1] = hi;
      w[j + 2] = w[j + 3] = hi >> 31;
    }
  }
  out.set(new Uint8Array(w.buffer, 0, count * 16), at);
}
