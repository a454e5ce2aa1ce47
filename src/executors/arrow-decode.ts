// Turns what executors produce back into apache-arrow RecordBatches: batches DuckDB's fast path
// already encoded as IPC (in-process), and DoGet FlightData streams (remote executors).
import * as A from 'apache-arrow';
import { Message as MessageMeta, RecordBatch as RecordBatchMeta } from 'apache-arrow/ipc/metadata/message';
import { VectorLoader } from 'apache-arrow/visitor/vectorloader';
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

/** Opens a DoGet stream: resolves with the schema once it arrives; batches are read as consumed. */
export async function decodeFlightStream(
  messages: AsyncIterable<Buffer>,
): Promise<{ schema: A.Schema; batches: AsyncIterable<A.RecordBatch> }> {
  const reader = (await A.RecordBatchReader.from(ipcFrames(messages))) as A.AsyncRecordBatchStreamReader;
  await reader.open();
  const schema = reader.schema; // read before iterating: the reader forgets it when done
  if (!schema) throw new InternalError('executor stream ended without a schema');
  return { schema, batches: reader };
}
