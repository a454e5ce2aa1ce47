// The executor side of a shuffle: a repartition fragment's rows are written as Parquet files, one
// directory per partition, into the query's scratch directory, where the shuffle-join fragments of
// each partition read them. Writes happen in a private directory that is renamed into place only
// when complete, so readers never see half a fragment and a retried fragment is harmless: if an
// earlier attempt already committed, the later one throws its own copy away.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection } from '@duckdb/node-api';
import { CancelledError } from '../errors';
import { quoteIdent, quoteLiteral } from '../duckdb/sql';
import { Fragment, FragmentSink, sinkDirectory } from '../planner/plan';

const ROWS_FILE = 'rows-written';


/** Runs the fragment's query into its sink; resolves to the number of rows written. */
export async function writeSink(conn: DuckDBConnection, fragment: Fragment, signal: AbortSignal): Promise<number> {
  const sink = fragment.sink as FragmentSink;
  const final = sinkDirectory(sink, fragment.id);
  if (existsSync(final)) return Number(readFileSync(join(final, ROWS_FILE), 'utf8'));
  const tmp = join(sink.directory, `tmp-${fragment.id}-${randomUUID()}`);
  mkdirSync(sink.directory, { recursive: true });
  const onAbort = (): void => conn.interrupt();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const copied = await conn.runAndReadAll(
      `COPY (${fragment.sql}) TO ${quoteLiteral(tmp)} (FORMAT parquet, PARTITION_BY (${quoteIdent(sink.column)}))`,
    );
    const rows = Number(copied.getRows()[0]?.[0] ?? 0);
    // partitions that got no rows still get a file with the columns, so each one's glob matches
    for (let k = 0; k < sink.partitions; k++) {
      const dir = join(tmp, `${sink.column}=${k}`);
      if (existsSync(dir)) continue;
      if (signal.aborted) throw new CancelledError('fragment cancelled');
      mkdirSync(dir, { recursive: true });
      await conn.run(
        `COPY (SELECT * EXCLUDE (${quoteIdent(sink.column)}) FROM (${fragment.sql}) LIMIT 0) TO ${quoteLiteral(join(dir, 'data_0.parquet'))} (FORMAT parquet)`,
      );
    }
    writeFileSync(join(tmp, ROWS_FILE), String(rows));
    if (signal.aborted) throw new CancelledError('fragment cancelled');
    try {
      renameSync(tmp, final);
    } catch (e) {
      // another attempt of the same fragment committed first: its files are complete
      if (!existsSync(final)) throw e;
      rmSync(tmp, { recursive: true, force: true });
    }
    return rows;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
