// Copies DuckDB vectors into Arrow arrays for the general path: fixed-width columns as raw bytes
// from vector_get_data (DuckDB's layouts match Arrow's); strings, decimals, intervals, UUIDs and
// nested types value by value. Rows are a range of a vector or, under lists, a gather list.
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { DuckDBType, DuckDBVector } from '@duckdb/node-api';
import { copyStrings, stringLength } from './string-copy';
import { Grow, isValid, Rows, Validity } from './validity';

export interface Appender {
  /** `cap` is the number of rows the vector holds (its data size is cap × width). */
  append(vec: duckdb.Vector, cap: number, rows: Rows): void;
  finish(): A.Data;
}

/** Raw copy of fixed-width values (integers, floats, dates, times, timestamps, hugeint, enum indexes). */
export class FixedAppender implements Appender {
  private data: Grow;
  private v = new Validity();
  constructor(
    private readonly type: A.DataType,
    private readonly width: number,
    hint: number,
    private readonly dictionary?: A.Vector,
  ) {
    this.data = new Grow(hint * width);
  }
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const w = this.width;
    const src = duckdb.vector_get_data(vec, cap * w);
    this.v.append(vec, cap, rows);
    this.data.ensure(rows.count * w);
    const out = this.data.buf;
    let o = this.data.len;
    if (rows.idx === null) {
      out.set(src.subarray(rows.start * w, (rows.start + rows.count) * w), o);
    } else {
      for (let k = 0; k < rows.count; k++) {
        const s = rows.idx[k] * w;
        for (let b = 0; b < w; b++) out[o + b] = src[s + b];
        o += w;
      }
    }
    this.data.len += rows.count * w;
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      ...this.v.fields(),
      data: this.data.bytes(),
      dictionary: this.dictionary,
    } as never);
  }
}

/** DuckDB stores one byte per BOOLEAN; Arrow packs bits. */
export class BoolAppender implements Appender {
  private data = new Grow(64);
  private v = new Validity();
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const src = duckdb.vector_get_data(vec, cap);
    this.v.append(vec, cap, rows);
    let pos = this.v.length - rows.count;
    this.data.ensure(((pos + rows.count + 7) >> 3) - this.data.len + 1);
    const out = this.data.buf;
    for (let k = 0; k < rows.count; k++, pos++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (src[r]) out[pos >> 3] |= 1 << (pos & 7);
      else out[pos >> 3] &= ~(1 << (pos & 7));
    }
    this.data.len = (pos + 7) >> 3;
  }
  finish(): A.Data {
    return A.makeData({
      type: new A.Bool(),
      ...this.v.fields(),
      data: this.data.bytes(),
    });
  }
}

/**
 * Fixed-width values computed row by row from DuckDB's storage: DECIMAL(p ≤ 18) widened to 128 bits,
 * INTERVAL micros → nanos, TIME WITH TIME ZONE unpacked.
 */
class TransformAppender implements Appender {
  private data: Grow;
  private v = new Validity();
  constructor(
    private readonly type: A.DataType,
    private readonly srcWidth: number,
    private readonly outWidth: number,
    hint: number,
    private readonly convert: (src: DataView, row: number, out: DataView, at: number) => void,
  ) {
    this.data = new Grow(hint * outWidth);
  }
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const raw = duckdb.vector_get_data(vec, cap * this.srcWidth);
    this.v.append(vec, cap, rows);
    this.data.ensure(rows.count * this.outWidth);
    const src = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new DataView(this.data.buf.buffer, this.data.len, rows.count * this.outWidth);
    for (let k = 0; k < rows.count; k++) {
      this.convert(src, rows.idx === null ? rows.start + k : rows.idx[k], out, k * this.outWidth);
    }
    this.data.len += rows.count * this.outWidth;
  }
  finish(): A.Data {
    return A.makeData({ type: this.type, ...this.v.fields(), data: this.data.bytes() } as never);
  }
}

export function decimalAppender(type: A.DataType, srcWidth: 2 | 4 | 8, hint: number): Appender {
  return new TransformAppender(type, srcWidth, 16, hint, (src, r, out, at) => {
    let lo: number;
    let hi: number;
    if (srcWidth === 8) {
      lo = src.getInt32(r * 8, true);
      hi = src.getInt32(r * 8 + 4, true);
    } else {
      lo = srcWidth === 2 ? src.getInt16(r * 2, true) : src.getInt32(r * 4, true);
      hi = lo < 0 ? -1 : 0;
    }
    const sign = hi < 0 ? -1 : 0;
    out.setInt32(at, lo, true);
    out.setInt32(at + 4, hi, true);
    out.setInt32(at + 8, sign, true);
    out.setInt32(at + 12, sign, true);
  });
}

