// VARCHAR and BLOB from Arrow's string and binary views. A view is DuckDB's string_t but for where a
// long value lives: length + 12 inline bytes for short values (copied as they are), length + prefix +
// buffer index + offset for long ones (copied into DuckDB's string heap one by one).
import { isUtf8 } from 'node:buffer';
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { InvalidArgumentError } from '../errors';
import { BaseWriter, copyInto, malformed, Scratch } from './chunk-writers';

const VIEW = 16;
const INLINE = 12;

function invalidUtf8(): InvalidArgumentError {
  return new InvalidArgumentError('malformed Arrow data: a utf8 column holds invalid UTF-8');
}

export class ViewWriter extends BaseWriter {
  private readonly scratch = new Scratch();
  private readonly long: Uint8Array[] = [];
  private readonly longAt: number[] = [];

  constructor(private readonly utf8: boolean) {
    super();
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const views = data.values as Uint8Array | undefined;
    if (!views || views.byteLength < (start + count) * VIEW) throw malformed('the views buffer is shorter than its rows');
    const buffers = ((data as unknown as { variadicBuffers?: Uint8Array[] }).variadicBuffers ?? []) as Uint8Array[];
    const buf = this.scratch.get(count * VIEW);
    const out = new Uint8Array(buf, 0, count * VIEW);
    out.set(views.subarray(start * VIEW, (start + count) * VIEW));
    const v = new DataView(buf, 0, count * VIEW);
    this.long.length = 0;
    this.longAt.length = 0;
    for (let k = 0; k < count; k++) {
      const at = k * VIEW;
      const len = v.getInt32(at, true);
      if (len < 0) throw malformed('a view has a negative length');
      if (len <= INLINE) {
        // DuckDB compares short strings on all 16 bytes: the padding must be zero
        out.fill(0, at + 4 + len, at + VIEW);
        if (this.utf8 && !inlineUtf8(out, at + 4, len)) throw invalidUtf8();
        continue;
      }
      const b = buffers[v.getInt32(at + 8, true)];
      const offset = v.getInt32(at + 12, true);
      if (!b || offset < 0 || offset + len > b.byteLength) throw malformed('a view points outside its data buffers');
      const value = b.subarray(offset, offset + len);
      if (this.utf8 && !isUtf8(value)) throw invalidUtf8();
      out.fill(0, at, at + VIEW); // written by the string heap below
      this.long.push(value);
      this.longAt.push(k);
    }
    copyInto(this.vec, this.pos * VIEW, buf, 0, count * VIEW);
    for (let i = 0; i < this.long.length; i++) {
      duckdb.vector_assign_string_element_len(this.vec, this.pos + this.longAt[i], this.long[i]);
    }
  }
}

/** UTF-8 check of a short value, without a native call when it is ASCII. */
function inlineUtf8(bytes: Uint8Array, at: number, len: number): boolean {
  for (let i = at; i < at + len; i++) if (bytes[i] >= 0x80) return isUtf8(bytes.subarray(at, at + len));
  return true;
}
