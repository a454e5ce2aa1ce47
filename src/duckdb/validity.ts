// Growable byte buffers and Arrow validity bitmaps built from DuckDB's validity masks (both are
// LSB-first bit-per-row, so aligned ranges copy as bytes).
import duckdb from '@duckdb/node-bindings';

/** Which rows of a vector to take: `idx` when set, else `start .. start+count`. */
export interface Rows {
  start: number;
  count: number;
  idx: Uint32Array | null;
}

/** A byte buffer that grows by doubling. */
export class Grow {
  buf: Uint8Array;
  len = 0;
  constructor(cap: number) {
    this.buf = new Uint8Array(Math.max(8, cap));
  }
  ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

export const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Arrow validity bitmap, built lazily: stays absent until the first NULL. */
export class Validity {
  private bits: Grow | null = null;
  length = 0;
  nulls = 0;

  private materialize(): Grow {
    if (this.bits) return this.bits;
    const g = new Grow(((this.length + 7) >> 3) + 256);
    g.buf.fill(0xff, 0, (this.length + 7) >> 3);
    g.len = (this.length + 7) >> 3;
    this.bits = g;
    return g;
  }

  /** Appends the validity of `rows` of `vec`; returns DuckDB's mask (null = all valid). */
  append(vec: duckdb.Vector, cap: number, rows: Rows): Uint8Array | null {
    const mask = duckdb.vector_get_validity(vec, ((cap + 63) >> 6) * 8);
    if (mask === null) {
      if (this.bits) this.setRange(rows.count);
      this.length += rows.count;
      return null;
    }
    const g = this.materialize();
    const end = this.length + rows.count;
    g.ensure(((end + 7) >> 3) - g.len + 1);
    const out = g.buf;
    if (rows.idx === null && (rows.start & 7) === 0 && (this.length & 7) === 0) {
      const from = rows.start >> 3;
      const nBytes = (rows.count + 7) >> 3;
      out.set(mask.subarray(from, from + nBytes), this.length >> 3);
      let valid = 0;
      const full = rows.count >> 3;
      for (let i = 0; i < full; i++) valid += POPCOUNT[mask[from + i]];
      for (let r = full << 3; r < rows.count; r++) {
        const bit = (mask[from + (r >> 3)] >> (r & 7)) & 1;
        valid += bit;
      }
      // clear bits past the end so later appends can OR into a clean byte
      const tail = rows.count & 7;
      if (tail !== 0) out[(this.length >> 3) + full] &= (1 << tail) - 1;
      this.nulls += rows.count - valid;
    } else {
      let pos = this.length;
      for (let k = 0; k < rows.count; k++) {
        const r = rows.idx === null ? rows.start + k : rows.idx[k];
        const valid = (mask[r >> 3] >> (r & 7)) & 1;
        const byte = pos >> 3;
        if (valid) out[byte] |= 1 << (pos & 7);
        else {
          out[byte] &= ~(1 << (pos & 7));
          this.nulls++;
        }
        pos++;
      }
    }
    this.length = end;
    g.len = (end + 7) >> 3;
    return mask;
  }

  appendValid(count: number): void {
    if (this.bits) this.setRange(count);
    this.length += count;
  }

  appendNull(): void {
    const g = this.materialize();
    g.ensure(1);
    g.buf[this.length >> 3] &= ~(1 << (this.length & 7));
    this.length++;
    this.nulls++;
    g.len = (this.length + 7) >> 3;
  }

  private setRange(count: number): void {
    const g = this.bits as Grow;
    g.ensure(((this.length + count + 7) >> 3) - g.len + 1);
    for (let p = this.length; p < this.length + count; p++) g.buf[p >> 3] |= 1 << (p & 7);
    g.len = (this.length + count + 7) >> 3;
  }

  bitmap(): Uint8Array | undefined {
    return this.bits && this.nulls > 0 ? this.bits.bytes() : undefined;
  }

  /** The makeData fields every nullable Arrow array shares. */
  fields(): { length: number; nullCount: number; nullBitmap: Uint8Array | undefined } {
    return { length: this.length, nullCount: this.nulls, nullBitmap: this.bitmap() };
  }
}

export function isValid(mask: Uint8Array | null, r: number): boolean {
  return mask === null || ((mask[r >> 3] >> (r & 7)) & 1) === 1;
}

