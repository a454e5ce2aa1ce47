// Turns what executors produce back into apache-arrow RecordBatches: batches DuckDB's fast path
// already encoded as IPC (in-process), and DoGet FlightData streams (remote executors).
import * as A from 'apache-arrow';
import { Message as MessageMeta, RecordBatch as RecordBatchMeta } from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
import { EncodedBatch } from '../duckdb/direct-batches';
import { ResultBatch } from '../duckdb/record-batches';
import { InternalError } from '../errors';
import { decodeFlightData } from '../flight/ipc';
import { verifyIpcMessage } from '../flight/ipc-verify';

/** A RecordBatch for `b`; an encoded batch has its body copied out once and is read in place. */
export function toRecordBatch(schema: A.Schema, b: ResultBatch): A.RecordBatch {
  if (b instanceof A.RecordBatch) return b;
  const body = new Uint8Array(b.bodyLength);
  b.writeBody(body, 0);
  const message = MessageMeta.decode(b.header);
  if (!message.isRecordBatch()) throw new InternalError('encoded batch without a RecordBatch header');
  const meta = message.header() as RecordBatchMeta;
  const children = new VectorLoader(body, meta.nodes, meta.buffers, new Map(), schema.metadataVersion).visitMany(
    schema.fields.map((f) => f.type),
  );
  const data = A.makeData({ type: new A.Struct(schema.fields), length: meta.length, children });
  return new A.RecordBatch(schema, data);
}

export async function* recordBatchesOf(schema: A.Schema, batches: AsyncIterable<ResultBatch>): AsyncGenerator<A.RecordBatch> {
  for await (const b of batches) yield toRecordBatch(schema, b);
}

const CONTINUATION = 0xffffffff;

/** FlightData messages re-framed as an Arrow IPC stream (prefix + header, then the body as is). */
async function* ipcFrames(messages: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
  for await (const raw of messages) {
    const m = decodeFlightData(raw);
    if (!m.header) continue;
    verifyIpcMessage(m.header, m.body);
    const len = (m.header.length + 7) & ~7;
    const prefix = Buffer.alloc(8 + len);
    prefix.writeUInt32LE(CONTINUATION, 0);
    prefix.writeInt32LE(len, 4);
    prefix.set(m.header, 8);
    yield prefix;
    if (m.body && m.body.length > 0) yield m.body;
  }
}

function hasDictionary(type: A.DataType): boolean {
  return A.DataType.isDictionary(type) || (type.children ?? []).some((f: A.Field) => hasDictionary(f.type));
}

/**
 * Opens a DoGet stream: resolves with the schema once it arrives; batches are read as consumed.
 * Record batches are loaded straight from each message's body (apache-arrow's stream reader
 * re-frames and buffers every message: a copy and garbage per batch); streams with dictionaries
 * (ENUM columns) take the reader.
 */
export function decodeFlightStream(messages: AsyncIterable<Buffer>): Promise<{ schema: A.Schema; batches: AsyncIterable<A.RecordBatch> }> {
  return openFlightStream(messages, false) as Promise<{ schema: A.Schema; batches: AsyncIterable<A.RecordBatch> }>;
}

/**
 * The same, with each record batch kept as it came (its IPC header and body, checked like any
 * message from the wire): a coordinator passing rows through to its client sends them on as they
 * are, without loading and re-encoding them. Streams with dictionaries are decoded.
 */
export function wireFlightStream(messages: AsyncIterable<Buffer>): Promise<{ schema: A.Schema; batches: AsyncIterable<ResultBatch> }> {
  return openFlightStream(messages, true);
}

async function openFlightStream(
  messages: AsyncIterable<Buffer>,
  wire: boolean,
): Promise<{ schema: A.Schema; batches: AsyncIterable<ResultBatch> }> {
  const it = messages[Symbol.asyncIterator]();
  let first: Buffer | null = null;
  let header: Uint8Array | null = null;
  while (!header) {
    const r = await it.next();
    if (r.done) throw new InternalError('executor stream ended without a schema');
    const m = decodeFlightData(r.value);
    if (!m.header) continue;
    verifyIpcMessage(m.header, m.body);
    first = r.value;
    header = m.header;
  }
  const meta = MessageMeta.decode(header);
  const schema = meta.isSchema() ? (meta.header() as A.Schema) : null;
  if (!schema || schema.fields.some((f) => hasDictionary(f.type))) {
    const replay = async function* (): AsyncGenerator<Buffer> {
      yield first as Buffer;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    return readerStream(replay());
  }
  const types = schema.fields.map((f) => f.type);
  const batches = async function* (): AsyncGenerator<ResultBatch> {
    for (let r = await it.next(); !r.done; r = await it.next()) {
      const m = decodeFlightData(r.value);
      if (!m.header) continue;
      const checked = verifyIpcMessage(m.header, m.body);
      if (checked.kind !== 'record batch') throw new InternalError('executor stream: a message other than a record batch after the schema');
      const raw = m.body ?? new Uint8Array(0);
      if (wire) {
        // the header's body length (checked ≤ what came) is what the client will read
        yield asIs(m.header, raw.subarray(0, checked.bodyLength), checked.rows ?? 0);
        continue;
      }
      const rb = MessageMeta.decode(m.header).header() as RecordBatchMeta;
      // typed arrays need aligned offsets: the body sits anywhere in the gRPC message
      const body = raw.byteOffset % 8 === 0 ? raw : new Uint8Array(raw);
      const children = new VectorLoader(body, rb.nodes, rb.buffers, new Map(), schema.metadataVersion).visitMany(types);
      yield new A.RecordBatch(schema, A.makeData({ type: new A.Struct(schema.fields), length: rb.length, children }));
    }
  };
  return { schema, batches: batches() };
}

/** A record batch message as it came: its header and body are copied into the outgoing message as they are. */
function asIs(header: Uint8Array, body: Uint8Array, numRows: number): EncodedBatch {
  return {
    kind: 'encoded',
    numRows,
    header,
    bodyLength: body.length,
    writeBody: (out, at) => out.set(body, at),
  };
}

/** The same through apache-arrow's stream reader. */
async function readerStream(
  messages: AsyncIterable<Buffer>,
): Promise<{ schema: A.Schema; batches: AsyncIterable<A.RecordBatch> }> {
  const reader = (await A.RecordBatchReader.from(ipcFrames(messages))) as A.AsyncRecordBatchStreamReader;
  await reader.open();
  const schema = reader.schema; // read before iterating: the reader forgets it when done
  if (!schema) throw new InternalError('executor stream ended without a schema');
  return { schema, batches: reader };
}
