// Checks an Arrow IPC message a client sent before apache-arrow reads it. FlatBuffers in JavaScript
// read past the end of a buffer as zeros, so a truncated or forged header would otherwise decode
// into a made-up schema (nameless fields, zero-width ints) or batch. Here every read is bounds
// checked, every table and vector is walked once, and batch buffers must lie inside the body.
// Decoded batches are checked too: apache-arrow reads a buffer too short for its rows as undefined.
import * as A from 'apache-arrow';
import { ByteBuffer } from 'flatbuffers';
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Field } from 'apache-arrow/fb/field';
import { KeyValue } from 'apache-arrow/fb/key-value';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema } from 'apache-arrow/fb/schema';
import { Type } from 'apache-arrow/fb/type';
import { Union } from 'apache-arrow/fb/union';
import { InvalidArgumentError } from '../errors';

const MAX_DEPTH = 64;

function malformed(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`malformed Arrow IPC data: ${what}`);
}

/** A ByteBuffer whose reads fail outside the buffer instead of returning zeros. */
class CheckedByteBuffer extends ByteBuffer {
  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      throw malformed('the message header points outside itself (truncated or not an Arrow message)');
    }
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  override __string(offset: number, encoding?: unknown): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    this.check(start + 4, Math.max(0, this.readInt32(start)));
    return super.__string(offset, encoding as never);
  }
}

/** Walks one message; `budget` bounds the tables visited, so shared or cyclic offsets cannot loop. */
class Walker {
  private budget: number;

  constructor(private readonly bb: CheckedByteBuffer) {
    this.budget = Math.max(64, bb.capacity());
  }

  /** A table's vtable and inline fields lie inside the buffer. */
  table(pos: number): void {
    if (--this.budget < 0) throw malformed('the message header refers to the same tables over and over');
    const bb = this.bb;
    const vtable = pos - bb.readInt32(pos);
    const vtableSize = bb.readUint16(vtable);
    const objectSize = bb.readUint16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || objectSize < 4) throw malformed('a table with a malformed vtable');
    bb.readUint16(vtable + vtableSize - 2);
    bb.readUint8(pos + objectSize - 1);
    for (let at = 4; at < vtableSize; at += 2) {
      if (bb.readUint16(vtable + at) >= objectSize) throw malformed('a table field outside its table');
    }
  }

  /** Visits every element of a vector, the last first so a forged length fails at once. */
  each(length: number, visit: (i: number) => void): void {
    if (length < 0) throw malformed('a vector of negative length');
    if (length === 0) return;
    visit(length - 1);
    for (let i = 0; i < length - 1; i++) visit(i);
  }

  metadata(length: number, get: (i: number, kv: KeyValue) => KeyValue | null): void {
    this.each(length, (i) => {
      const kv = get(i, new KeyValue());
      if (!kv) return;
      this.table(kv.bb_pos);
      kv.key();
      kv.value();
    });
  }

  schema(s: Schema): void {
    this.table(s.bb_pos);
    this.each(s.fieldsLength(), (i) => {
      const f = s.fields(i);
      if (f) this.field(f, 1);
    });
    this.metadata(s.customMetadataLength(), (i, kv) => s.customMetadata(i, kv));
    this.each(s.featuresLength(), (i) => s.features(i));
  }

  field(f: Field, depth: number): void {
    if (depth > MAX_DEPTH) throw malformed(`fields nested deeper than ${MAX_DEPTH} levels`);
    this.table(f.bb_pos);
    f.name();
    const typeType = f.typeType();
    const type = f.type({ bb: null, bb_pos: 0 }) as { bb_pos: number } | null;
    if (type) {
      this.table(type.bb_pos);
      if (typeType === Type.Union) {
        const u = new Union().__init(type.bb_pos, this.bb);
        this.each(u.typeIdsLength(), (i) => u.typeIds(i));
      }
    }
    const dictionary = f.dictionary();
    if (dictionary) {
      this.table(dictionary.bb_pos);
      const index = dictionary.indexType();
      if (index) this.table(index.bb_pos);
    }
    this.each(f.childrenLength(), (i) => {
      const child = f.children(i);
      if (child) this.field(child, depth + 1);
    });
    this.metadata(f.customMetadataLength(), (i, kv) => f.customMetadata(i, kv));
  }

  recordBatch(b: RecordBatch, bodyLength: bigint): void {
    this.table(b.bb_pos);
    if (b.length() < 0n) throw malformed('a record batch of negative length');
    this.each(b.nodesLength(), (i) => {
      const n = b.nodes(i);
      if (n && (n.length() < 0n || n.nullCount() < 0n || n.nullCount() > n.length())) {
        throw malformed('a field node with an impossible length or null count');
      }
    });
    this.each(b.buffersLength(), (i) => {
      const buf = b.buffers(i);
      if (buf && (buf.offset() < 0n || buf.length() < 0n || buf.offset() + buf.length() > bodyLength)) {
        throw malformed(`buffer ${i} lies outside the message body (${bodyLength} bytes)`);
      }
    });
    const compression = b.compression();
    if (compression) this.table(compression.bb_pos);
    this.each(b.variadicBufferCountsLength(), (i) => b.variadicBufferCounts(i));
  }
}