export const intervalAppender = (hint: number): Appender =>
  new TransformAppender(new A.IntervalMonthDayNano(), 16, 16, hint, (src, r, out, at) => {
    out.setInt32(at, src.getInt32(r * 16, true), true);
    out.setInt32(at + 4, src.getInt32(r * 16 + 4, true), true);
    out.setBigInt64(at + 8, src.getBigInt64(r * 16 + 8, true) * 1000n, true);
  });

export const timeTzAppender = (hint: number): Appender =>
  new TransformAppender(new A.TimeMicrosecond(), 8, 8, hint, (src, r, out, at) => {
    out.setBigInt64(at, src.getBigUint64(r * 8, true) >> 24n, true);
  });

/** Shared by text-like columns: Arrow int32 offsets + bytes. */
abstract class VarAppender implements Appender {
  protected offsets: Grow;
  protected bytes = new Grow(1024);
  protected v = new Validity();
  constructor(
    protected readonly type: A.Utf8 | A.Binary,
    hint: number,
  ) {
    this.offsets = new Grow((hint + 1) * 4);
    this.offsets.len = 4;
  }
  abstract append(vec: duckdb.Vector, cap: number, rows: Rows): void;
  private offsetsOf: Uint8Array | null = null;
  private offsetView: Int32Array<ArrayBufferLike> = new Int32Array(0);
  /** The offsets buffer as int32s, with room for `n` more. */
  protected offsetSlots(n: number): Int32Array {
    this.offsets.ensure(4 * n);
    if (this.offsetsOf !== this.offsets.buf) {
      this.offsetsOf = this.offsets.buf;
      this.offsetView = new Int32Array(this.offsetsOf.buffer, this.offsetsOf.byteOffset, this.offsetsOf.byteLength >> 2);
    }
    return this.offsetView;
  }
  protected pushOffset(): void {
    this.offsetSlots(1)[this.offsets.len >> 2] = this.bytes.len;
    this.offsets.len += 4;
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      ...this.v.fields(),
      valueOffsets: new Int32Array(this.offsets.buf.buffer, 0, this.offsets.len / 4),
      data: this.bytes.bytes(),
    } as never);
  }
}

/** VARCHAR, BLOB, BIT, BIGNUM: duckdb_string_t is {u32 length, 12 inline bytes | 4 prefix + pointer}. */
export class StringAppender extends VarAppender {
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const src = duckdb.vector_get_data(vec, cap * 16);
    const mask = this.v.append(vec, cap, rows);
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const dest = new Int32Array(rows.count);
    const base = this.bytes.len;
    let total = 0;
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) {
        dest[k] = total;
        total += stringLength(view, r);
      } else dest[k] = -1;
    }
    this.bytes.ensure(total);
    copyStrings(src, rows.start, rows.idx, dest, rows.count, this.bytes.buf, base);
    // each row's end: where the next valid row starts, or the end of all
    const slots = this.offsetSlots(rows.count);
    const at = this.offsets.len >> 2;
    let end = base + total;
    for (let k = rows.count - 1; k >= 0; k--) {
      slots[at + k] = end;
      if (dest[k] >= 0) end = base + dest[k];
    }
    this.offsets.len += 4 * rows.count;
    this.bytes.len = base + total;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** UUID is a hugeint with the top bit flipped; DuckDB exports it as its canonical text. */
export class UuidAppender extends VarAppender {
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const src = duckdb.vector_get_data(vec, cap * 16);
    const mask = this.v.append(vec, cap, rows);
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) {
        const at = r * 16;
        let s = '';
        // big-endian: upper 8 bytes (15..8, sign flipped) then lower 8 bytes (7..0)
        for (let b = 15; b >= 0; b--) {
          const byte = b === 15 ? src[at + b] ^ 0x80 : src[at + b];
          s += HEX[byte];
          if (b === 12 || b === 10 || b === 8 || b === 6) s += '-';
        }
        this.bytes.ensure(36);
        this.bytes.len += Buffer.from(this.bytes.buf.buffer).write(s, this.bytes.len, 'latin1');
      }
      this.pushOffset();
    }
  }
}

/** Types DuckDB exports as text that we cannot copy raw: rendered by @duckdb/node-api. */
export class TextAppender extends VarAppender {
  constructor(
    private readonly duck: DuckDBType,
    hint: number,
  ) {
    super(new A.Utf8(), hint);
  }
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const high = DuckDBVector.create(vec, cap, this.duck);
    const mask = this.v.append(vec, cap, rows);
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) {
        const item = high.getItem(r);
        const text = Buffer.from(String(item), 'utf8');
        this.bytes.ensure(text.length);
        this.bytes.buf.set(text, this.bytes.len);
        this.bytes.len += text.length;
      }
      this.pushOffset();
    }
  }
}

