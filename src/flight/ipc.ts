// Arrow IPC ↔ FlightData. A FlightData carries one IPC message: data_header is the flatbuffer
// Message (no continuation marker or length), data_body its 8-byte-aligned buffers. FlightData is
// encoded by hand so a batch's buffers are copied exactly once, into the outgoing gRPC message.
import * as A from 'apache-arrow';
import { Message as MessageMeta, RecordBatch as RecordBatchMeta, DictionaryBatch as DictionaryBatchMeta } from 'apache-arrow/ipc/metadata/message';
import { VectorAssembler } from 'apache-arrow/visitor/vectorassembler';
import protobuf from 'protobufjs';
import { InvalidArgumentError } from '../errors';
import { EncodedBatch } from '../duckdb/direct-batches';
import { verifyBatchData, verifyIpcMessage } from './ipc-verify';

const CONTINUATION = 0xffffffff;

function pad8(n: number): number {
  return (n + 7) & ~7;
}

/** Schema as an encapsulated IPC message followed by an end-of-stream marker. */
export function schemaToBytes(schema: A.Schema): Buffer {
  const meta = A.Message.encode(A.Message.from(schema));
  const len = pad8(meta.length);
  const out = Buffer.alloc(8 + len + 8);
  out.writeUInt32LE(CONTINUATION, 0);
  out.writeInt32LE(len, 4);
  out.set(meta, 8);
  out.writeUInt32LE(CONTINUATION, 8 + len);
  out.writeInt32LE(0, 12 + len);
  return out;
}

export const EMPTY_SCHEMA_BYTES = schemaToBytes(new A.Schema([]));

/** Reads a schema from encapsulated-message bytes (with or without the EOS marker). */
export function schemaFromBytes(bytes: Uint8Array): A.Schema {
  if (bytes.length === 0) return new A.Schema([]);
  try {
    const reader = A.RecordBatchReader.from(withEos(bytes));
    reader.open();
    return reader.schema;
  } catch (e) {
    throw new InvalidArgumentError(`malformed Arrow schema: ${(e as Error).message}`);
  }
}

function withEos(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 8);
  out.set(bytes);
  new DataView(out.buffer).setUint32(bytes.length, CONTINUATION, true);
  return out;
}

export interface FlightDataParts {
  descriptor?: Uint8Array;
  header?: Uint8Array;
  appMetadata?: Uint8Array;
  /** Body buffers at their byte offsets (8-byte aligned regions); gaps are zero padding. */
  body?: { offset: number; data: ArrayBufferView }[];
  /** Alternative to `body`: writes exactly `bodyLength` bytes at `at` (the fast path). */
  writeBody?: (out: Uint8Array, at: number) => void;
  bodyLength?: number;
}

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** Size of the FlightData protobuf for `p`. */
export function flightDataSize(p: FlightDataParts): number {
  const bodyLen = bodyLengthOf(p);
  let size = 0;
  const field = (len: number, tagBytes: number): number => tagBytes + varintSize(len) + len;
  if (p.descriptor) size += field(p.descriptor.length, 1);
  if (p.header) size += field(p.header.length, 1);
  if (p.appMetadata) size += field(p.appMetadata.length, 1);
  if (p.body || p.writeBody) size += field(bodyLen, 2);
  return size;
}

function bodyLengthOf(p: FlightDataParts): number {
  return p.bodyLength ?? (p.body ?? []).reduce((s, b) => Math.max(s, b.offset + b.data.byteLength), 0);
}

/** Writes the FlightData protobuf (1 descriptor, 2 data_header, 3 app_metadata, 1000 data_body). */
export function writeFlightData(p: FlightDataParts, out: Buffer): number {
  const bodyLen = bodyLengthOf(p);
  let at = 0;
  const put = (tag: number, bytes: Uint8Array): void => {
    out[at++] = tag;
    at = writeVarint(out, at, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
  };
  if (p.descriptor) put(0x0a, p.descriptor);
  if (p.header) put(0x12, p.header);
  if (p.appMetadata) put(0x1a, p.appMetadata);
  if (p.body || p.writeBody) {
    out[at++] = 0xc2; // (1000 << 3 | 2) as a varint
    out[at++] = 0x3e;
    at = writeVarint(out, at, bodyLen);
  }
  if (p.writeBody) {
    p.writeBody(out, at);
    at += bodyLen;
  } else if (p.body) {
    let filled = 0;
    for (const { offset, data } of p.body) {
      if (offset > filled) out.fill(0, at + filled, at + offset);
      // buffers are typed arrays of any element type: copy their bytes
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at + offset);
      filled = offset + data.byteLength;
    }
    if (bodyLen > filled) out.fill(0, at + filled, at + bodyLen);
    at += bodyLen;
  }
  return at;
}

export function encodeFlightData(p: FlightDataParts): Buffer {
  const out = Buffer.allocUnsafe(flightDataSize(p));
  writeFlightData(p, out);
  return out;
}

/**
 * An outgoing FlightData that is serialized only when gRPC sends it, into a reused scratch buffer:
 * grpc-js copies a serialized message into its own frame at once, so one scratch buffer serves all
 * messages and large results allocate nothing per batch.
 */
export class OutgoingFlightData {
  private static scratch = Buffer.allocUnsafe(1 << 20);
  constructor(private readonly parts: FlightDataParts) {}

  serialize(): Buffer {
    const size = flightDataSize(this.parts);
    if (OutgoingFlightData.scratch.length < size) {
      OutgoingFlightData.scratch = Buffer.allocUnsafe(Math.max(size, OutgoingFlightData.scratch.length * 2));
    }
    const n = writeFlightData(this.parts, OutgoingFlightData.scratch);
    return OutgoingFlightData.scratch.subarray(0, n);
  }
}

