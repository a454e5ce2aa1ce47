// Appends Arrow record batches to a DuckDB table through an appender: rows are written into one
// reused data chunk (2048 rows), across batch boundaries, and each full chunk is handed to DuckDB.
// The appender casts a chunk column whose type differs from the table's (checked compatible before).
import * as A from 'apache-arrow';
import duckdb from '@duckdb/node-bindings';
import { DuckDBAppender, DuckDBDataChunk, DuckDBType } from '@duckdb/node-api';
import { FailedPreconditionError, InternalError, InvalidArgumentError, SkeinError } from '../errors';
import { writerForField } from './chunk-writer-factory';
import { ColumnWriter, malformed } from './chunk-writers';
import { duckdbError, messageOf } from './errors';

/**
 * The appender reports failures without DuckDB's "<Kind> Error:" prefix; these are about the data
 * (a constraint, a value that does not convert), not faults of the server.
 */
export function appenderError(e: unknown): SkeinError {
  const err = duckdbError(e);
  if (!(err instanceof InternalError)) return err;
  const m = messageOf(e);
  if (/constraint/i.test(m)) return new FailedPreconditionError(m, { cause: e });
  if (/type mismatch|convert|conversion|out of range|overflow/i.test(m)) return new InvalidArgumentError(m, { cause: e });
  return err;
}

export class ArrowAppender {
  private readonly chunk: DuckDBDataChunk;
  private readonly writers: ColumnWriter[];
  private readonly capacity = duckdb.vector_size();
  private filled = 0;
  /** Rows appended so far (including those still in the current chunk). */
  rows = 0;
  /** Milliseconds spent inside DuckDB's appender (the rest of an ingest is decoding and copying). */
  duckdbMs = 0;

  /**
   * `columns[i]` is the Arrow column that feeds table column i, `types[i]` the DuckDB type it is
   * written as (the natural mapping of that Arrow column's type).
   */
  constructor(
    private readonly appender: DuckDBAppender,
    fields: readonly A.Field[],
    private readonly columns: readonly number[],
    types: readonly DuckDBType[],
  ) {
    this.writers = columns.map((c) => writerForField(fields[c]));
    this.chunk = DuckDBDataChunk.create(types);
    this.begin();
  }

  private begin(): void {
    this.writers.forEach((w, i) => w.begin(duckdb.data_chunk_get_vector(this.chunk.chunk, i)));
  }

  append(batch: A.RecordBatch): void {
    const n = batch.numRows;
    const data = this.columns.map((c) => batch.data.children[c]);
    if (data.some((d) => !d || d.length < n)) throw malformed('a record batch has fewer column values than rows');
    for (let at = 0; at < n; ) {
      const take = Math.min(this.capacity - this.filled, n - at);
      for (let i = 0; i < this.writers.length; i++) this.writers[i].write(data[i], at, take);
      this.filled += take;
      at += take;
      if (this.filled === this.capacity) this.flush();
    }
    this.rows += n;
  }

  /** Hands the last, partly filled chunk to DuckDB. */
  finish(): void {
    if (this.filled > 0) this.flush();
  }

  private flush(): void {
    for (const w of this.writers) w.finish();
    this.chunk.rowCount = this.filled;
    const t0 = performance.now();
    try {
      this.appender.appendDataChunk(this.chunk);
    } catch (e) {
      throw appenderError(e);
    } finally {
      this.duckdbMs += performance.now() - t0;
    }
    this.chunk.reset();
    this.filled = 0;
    this.begin();
  }
}