/** What a checked message header says: its kind, its body's length and (record batches) its row count. */
export interface VerifiedMessage {
  kind: 'schema' | 'record batch' | 'dictionary batch';
  bodyLength: number;
  /** Rows of a record batch (null for the other kinds). */
  rows: number | null;
}

/** Throws INVALID_ARGUMENT unless `header` is a well-formed schema, record batch or dictionary batch whose body is all there. */
export function verifyIpcMessage(header: Uint8Array, body: Uint8Array | null): VerifiedMessage {
  if (header.length < 8) throw malformed(`a message header of ${header.length} bytes`);
  const bb = new CheckedByteBuffer(header);
  const walk = new Walker(bb);
  const m = Message.getRootAsMessage(bb);
  walk.table(m.bb_pos);
  const bodyLength = m.bodyLength();
  const available = BigInt(body?.length ?? 0);
  if (bodyLength < 0n || bodyLength > available) {
    throw malformed(`the header announces a ${bodyLength}-byte body but ${available} bytes came`);
  }
  walk.metadata(m.customMetadataLength(), (i, kv) => m.customMetadata(i, kv));
  switch (m.headerType()) {
    case MessageHeader.Schema:
      walk.schema(m.header(new Schema()) ?? fail('a schema message without a schema'));
      return { kind: 'schema', bodyLength: Number(bodyLength), rows: null };
    case MessageHeader.RecordBatch: {
      const b = (m.header(new RecordBatch()) as RecordBatch | null) ?? fail('a record batch message without a batch');
      walk.recordBatch(b, bodyLength);
      return { kind: 'record batch', bodyLength: Number(bodyLength), rows: Number(b.length()) };
    }
    case MessageHeader.DictionaryBatch: {
      const d = (m.header(new DictionaryBatch()) as DictionaryBatch | null) ?? fail('an empty dictionary batch');
      walk.table(d.bb_pos);
      walk.recordBatch(d.data() ?? fail('a dictionary batch without data'), bodyLength);
      return { kind: 'dictionary batch', bodyLength: Number(bodyLength), rows: null };
    }
    default:
      throw malformed(`message type ${m.headerType()} (expected a schema, record batch or dictionary batch)`);
  }
}

function fail(what: string): never {
  throw malformed(what);
}

/** Throws INVALID_ARGUMENT unless every buffer of `batch` holds what its row counts and offsets need. */
export function verifyBatchData(batch: A.RecordBatch): void {
  batch.schema.fields.forEach((f, i) => verifyData(batch.data.children[i], f.name));
}

function asNumber(v: number | bigint | undefined): number {
  return v === undefined ? NaN : Number(v);
}

function verifyData(d: A.Data, column: string): void {
  const end = d.offset + d.length;
  const short = (what: string): InvalidArgumentError =>
    malformed(`column "${column}": ${what} is shorter than its ${d.length} rows need`);
  if (d.nullBitmap && d.nullBitmap.length > 0 && d.nullBitmap.length * 8 < end) throw short('the validity bitmap');
  const t = d.type;
  const offsets = (limit: number): void => {
    const o = d.valueOffsets as ArrayLike<number | bigint> | undefined;
    if (!o || o.length < end + 1) throw short('the offsets buffer');
    let previous = asNumber(o[d.offset]);
    for (let i = d.offset + 1; i <= end; i++) {
      const next = asNumber(o[i]);
      if (!(next >= previous)) throw malformed(`column "${column}": offsets go backwards`);
      previous = next;
    }
    if (asNumber(o[d.offset]) < 0 || previous > limit) throw malformed(`column "${column}": offsets point past the values`);
  };
  if (A.DataType.isNull(t)) return;
  if (A.DataType.isBinary(t) || A.DataType.isUtf8(t) || A.DataType.isLargeBinary(t) || A.DataType.isLargeUtf8(t)) {
    offsets(d.values?.length ?? 0);
  } else if (A.DataType.isList(t) || A.DataType.isLargeList(t) || A.DataType.isMap(t)) {
    const child = d.children[0];
    if (!child) throw malformed(`column "${column}": a list without its values`);
    offsets(child.offset + child.length);
    verifyData(child, column);
  } else if (A.DataType.isStruct(t)) {
    for (const child of d.children) {
      if (child.offset + child.length < end) throw short('a struct field');
      verifyData(child, column);
    }
  } else if (A.DataType.isFixedSizeList(t)) {
    const child = d.children[0];
    if (!child || child.offset + child.length < end * t.listSize) throw short('the list values');
    verifyData(child, column);
  } else if (A.DataType.isUnion(t)) {
    if (!d.typeIds || d.typeIds.length < end) throw short('the type ids');
    if (A.DataType.isDenseUnion(t) && (!d.valueOffsets || d.valueOffsets.length < end)) throw short('the offsets buffer');
    for (const child of d.children) verifyData(child, column);
  } else if (A.DataType.isBool(t)) {
    if (!d.values || d.values.length * 8 < end) throw short('the values buffer');
  } else {
    if (!d.values || d.values.length < end * d.stride) throw short('the values buffer');
    if (A.DataType.isDictionary(t)) {
      const size = d.dictionary?.length ?? 0;
      for (let i = d.offset; i < end; i++) {
        const index = asNumber(d.values[i] as number | bigint);
        if (!(index >= 0 && index < size)) throw malformed(`column "${column}": a dictionary index out of range`);
      }
    }
  }
}
