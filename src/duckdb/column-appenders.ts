// Copies DuckDB vectors into Arrow arrays. Fixed-width columns are copied as raw bytes from
// vector_get_data (DuckDB's layouts match Arrow's); only strings, decimals, intervals, UUIDs and
// nested types need per-value work. Rows are a range of a vector or, under lists, a gather list.
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import {
  DuckDBArrayType,
  DuckDBDecimalType,
  DuckDBEnumType,
  DuckDBListType,
  DuckDBMapType,
  DuckDBStructType,
  DuckDBType,
  DuckDBTypeId,
  DuckDBUnionType,
  DuckDBVector,
} from '@duckdb/node-api';

/** Which rows of a vector to take: `idx` when set, else `start .. start+count`. */
export interface Rows {
  start: number;
  count: number;
  idx: Uint32Array | null;
}

export interface Appender {
  /** `cap` is the number of rows the vector holds (its data size is cap × width). */
  append(vec: duckdb.Vector, cap: number, rows: Rows): void;
  finish(): A.Data;
}

/** A byte buffer that grows by doubling. */
class Grow {
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

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Arrow validity bitmap, built lazily: stays absent until the first NULL. */
class Validity {
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

/** Raw copy of fixed-width values (integers, floats, dates, times, timestamps, hugeint, enum indexes). */
class FixedAppender implements Appender {
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
class BoolAppender implements Appender {
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

function decimalAppender(type: A.DataType, srcWidth: 2 | 4 | 8, hint: number): Appender {
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

const intervalAppender = (hint: number): Appender =>
  new TransformAppender(new A.IntervalMonthDayNano(), 16, 16, hint, (src, r, out, at) => {
    out.setInt32(at, src.getInt32(r * 16, true), true);
    out.setInt32(at + 4, src.getInt32(r * 16 + 4, true), true);
    out.setBigInt64(at + 8, src.getBigInt64(r * 16 + 8, true) * 1000n, true);
  });

const timeTzAppender = (hint: number): Appender =>
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
  protected pushOffset(): void {
    this.offsets.ensure(4);
    new DataView(this.offsets.buf.buffer).setInt32(this.offsets.len, this.bytes.len, true);
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
class StringAppender extends VarAppender {
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const src = duckdb.vector_get_data(vec, cap * 16);
    const mask = this.v.append(vec, cap, rows);
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) {
        const at = r * 16;
        const n = view.getUint32(at, true);
        this.bytes.ensure(n);
        if (n <= 12) {
          this.bytes.buf.set(src.subarray(at + 4, at + 4 + n), this.bytes.len);
        } else {
          this.bytes.buf.set(
            duckdb.get_data_from_pointer(src.buffer as ArrayBuffer, src.byteOffset + at + 8, n),
            this.bytes.len,
          );
        }
        this.bytes.len += n;
      }
      this.pushOffset();
    }
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** UUID is a hugeint with the top bit flipped; DuckDB exports it as its canonical text. */
class UuidAppender extends VarAppender {
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
class TextAppender extends VarAppender {
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

/** LIST and MAP: list_entry_t {u64 offset, u64 length} per row over one child vector. */
class ListAppender implements Appender {
  private offsets = new Grow(1024);
  private v = new Validity();
  private childCount = 0;
  constructor(
    private readonly type: A.List | A.Map_,
    private readonly child: Appender,
  ) {
    this.offsets.len = 4;
  }
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const src = duckdb.vector_get_data(vec, cap * 16);
    const mask = this.v.append(vec, cap, rows);
    const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const childCap = duckdb.list_vector_get_size(vec);
    const childVec = duckdb.list_vector_get_child(vec);
    let total = 0;
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) total += sv.getUint32(r * 16 + 8, true);
    }
    const idx = new Uint32Array(total);
    this.offsets.ensure(rows.count * 4);
    const ov = new DataView(this.offsets.buf.buffer);
    let n = 0;
    let contiguous = true;
    let first = -1;
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      if (isValid(mask, r)) {
        const off = sv.getUint32(r * 16, true);
        const len = sv.getUint32(r * 16 + 8, true);
        for (let j = 0; j < len; j++) {
          const c = off + j;
          if (first < 0) first = c;
          else if (c !== idx[n - 1] + 1) contiguous = false;
          idx[n++] = c;
        }
      }
      ov.setInt32(this.offsets.len, this.childCount + n, true);
      this.offsets.len += 4;
    }
    if (total > 0) {
      this.child.append(
        childVec,
        childCap,
        contiguous ? { start: first, count: total, idx: null } : { start: 0, count: total, idx },
      );
    }
    this.childCount += total;
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      ...this.v.fields(),
      valueOffsets: new Int32Array(this.offsets.buf.buffer, 0, this.offsets.len / 4),
      child: this.child.finish(),
    } as never);
  }
}

/** ARRAY(n): a fixed number of child rows per row. */
class FixedListAppender implements Appender {
  private v = new Validity();
  constructor(
    private readonly type: A.FixedSizeList,
    private readonly child: Appender,
  ) {}
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const n = this.type.listSize;
    this.v.append(vec, cap, rows);
    const childVec = duckdb.array_vector_get_child(vec);
    if (rows.idx === null) {
      this.child.append(childVec, cap * n, { start: rows.start * n, count: rows.count * n, idx: null });
    } else {
      const idx = new Uint32Array(rows.count * n);
      for (let k = 0; k < rows.count; k++) for (let j = 0; j < n; j++) idx[k * n + j] = rows.idx[k] * n + j;
      this.child.append(childVec, cap * n, { start: 0, count: idx.length, idx });
    }
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      ...this.v.fields(),
      child: this.child.finish(),
    });
  }
}

