// Writers that fill one DuckDB vector of a data chunk from Arrow arrays, for bulk ingest. Layouts
// that match (integers, floats, DATE, µs TIME, timestamps, DECIMAL(>18)) are copied as raw memory in
// one native call per column and chunk; the rest are converted into a scratch buffer first. Strings
// of up to 12 bytes are written inline; longer ones go through DuckDB's string heap one by one.
import { isUtf8 } from 'node:buffer';
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { InvalidArgumentError } from '../errors';
import { NullMask, validAt } from './chunk-mask';

export interface ColumnWriter {
  /** Starts a new chunk: `vec` is this column's vector in it, still empty. */
  begin(vec: duckdb.Vector): void;
  /** Appends rows [start, start+count) of `data` after the rows already written in this chunk. */
  write(data: A.Data, start: number, count: number): void;
  /** Makes an already written row NULL (the children of a NULL struct row are NULL too). */
  setNull(row: number): void;
  /** Copies what was kept on the JavaScript side (NULLs, list sizes) into the vector. */
  finish(): void;
  /** Rows written in this chunk. */
  readonly rows: number;
}

/** A writer that can also take rows by index (`-1` for NULL): the values of a dictionary. */
export interface GatherWriter extends ColumnWriter {
  gather(values: A.Data, idx: Int32Array, count: number): void;
}

export function malformed(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`malformed Arrow data: ${what}`);
}

