// Chunk writers for nested Arrow types: LIST (and MAP, a list of key/value structs), fixed-size
// ARRAY, STRUCT, and dictionary-encoded columns (decoded to their value type).
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { InvalidArgumentError } from '../errors';
import { hasNulls, validAt } from './chunk-mask';
import { BaseWriter, ColumnWriter, copyInto, GatherWriter, malformed, offsetAt, Scratch } from './chunk-writers';

const LIST_ENTRY = 16; // DuckDB list_entry_t: uint64 offset, uint64 length

/** LIST from Arrow list / large list; the child rows of a chunk follow each other in the child vector. */
export class ListWriter extends BaseWriter {
  private readonly scratch = new Scratch();
  constructor(protected readonly child: ColumnWriter) {
    super();
  }

  override begin(vec: duckdb.Vector): void {
    super.begin(vec);
    duckdb.list_vector_set_size(vec, 0);
    this.child.begin(duckdb.list_vector_get_child(vec));
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const offsets = data.valueOffsets as Int32Array | BigInt64Array | undefined;
    if (!offsets || offsets.length < start + count + 1) throw malformed('list offsets are missing or short');
    const childData = data.children[0];
    const first = offsetAt(offsets, start);
    const last = offsetAt(offsets, start + count);
    if (first < 0 || last < first || last > childData.length) throw malformed('list offsets out of range');
    this.check(childData, first, last - first);
    const base = this.child.rows;
    const buf = this.scratch.get(count * LIST_ENTRY);
    // offsets and lengths stay far below 2^32 in a chunk: write the low words, zero the high ones
    const entries = new Uint32Array(buf, 0, count * 4);
    for (let k = 0, prev = first; k < count; k++) {
      const next = offsetAt(offsets, start + k + 1);
      if (next < prev) throw malformed('list offsets decrease');
      entries[k * 4] = base + prev - first;
      entries[k * 4 + 1] = 0;
      entries[k * 4 + 2] = next - prev;
      entries[k * 4 + 3] = 0;
      prev = next;
    }
    copyInto(this.vec, this.pos * LIST_ENTRY, buf, 0, count * LIST_ENTRY);
    const total = last - first;
    if (total > 0) {
      duckdb.list_vector_reserve(this.vec, base + total);
      this.child.write(childData, first, total);
      duckdb.list_vector_set_size(this.vec, base + total);
    }
  }

  /** Hook for MAP: checks the child rows about to be written. */
  protected check(_child: A.Data, _start: number, _count: number): void {}

  override finish(): void {
    super.finish();
    this.child.finish();
  }
}

/** MAP: a list of {key, value} structs whose keys may not be NULL. */
export class MapWriter extends ListWriter {
  protected override check(entries: A.Data, start: number, count: number): void {
    const keys = entries.children[0];
    if (keys && hasNulls(keys, start, count)) throw new InvalidArgumentError('a map key is NULL, which DuckDB MAP does not allow');
  }
}

/** ARRAY(n) from Arrow fixed-size list: row r's values are child rows r*n … r*n+n-1. */
export class FixedListWriter extends BaseWriter {
  constructor(
    private readonly child: ColumnWriter,
    private readonly size: number,
  ) {
    super();
  }

  override begin(vec: duckdb.Vector): void {
    super.begin(vec);
    this.child.begin(duckdb.array_vector_get_child(vec));
  }

  protected fill(data: A.Data, start: number, count: number): void {
    const n = this.size;
    this.child.write(data.children[0], start * n, count * n);
  }

  override finish(): void {
    super.finish();
    this.child.finish();
  }
}

/** STRUCT: each field written into its child vector; a NULL struct row makes its fields NULL too. */
export class StructWriter extends BaseWriter {
  constructor(private readonly children: ColumnWriter[]) {
    super();
  }

  override begin(vec: duckdb.Vector): void {
    super.begin(vec);
    this.children.forEach((c, i) => c.begin(duckdb.struct_vector_get_child(vec, i)));
  }

  protected fill(data: A.Data, start: number, count: number): void {
    if (data.children.length !== this.children.length) throw malformed('a struct has the wrong number of fields');
    this.children.forEach((c, i) => c.write(data.children[i], start, count));
    if (!hasNulls(data, start, count)) return;
    for (let k = 0; k < count; k++) {
      if (!validAt(data, start + k)) for (const c of this.children) c.setNull(this.pos + k);
    }
  }

  override setNull(row: number): void {
    super.setNull(row);
    for (const c of this.children) c.setNull(row);
  }

  override finish(): void {
    super.finish();
    for (const c of this.children) c.finish();
  }
}

/** A dictionary-encoded column written as its decoded values. */
export class DictionaryWriter implements ColumnWriter {
  private idx = new Int32Array(2048);
  constructor(private readonly values: GatherWriter) {}

  begin(vec: duckdb.Vector): void {
    this.values.begin(vec);
  }

  get rows(): number {
    return this.values.rows;
  }

  write(data: A.Data, start: number, count: number): void {
    const dictionary = data.dictionary;
    if (!dictionary) throw malformed('a dictionary-encoded column arrived without its dictionary');
    if (dictionary.data.length !== 1) {
      throw new InvalidArgumentError('delta dictionaries are not supported by ingest: send replacement dictionaries');
    }
    const dict = dictionary.data[0];
    const indices = data.values as ArrayLike<number | bigint> | undefined;
    if (!indices || indices.length < start + count) throw malformed('dictionary indices are short');
    if (this.idx.length < count) this.idx = new Int32Array(count);
    const idx = this.idx;
    const size = dict.length;
    for (let k = 0; k < count; k++) {
      const r = start + k;
      if (!validAt(data, r)) {
        idx[k] = -1;
        continue;
      }
      const i = Number(indices[r]);
      if (!(i >= 0 && i < size)) throw malformed('a dictionary index is out of range');
      idx[k] = i;
    }
    this.values.gather(dict, idx, count);
  }

  setNull(row: number): void {
    this.values.setNull(row);
  }

  finish(): void {
    this.values.finish();
  }
}