class StructAppender implements Appender {
  private v = new Validity();
  constructor(
    private readonly type: A.Struct,
    private readonly children: Appender[],
  ) {}
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    this.v.append(vec, cap, rows);
    this.children.forEach((c, i) => c.append(duckdb.struct_vector_get_child(vec, i), cap, rows));
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      ...this.v.fields(),
      children: this.children.map((c) => c.finish()),
    });
  }
}

/** UNION is a struct of (tag, members…) in DuckDB; Arrow sparse union has type ids + full-length children. */
class UnionAppender implements Appender {
  private tags = new Grow(256);
  private length = 0;
  constructor(
    private readonly type: A.SparseUnion,
    private readonly members: Appender[],
  ) {}
  append(vec: duckdb.Vector, cap: number, rows: Rows): void {
    const tagVec = duckdb.struct_vector_get_child(vec, 0);
    const tags = duckdb.vector_get_data(tagVec, cap);
    this.tags.ensure(rows.count);
    for (let k = 0; k < rows.count; k++) {
      const r = rows.idx === null ? rows.start + k : rows.idx[k];
      this.tags.buf[this.tags.len++] = tags[r];
    }
    this.members.forEach((m, i) => m.append(duckdb.struct_vector_get_child(vec, i + 1), cap, rows));
    this.length += rows.count;
  }
  finish(): A.Data {
    return A.makeData({
      type: this.type,
      length: this.length,
      nullCount: 0,
      typeIds: new Int8Array(this.tags.buf.buffer, 0, this.tags.len),
      children: this.members.map((m) => m.finish()),
    } as never);
  }
}

class NullAppender implements Appender {
  private length = 0;
  append(_vec: duckdb.Vector, _cap: number, rows: Rows): void {
    this.length += rows.count;
  }
  finish(): A.Data {
    return A.makeData({ type: new A.Null(), length: this.length, nullCount: this.length });
  }
}

