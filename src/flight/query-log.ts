// One query log entry per statement: started when the statement starts, finished when its result
// has been read to the end (or failed, or was abandoned), then handed to the background writer so
// the statement never waits for the registry.
import { monotonicFactory } from 'ulid';
import { randomUUID } from 'node:crypto';
import { FragmentScheduler } from '../executors/run-plan';
import { CancelledError, SkeinError } from '../errors';
import { ResultBatch } from '../duckdb/record-batches';
import { QueryLogEntry } from '../registry/registry';
import { status } from '@grpc/grpc-js';
import { BatchSource, CallContext } from './context';

const nextUlid = monotonicFactory();

/** What the distributed path learns about a statement, for its log entry. */
export interface StatementFacts {
  bytesScanned: number | null;
  executors: Set<string>;
  cacheUri: string | null;
}

function errorText(e: unknown): string {
  if (e instanceof SkeinError) return `${status[e.code]}: ${e.message}`;
  return `INTERNAL: ${(e as Error)?.message ?? String(e)}`;
}

export class StatementLog {
  readonly facts: StatementFacts = { bytesScanned: null, executors: new Set(), cacheUri: null };
  queryId: string = randomUUID();
  private readonly id = nextUlid();
  private readonly startedAt = new Date();
  private readonly t0 = performance.now();
  private finished = false;

  constructor(
    private readonly ctx: CallContext,
    private readonly kind: QueryLogEntry['kind'],
    private readonly text: string,
  ) {}

  /** Records the outcome once; later calls are ignored. */
  finish(error: unknown, rows: number | null): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.state.queryLog?.write({
      id: this.id,
      queryId: this.queryId,
      kind: this.kind,
      query: this.text,
      user: this.ctx.principal.user,
      startedAt: this.startedAt.toISOString(),
      durationMs: Math.round((performance.now() - this.t0) * 1000) / 1000,
      rows: error ? null : rows,
      bytesScanned: this.facts.bytesScanned,
      executors: [...this.facts.executors].sort(),
      cacheUri: this.facts.cacheUri,
      error: error ? errorText(error) : null,
    });
  }

  /** The same result, logging the statement when it has been read to the end, failed or was dropped. */
  wrap(source: BatchSource): BatchSource {
    let rows = 0;
    const finish = (e: unknown, n: number | null): void => this.finish(e, n);
    const batches = (async function* (): AsyncGenerator<ResultBatch> {
      let ended = false;
      try {
        for await (const b of source.batches) {
          rows += b.numRows;
          yield b;
        }
        ended = true;
        finish(null, rows);
      } catch (e) {
        ended = true;
        finish(e, null);
        throw e;
      } finally {
        if (!ended) finish(new CancelledError('the result was not read to the end'), null);
      }
    })();
    return {
      schema: source.schema,
      batches,
      interrupt: () => source.interrupt(),
      close: () => {
        this.finish(new CancelledError('the result was not read to the end'), null);
        source.close();
      },
    };
  }
}

/** A log entry for a statement, or null when the server keeps no query log. */
export function statementLog(ctx: CallContext, kind: QueryLogEntry['kind'], text: string): StatementLog | null {
  return ctx.state.queryLog ? new StatementLog(ctx, kind, text) : null;
}

/** The scheduler, noting which executors ran the statement's fragments. */
export function trackExecutors(scheduler: FragmentScheduler, used: Set<string>): FragmentScheduler {
  async function* noted<R extends object>(rows: AsyncIterable<R>): AsyncGenerator<R> {
    for await (const r of rows) {
      const executor = (r as { executor?: unknown }).executor;
      if (typeof executor === 'string') used.add(executor);
      yield r;
    }
  }
  const wire = scheduler.runAllWire?.bind(scheduler);
  return {
    runAll: (fragments, signal) => noted(scheduler.runAll(fragments, signal)),
    ...(wire && { runAllWire: (fragments: Parameters<typeof wire>[0], signal: AbortSignal) => noted(wire(fragments, signal)) }),
  };
}