export interface DecodedFlightData {
  descriptor: Buffer | null;
  header: Buffer | null;
  appMetadata: Buffer | null;
  body: Buffer | null;
}

export function decodeFlightData(buf: Buffer): DecodedFlightData {
  const out: DecodedFlightData = { descriptor: null, header: null, appMetadata: null, body: null };
  const r = protobuf.Reader.create(buf);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((tag & 7) !== 2) {
        r.skipType(tag & 7);
        continue;
      }
      const len = r.uint32();
      const bytes = buf.subarray(r.pos, r.pos + len);
      if (r.pos + len > r.len) throw new Error('truncated field');
      r.pos += len;
      if (field === 1) out.descriptor = bytes;
      else if (field === 2) out.header = bytes;
      else if (field === 3) out.appMetadata = bytes;
      else if (field === 1000) out.body = bytes;
    }
  } catch (e) {
    throw new InvalidArgumentError(`malformed FlightData: ${(e as Error).message}`);
  }
  return out;
}

/** The Schema message that opens every DoGet stream. */
export function schemaFlightData(schema: A.Schema): Buffer {
  return encodeFlightData({ header: A.Message.encode(A.Message.from(schema)) });
}

interface Assembled {
  byteLength: number;
  nodes: never[];
  bufferRegions: { offset: number; length: number }[];
  buffers: ArrayBufferView[];
}

function assemble(columns: A.Vector | A.RecordBatch): Assembled {
  return VectorAssembler.assemble(columns as never) as unknown as Assembled;
}

function placed(a: Assembled): { offset: number; data: ArrayBufferView }[] {
  return a.buffers.map((data, i) => ({ offset: a.bufferRegions[i].offset, data }));
}

export function recordBatchParts(batch: A.RecordBatch | EncodedBatch, appMetadata?: Uint8Array): FlightDataParts {
  if (!(batch instanceof A.RecordBatch)) {
    return { header: batch.header, appMetadata, writeBody: batch.writeBody, bodyLength: batch.bodyLength };
  }
  const a = assemble(batch);
  const meta = new RecordBatchMeta(batch.numRows, a.nodes, a.bufferRegions as never[], null);
  const header = MessageMeta.encode(MessageMeta.from(meta, a.byteLength));
  return { header, appMetadata, body: placed(a), bodyLength: a.byteLength };
}

export function recordBatchFlightData(batch: A.RecordBatch | EncodedBatch, appMetadata?: Uint8Array): Buffer {
  return encodeFlightData(recordBatchParts(batch, appMetadata));
}

function dictionaryFlightData(id: number, dictionary: A.Data): Buffer {
  const a = assemble(new A.Vector([dictionary]));
  const rb = new RecordBatchMeta(dictionary.length, a.nodes, a.bufferRegions as never[], null);
  const meta = new DictionaryBatchMeta(rb, id, false);
  const header = MessageMeta.encode(MessageMeta.from(meta, a.byteLength));
  return encodeFlightData({ header, body: placed(a), bodyLength: a.byteLength });
}

/** DictionaryBatch messages for every dictionary-encoded column (ENUMs), taken from a batch. */
export function dictionaryMessages(batch: A.RecordBatch): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<number>();
  const walk = (type: A.DataType, data: A.Data): void => {
    if (A.DataType.isDictionary(type) && data.dictionary && !seen.has(type.id)) {
      seen.add(type.id);
      for (const d of data.dictionary.data) out.push(dictionaryFlightData(type.id, d));
    }
    (type.children ?? []).forEach((f: A.Field, i: number) => {
      const child = data.children[i];
      if (child) walk(f.type, child);
    });
  };
  batch.schema.fields.forEach((f, i) => walk(f.type, batch.data.children[i]));
  return out;
}

export function hasDictionaries(schema: A.Schema): boolean {
  const walk = (t: A.DataType): boolean =>
    A.DataType.isDictionary(t) || (t.children ?? []).some((f: A.Field) => walk(f.type));
  return schema.fields.some((f) => walk(f.type));
}

/** Rebuilds an IPC stream from FlightData messages so apache-arrow can read it. */
export function ipcStreamOf(messages: { header: Uint8Array; body: Uint8Array | null }[]): Uint8Array {
  let size = 8;
  for (const m of messages) size += 8 + pad8(m.header.length) + (m.body?.length ?? 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const m of messages) {
    const len = pad8(m.header.length);
    view.setUint32(at, CONTINUATION, true);
    view.setInt32(at + 4, len, true);
    out.set(m.header, at + 8);
    at += 8 + len;
    if (m.body) {
      out.set(m.body, at);
      at += m.body.length;
    }
  }
  view.setUint32(at, CONTINUATION, true);
  return out;
}

/** Reads every record batch out of DoPut FlightData messages (schema first). */
export function readBatches(messages: { header: Uint8Array; body: Uint8Array | null }[]): {
  schema: A.Schema;
  batches: A.RecordBatch[];
} {
  for (const m of messages) verifyIpcMessage(m.header, m.body);
  let schema: A.Schema;
  let batches: A.RecordBatch[];
  try {
    const reader = A.RecordBatchReader.from(ipcStreamOf(messages));
    reader.open();
    schema = reader.schema; // read before iterating: the reader forgets it when done
    batches = [...reader];
  } catch (e) {
    throw new InvalidArgumentError(`malformed Arrow IPC data: ${(e as Error).message}`);
  }
  for (const b of batches) verifyBatchData(b);
  return { schema, batches };
}