export const FIXED_WIDTH: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.TINYINT]: 1,
  [DuckDBTypeId.UTINYINT]: 1,
  [DuckDBTypeId.SMALLINT]: 2,
  [DuckDBTypeId.USMALLINT]: 2,
  [DuckDBTypeId.INTEGER]: 4,
  [DuckDBTypeId.UINTEGER]: 4,
  [DuckDBTypeId.FLOAT]: 4,
  [DuckDBTypeId.DATE]: 4,
  [DuckDBTypeId.BIGINT]: 8,
  [DuckDBTypeId.UBIGINT]: 8,
  [DuckDBTypeId.DOUBLE]: 8,
  [DuckDBTypeId.TIME]: 8,
  [DuckDBTypeId.TIME_NS]: 8,
  [DuckDBTypeId.TIMESTAMP]: 8,
  [DuckDBTypeId.TIMESTAMP_S]: 8,
  [DuckDBTypeId.TIMESTAMP_MS]: 8,
  [DuckDBTypeId.TIMESTAMP_NS]: 8,
  [DuckDBTypeId.TIMESTAMP_TZ]: 8,
  [DuckDBTypeId.HUGEINT]: 16,
  [DuckDBTypeId.UHUGEINT]: 16,
};

/** Bytes per row a column costs in Arrow, for sizing batches (variable parts measured separately). */
export function fixedBytesPerRow(t: DuckDBType): number {
  const w = FIXED_WIDTH[t.typeId];
  if (w !== undefined) return w;
  switch (t.typeId) {
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.INTERVAL:
      return 16;
    case DuckDBTypeId.BOOLEAN:
      return 1;
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
      return 4;
    case DuckDBTypeId.UUID:
      return 40;
    case DuckDBTypeId.ENUM:
      return 4;
    default:
      return 32;
  }
}

/** Makes the appender for one column, given its DuckDB type and the Arrow type chosen for it. */
export function makeAppender(duck: DuckDBType, arrow: A.DataType, hint: number): Appender {
  const w = FIXED_WIDTH[duck.typeId];
  if (w !== undefined) return new FixedAppender(arrow, w, hint);
  switch (duck.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new BoolAppender();
    case DuckDBTypeId.DECIMAL: {
      const p = (duck as DuckDBDecimalType).width;
      if (p > 18) return new FixedAppender(arrow, 16, hint);
      return decimalAppender(arrow, p <= 4 ? 2 : p <= 9 ? 4 : 8, hint);
    }
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.BIGNUM:
      return new StringAppender(arrow as A.Utf8 | A.Binary, hint);
    case DuckDBTypeId.UUID:
      return new UuidAppender(new A.Utf8(), hint);
    case DuckDBTypeId.INTERVAL:
      return intervalAppender(hint);
    case DuckDBTypeId.TIME_TZ:
      return timeTzAppender(hint);
    case DuckDBTypeId.ENUM: {
      const e = duck as DuckDBEnumType;
      const dictType = arrow as A.Dictionary;
      const width = dictType.indices.bitWidth / 8;
      const values = A.vectorFromArray([...e.values], new A.Utf8());
      return new FixedAppender(arrow, width, hint, values);
    }
    case DuckDBTypeId.LIST: {
      const l = arrow as A.List;
      return new ListAppender(l, makeAppender((duck as DuckDBListType).valueType, l.children[0].type, hint));
    }
    case DuckDBTypeId.MAP: {
      const m = arrow as A.Map_;
      const mt = duck as DuckDBMapType;
      const entries = m.children[0].type as A.Struct;
      const child = new StructAppender(entries, [
        makeAppender(mt.keyType, entries.children[0].type, hint),
        makeAppender(mt.valueType, entries.children[1].type, hint),
      ]);
      return new ListAppender(m, child);
    }
    case DuckDBTypeId.ARRAY: {
      const f = arrow as A.FixedSizeList;
      return new FixedListAppender(f, makeAppender((duck as DuckDBArrayType).valueType, f.children[0].type, hint));
    }
    case DuckDBTypeId.STRUCT: {
      const s = arrow as A.Struct;
      const st = duck as DuckDBStructType;
      return new StructAppender(
        s,
        st.entryTypes.map((t, i) => makeAppender(t, s.children[i].type, hint)),
      );
    }
    case DuckDBTypeId.UNION: {
      const u = arrow as A.SparseUnion;
      const ut = duck as DuckDBUnionType;
      return new UnionAppender(
        u,
        ut.memberTypes.map((t, i) => makeAppender(t, u.children[i].type, hint)),
      );
    }
    case DuckDBTypeId.SQLNULL:
      return new NullAppender();
    default:
      return new TextAppender(duck, hint);
  }
}
