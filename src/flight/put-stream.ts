// The Arrow stream of a DoPut, decoded while it arrives: each FlightData message is framed as an
// IPC message and fed to apache-arrow's streaming reader, which takes batch bodies without copying.
// Nothing is buffered beyond the batch being consumed, so a bulk ingest can be any size.
import * as A from 'apache-arrow';
import { CancelledError, InvalidArgumentError, SkeinError } from '../errors';
import { decodeFlightData, DecodedFlightData } from './ipc';
import { verifyBatchData, verifyIpcMessage } from './ipc-verify';

export interface ArrowStream {
  schema: A.Schema;
  /** The record batches, read from the client as they are consumed (a single pass). */
  batches: AsyncIterable<A.RecordBatch>;
}

const CONTINUATION = 0xffffffff;

function prefix(header: Uint8Array): Uint8Array {
  const len = (header.length + 7) & ~7;
  const out = new Uint8Array(8 + len);
  const view = new DataView(out.buffer);
  view.setUint32(0, CONTINUATION, true);
  view.setInt32(4, len, true);
  out.set(header, 8);
  return out;
}

/** Errors of the byte source pass through; anything the reader throws is malformed input. */
function asInputError(e: unknown): SkeinError {
  if (e instanceof SkeinError) return e;
  return new InvalidArgumentError(`malformed Arrow IPC data: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}

async function* ipcBytes(first: DecodedFlightData, rest: AsyncIterator<Buffer>): AsyncGenerator<Uint8Array> {
  let m: DecodedFlightData | null = first;
  for (;;) {
    if (m?.header) {
      verifyIpcMessage(m.header, m.body);
      yield prefix(m.header);
      if (m.body && m.body.length > 0) yield m.body;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await rest.next();
    } catch (e) {
      // grpc-js destroys the request stream when the client cancels or the deadline passes
      throw new CancelledError('the client cancelled the upload (or its deadline passed)', { cause: e });
    }
    if (r.done) return;
    m = decodeFlightData(r.value);
  }
}

/**
 * Opens the Arrow stream that follows the descriptor. Resolves once the schema has arrived; null
 * when the client sent no Arrow data at all.
 */
export async function openArrowStream(first: DecodedFlightData, rest: AsyncIterator<Buffer>): Promise<ArrowStream | null> {
  let reader: A.AsyncRecordBatchStreamReader;
  try {
    reader = (await A.RecordBatchReader.from(ipcBytes(first, rest))) as A.AsyncRecordBatchStreamReader;
    await reader.open();
  } catch (e) {
    throw asInputError(e);
  }
  const schema = reader.schema; // read before iterating: the reader forgets it when done
  if (!schema) return null;
  return {
    schema,
    batches: (async function* () {
      const it = reader[Symbol.asyncIterator]();
      for (;;) {
        let r: IteratorResult<A.RecordBatch>;
        try {
          r = await it.next();
        } catch (e) {
          throw asInputError(e);
        }
        if (r.done) return;
        verifyBatchData(r.value);
        yield r.value;
      }
    })(),
  };
}
