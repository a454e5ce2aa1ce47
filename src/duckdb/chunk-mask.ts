// The validity of one DuckDB vector while a data chunk is being filled from Arrow. The binding hands
// out copies of vector memory, so NULLs are collected here (LSB-first, one bit per row, as in both
// Arrow and DuckDB) and copied into the vector once, when the chunk is complete.
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';

/** True when row `row` of `data` is valid (data from IPC has offset 0). */
export function validAt(data: A.Data, row: number): boolean {
  const bits = data.nullBitmap;
  if (!bits || bits.length === 0) return data.typeId !== A.Type.Null;
  return ((bits[row >> 3] >> (row & 7)) & 1) === 1;
}

/** True when some row in [start, start+count) of `data` is NULL. */
export function hasNulls(data: A.Data, start: number, count: number): boolean {
  if (data.typeId === A.Type.Null) return count > 0;
  const bits = data.nullBitmap;
  if (!bits || bits.length === 0 || data.nullCount === 0) return false;
  for (let r = start, end = start + count; r < end; r++) {
    if ((r & 7) === 0 && r + 8 <= end && bits[r >> 3] === 0xff) {
      r += 7;
      continue;
    }
    if (((bits[r >> 3] >> (r & 7)) & 1) === 0) return true;
  }
  return false;
}

export class NullMask {
  private bits = new Uint8Array(256).fill(0xff);
  /** Bytes that may hold a 0 bit since the last reset (0: every row valid). */
  private dirty = 0;

  reset(): void {
    if (this.dirty > 0) this.bits.fill(0xff, 0, this.dirty);
    this.dirty = 0;
  }

  private grow(rows: number): void {
    const need = (rows + 7) >> 3;
    if (need <= this.bits.length) return;
    const next = new Uint8Array(Math.max(need, this.bits.length * 2)).fill(0xff);
    next.set(this.bits.subarray(0, this.dirty));
    this.bits = next;
  }

  setNull(row: number): void {
    this.grow(row + 1);
    this.bits[row >> 3] &= ~(1 << (row & 7));
    if ((row >> 3) + 1 > this.dirty) this.dirty = (row >> 3) + 1;
  }

  setNulls(pos: number, count: number): void {
    for (let k = 0; k < count; k++) this.setNull(pos + k);
  }

  /** Takes the NULLs of rows [start, start+count) of `data` for rows [pos, pos+count). */
  copyFrom(data: A.Data, start: number, count: number, pos: number): void {
    if (data.typeId === A.Type.Null) {
      this.setNulls(pos, count);
      return;
    }
    const src = data.nullBitmap;
    if (!src || src.length === 0 || data.nullCount === 0) return;
    for (let k = 0; k < count; k++) {
      const r = start + k;
      // skip whole bytes of valid rows
      if ((r & 7) === 0 && k + 8 <= count && src[r >> 3] === 0xff) {
        k += 7;
        continue;
      }
      if (((src[r >> 3] >> (r & 7)) & 1) === 0) this.setNull(pos + k);
    }
  }

  /** Writes the collected NULLs of the first `rows` rows into `vec`. */
  flush(vec: duckdb.Vector, rows: number): void {
    if (this.dirty === 0 || rows === 0) return;
    duckdb.vector_ensure_validity_writable(vec);
    const bytes = Math.min(this.dirty, (rows + 7) >> 3);
    duckdb.copy_data_to_vector_validity(vec, 0, this.bits.buffer as ArrayBuffer, this.bits.byteOffset, bytes);
  }
}