/** Bytes of a typed array, checked to hold `needed` bytes so a native copy never reads past it. */
function bytesOf(values: ArrayBufferView | undefined, needed: number): Uint8Array {
  if (!values || values.byteLength < needed) throw malformed('a buffer is shorter than its row count needs');
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** A growable scratch buffer, reused from chunk to chunk. */
export class Scratch {
  private buf = new ArrayBuffer(1 << 15);
  get(bytes: number): ArrayBuffer {
    if (this.buf.byteLength < bytes) this.buf = new ArrayBuffer(Math.max(bytes, this.buf.byteLength * 2));
    return this.buf;
  }
}

export function copyInto(vec: duckdb.Vector, at: number, buf: ArrayBuffer, offset: number, bytes: number): void {
  if (bytes > 0) duckdb.copy_data_to_vector(vec, at, buf, offset, bytes);
}

export abstract class BaseWriter implements ColumnWriter {
  protected vec!: duckdb.Vector;
  protected pos = 0;
  protected readonly mask = new NullMask();

  begin(vec: duckdb.Vector): void {
    this.vec = vec;
    this.pos = 0;
    this.mask.reset();
  }

  get rows(): number {
    return this.pos;
  }

  write(data: A.Data, start: number, count: number): void {
    if (start + count > data.length) throw malformed('an array is shorter than its record batch');
    this.mask.copyFrom(data, start, count, this.pos);
    this.fill(data, start, count);
    this.pos += count;
  }

  setNull(row: number): void {
    this.mask.setNull(row);
  }

  finish(): void {
    this.mask.flush(this.vec, this.pos);
  }

  protected abstract fill(data: A.Data, start: number, count: number): void;
}

/** Values whose Arrow layout is DuckDB's: one memory copy. */
export class RawWriter extends BaseWriter implements GatherWriter {
  private readonly scratch = new Scratch();
  constructor(private readonly width: number) {
    super();
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const w = this.width;
    const src = bytesOf(data.values as ArrayBufferView, (start + count) * w);
    copyInto(this.vec, this.pos * w, src.buffer as ArrayBuffer, src.byteOffset + start * w, count * w);
  }

  gather(values: A.Data, idx: Int32Array, count: number): void {
    const w = this.width;
    const src = bytesOf(values.values as ArrayBufferView, values.length * w);
    const out = new Uint8Array(this.scratch.get(count * w), 0, count * w);
    for (let k = 0; k < count; k++) {
      const r = idx[k];
      if (r < 0 || !validAt(values, r)) {
        this.mask.setNull(this.pos + k);
        continue;
      }
      for (let b = 0, s = r * w, o = k * w; b < w; b++) out[o + b] = src[s + b];
    }
    copyInto(this.vec, this.pos * w, out.buffer as ArrayBuffer, 0, count * w);
    this.pos += count;
  }
}

/** Converts values into a scratch buffer of DuckDB's layout, then copies that. */
export type Convert = (data: A.Data, start: number, count: number, out: ArrayBuffer) => void;

export class ConvertWriter extends BaseWriter {
  private readonly scratch = new Scratch();
  constructor(
    private readonly width: number,
    private readonly convert: Convert,
  ) {
    super();
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const buf = this.scratch.get(count * this.width);
    this.convert(data, start, count, buf);
    copyInto(this.vec, this.pos * this.width, buf, 0, count * this.width);
  }
}

/** The Arrow Null type: every row NULL, nothing to copy. */
export class NullWriter extends BaseWriter {
  protected fill(): void {}
}

/** Arrow bits → DuckDB's one byte per BOOLEAN. */
export class BoolWriter extends BaseWriter {
  private readonly scratch = new Scratch();
  protected fill(data: A.Data, start: number, count: number): void {
    const src = bytesOf(data.values as ArrayBufferView, (start + count + 7) >> 3);
    const out = new Uint8Array(this.scratch.get(count), 0, count);
    for (let k = 0; k < count; k++) {
      const r = start + k;
      out[k] = (src[r >> 3] >> (r & 7)) & 1;
    }
    copyInto(this.vec, this.pos, out.buffer as ArrayBuffer, 0, count);
  }
}

const STRING_T = 16;
const INLINE = 12;
const validUtf8 = new WeakSet<A.Data>();

/** Offset `i` as a number (the Large types have 64-bit offsets). */
export function offsetAt(offsets: Int32Array | BigInt64Array, i: number): number {
  return typeof offsets[i] === 'bigint' ? Number(offsets[i]) : (offsets[i] as number);
}

/** VARCHAR and BLOB from Arrow (large) utf8/binary and fixed-size binary. */
export class StringWriter extends BaseWriter implements GatherWriter {
  private readonly scratch = new Scratch();
  private readonly long: number[] = [];
  constructor(
    private readonly utf8: boolean,
    /** byte width of a FixedSizeBinary; 0 for offset-based strings */
    private readonly fixedWidth = 0,
  ) {
    super();
  }

  private view(data: A.Data, rows: number): { values: Uint8Array; offsets: Int32Array | BigInt64Array | null } {
    if (this.fixedWidth > 0) return { values: bytesOf(data.values as ArrayBufferView, rows * this.fixedWidth), offsets: null };
    const offsets = data.valueOffsets as Int32Array | BigInt64Array | undefined;
    if (!offsets || offsets.length < rows + 1) throw malformed('string offsets are missing or short');
    const end = offsetAt(offsets, rows);
    const values = bytesOf(data.values as ArrayBufferView | undefined ?? new Uint8Array(0), end);
    return { values, offsets };
  }

  /** Arrow promises UTF-8 but nothing on the wire enforces it; DuckDB VARCHARs must be valid. */
  private checkUtf8(values: Uint8Array, offsets: Int32Array | BigInt64Array, start: number, count: number): void {
    const from = offsetAt(offsets, start);
    const to = offsetAt(offsets, start + count);
    let ok = isUtf8(values.subarray(from, to));
    // a valid whole can still be cut mid-character: no string may start on a continuation byte
    for (let k = 1; ok && k < count; k++) {
      const at = offsetAt(offsets, start + k);
      if (at < to && (values[at] & 0xc0) === 0x80) ok = false;
    }
    if (!ok) throw new InvalidArgumentError('malformed Arrow data: a utf8 column holds invalid UTF-8');
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const { values, offsets } = this.view(data, start + count);
    if (this.utf8 && offsets) this.checkUtf8(values, offsets, start, count);
    this.put(values, offsets, (k) => start + k, count);
  }

  gather(dict: A.Data, idx: Int32Array, count: number): void {
    const { values, offsets } = this.view(dict, dict.length);
    if (this.utf8 && offsets && !validUtf8.has(dict)) {
      this.checkUtf8(values, offsets, 0, dict.length);
      validUtf8.add(dict);
    }
    for (let k = 0; k < count; k++) {
      if (idx[k] < 0 || !validAt(dict, idx[k])) {
        this.mask.setNull(this.pos + k);
        idx[k] = -1;
      }
    }
    this.put(values, offsets, (k) => idx[k], count);
    this.pos += count;
  }

  /** Writes string_t values: length + inline bytes for short strings, the heap for long ones. */
  private put(values: Uint8Array, offsets: Int32Array | BigInt64Array | null, rowOf: (k: number) => number, count: number): void {
    const buf = this.scratch.get(count * STRING_T);
    const out = new Uint8Array(buf, 0, count * STRING_T);
    out.fill(0);
    const lens = new Uint32Array(buf, 0, count * 4);
    const long = this.long;
    long.length = 0;
    const fixed = this.fixedWidth;
    for (let k = 0; k < count; k++) {
      const r = rowOf(k);
      if (r < 0) continue;
      const a = offsets ? offsetAt(offsets, r) : r * fixed;
      const len = offsets ? offsetAt(offsets, r + 1) - a : fixed;
      if (len < 0 || a < 0 || a + len > values.length) throw malformed('string offsets out of range');
      if (len > INLINE) {
        long.push(k, a, len);
        continue;
      }
      lens[k * 4] = len;
      for (let b = 0, o = k * STRING_T + 4; b < len; b++) out[o + b] = values[a + b];
    }
    copyInto(this.vec, this.pos * STRING_T, buf, 0, count * STRING_T);
    for (let i = 0; i < long.length; i += 3) {
      duckdb.vector_assign_string_element_len(this.vec, this.pos + long[i], values.subarray(long[i + 1], long[i + 1] + long[i + 2]));
    }
  }
}
