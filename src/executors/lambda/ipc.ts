// Arrow IPC stream bytes to and from what executors produce: the Engine function encodes a
// fragment's batches, the coordinator decodes them (checked like any Arrow data from the wire).
import * as A from 'apache-arrow';
import { ResultBatch } from '../../duckdb/record-batches';
import { InternalError } from '../../errors';
import { verifyBatchData } from '../../flight/ipc-verify';
import { toRecordBatch } from '../arrow-decode';

export interface EncodedResult {
  bytes: Uint8Array;
  rows: number;
}

/** The whole result as one IPC stream (schema first, even when there are no rows). */
export async function encodeIpcStream(schema: A.Schema, batches: AsyncIterable<ResultBatch>): Promise<EncodedResult> {
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  let rows = 0;
  for await (const b of batches) {
    const rb = toRecordBatch(schema, b);
    rows += rb.numRows;
    writer.write(rb);
  }
  writer.finish();
  return { bytes: writer.toUint8Array(true), rows };
}

/** The same IPC stream in pieces, as DuckDB produces the batches (for streamed responses). */
export async function* ipcStreamChunks(schema: A.Schema, batches: AsyncIterable<ResultBatch>): AsyncGenerator<Uint8Array> {
  const writer = new A.RecordBatchStreamWriter();
  writer.reset(undefined, schema);
  // the writer is a byte queue: fill it from the batches while its bytes are read
  let failed: { error: unknown } | null = null;
  const fill = (async () => {
    try {
      for await (const b of batches) writer.write(toRecordBatch(schema, b));
      writer.finish();
    } catch (e) {
      failed = { error: e };
      writer.abort(); // the queue's reader then fails with an error of its own: ours is rethrown below
    }
  })();
  try {
    for await (const chunk of writer) yield chunk;
  } catch (e) {
    if (!failed) throw e;
  } finally {
    await fill;
  }
  if (failed) throw (failed as { error: unknown }).error;
}

export function decodeIpcStream(bytes: Uint8Array, what: string): { schema: A.Schema; batches: A.RecordBatch[] } {
  try {
    const reader = A.RecordBatchReader.from(bytes);
    reader.open();
    const schema = reader.schema; // read before iterating: the reader forgets it when done
    const batches = [...reader].filter((b) => b.numRows > 0);
    for (const b of batches) verifyBatchData(b);
    return { schema, batches };
  } catch (e) {
    throw new InternalError(`${what}: malformed Arrow IPC result: ${(e as Error).message}`, { cause: e });
  }
}
