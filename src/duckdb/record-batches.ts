// Turns a streaming DuckDB result into Arrow record batches of about `batchBytes`, never larger than
// `maxBatchBytes`. The next chunk is fetched from DuckDB (on its own thread) while the current batch
// is converted, so conversion overlaps execution.
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { DuckDBDataChunk, DuckDBResult, DuckDBType, DuckDBTypeId } from '@duckdb/node-api';
import { fixedBytesPerRow, makeAppender } from './appender-factory';
import { canEncodeDirect, encodeDirect, EncodedBatch, Piece } from './direct-batches';
import { isValid } from './validity';

/** What the batcher yields: an Arrow record batch, or one already encoded as IPC (fast path). */
export type ResultBatch = A.RecordBatch | EncodedBatch;

export interface BatchOptions {
  batchBytes: number;
  maxBatchBytes: number;
}


const VAR_TYPES = new Set([DuckDBTypeId.VARCHAR, DuckDBTypeId.BLOB, DuckDBTypeId.BIT, DuckDBTypeId.BIGNUM]);

export class BatchBuilder {
  private readonly fixedRowBytes: number;
  private readonly varColumns: number[];
  private readonly direct: boolean;

  constructor(
    readonly schema: A.Schema,
    private readonly types: readonly DuckDBType[],
  ) {
    this.fixedRowBytes = types.reduce((s, t) => s + fixedBytesPerRow(t), 0);
    this.varColumns = types.flatMap((t, i) => (VAR_TYPES.has(t.typeId) ? [i] : []));
    this.direct = types.length > 0 && canEncodeDirect(types);
  }

  /** Estimated Arrow bytes of rows [start, start+count) of a chunk. */
  private measure(chunk: DuckDBDataChunk, start: number, count: number): number {
    let bytes = count * this.fixedRowBytes;
    const rows = chunk.rowCount;
    for (const c of this.varColumns) {
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, c);
      const data = duckdb.vector_get_data(vec, rows * 16);
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      // NULL slots may hold any length (a sorted result's hold garbage): count valid rows only
      const mask = duckdb.vector_get_validity(vec, ((rows + 63) >> 6) * 8);
      for (let r = start; r < start + count; r++) if (isValid(mask, r)) bytes += view.getUint32(r * 16, true);
    }
    return bytes;
  }

  /** Splits a chunk into pieces that each fit under maxBatchBytes. */
  pieces(chunk: DuckDBDataChunk, maxBytes: number): Piece[] {
    const rows = chunk.rowCount;
    const total = this.measure(chunk, 0, rows);
    if (total <= maxBytes || rows <= 1) return [{ chunk, start: 0, count: rows, bytes: total }];
    const out: Piece[] = [];
    let start = 0;
    while (start < rows) {
      let count = Math.max(1, Math.floor(((rows - start) * maxBytes) / Math.max(1, this.measure(chunk, start, rows - start))));
      count = Math.min(count, rows - start);
      let bytes = this.measure(chunk, start, count);
      while (bytes > maxBytes && count > 1) {
        count = Math.max(1, count >> 1);
        bytes = this.measure(chunk, start, count);
      }
      out.push({ chunk, start, count, bytes });
      start += count;
    }
    return out;
  }

  build(pieces: Piece[]): ResultBatch {
    return this.direct ? encodeDirect(pieces, this.types) : this.toArrow(pieces);
  }

  toArrow(pieces: Piece[]): A.RecordBatch {
    const length = pieces.reduce((s, p) => s + p.count, 0);
    const fields = this.schema.fields;
    const columns = fields.map((f, c) => {
      const app = makeAppender(this.types[c], f.type, length);
      for (const p of pieces) {
        const vec = duckdb.data_chunk_get_vector(p.chunk.chunk, c);
        app.append(vec, p.chunk.rowCount, { start: p.start, count: p.count, idx: null });
      }
      return app.finish();
    });
    const data = A.makeData({
      type: new A.Struct(fields),
      length,
      nullCount: 0,
      children: columns,
    });
    return new A.RecordBatch(this.schema, data);
  }
}

/** Streams record batches out of a DuckDB streaming (or materialized) result. */
export async function* recordBatches(
  result: DuckDBResult,
  schema: A.Schema,
  types: readonly DuckDBType[],
  opts: BatchOptions,
): AsyncGenerator<ResultBatch> {
  const builder = new BatchBuilder(schema, types);
  let pending: Piece[] = [];
  let pendingBytes = 0;
  // one native fetch per 2,048 rows is the hot loop: call the binding directly, skipping the wrapper's
  // extra async layer (the handle is a documented-in-JS, TS-protected field of DuckDBResult)
  const raw = (result as unknown as { result: duckdb.Result }).result;
  // a materialized result's chunks are read synchronously, by index
  const materialized = !duckdb.result_is_streaming(raw);
  const chunkCount = materialized ? duckdb.result_chunk_count(raw) : 0;
  let chunkIndex = 0;
  const fetch = async (): Promise<DuckDBDataChunk | null> => {
    if (materialized) return chunkIndex < chunkCount ? new DuckDBDataChunk(duckdb.result_get_chunk(raw, chunkIndex++)) : null;
    const c = await duckdb.fetch_chunk(raw);
    return c ? new DuckDBDataChunk(c) : null;
  };
  let next: Promise<DuckDBDataChunk | null> | null = fetch();
  while (next) {
    const chunk: DuckDBDataChunk | null = await next;
    const done: boolean = !chunk || chunk.rowCount === 0;
    next = done ? null : fetch();
    if (!done && chunk) {
      for (const p of builder.pieces(chunk, opts.maxBatchBytes)) {
        if (pending.length > 0 && pendingBytes + p.bytes > opts.maxBatchBytes) {
          yield builder.build(pending);
          pending = [];
          pendingBytes = 0;
        }
        pending.push(p);
        pendingBytes += p.bytes;
        if (pendingBytes >= opts.batchBytes) {
          yield builder.build(pending);
          pending = [];
          pendingBytes = 0;
        }
      }
    }
  }
  if (pending.length > 0) yield builder.build(pending);
}
