// Appenders for DuckDB's nested types: LIST and MAP (offsets over a child vector), ARRAY (fixed
// child count), STRUCT, UNION (sparse), and NULL.
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { Appender } from './column-appenders';
import { Grow, isValid, Rows, Validity } from './validity';

/** LIST and MAP: list_entry_t {u64 offset, u64 length} per row over one child vector. */
export class ListAppender implements Appender {
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
export class FixedListAppender implements Appender {
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

export class StructAppender implements Appender {
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
export class UnionAppender implements Appender {
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

export class NullAppender implements Appender {
  private length = 0;
  append(_vec: duckdb.Vector, _cap: number, rows: Rows): void {
    this.length += rows.count;
  }
  finish(): A.Data {
    return A.makeData({ type: new A.Null(), length: this.length, nullCount: this.length });
  }
}

