// An executor inside the coordinator's process with a DuckDB instance of its own (one thread by
// default): the embedded default and the cheapest way to test the distributed path.
import { Executor, ExecutorStatus, FragmentResult, SignedFragment, WireResult } from './executor';
import { FragmentEngine, EngineOptions } from './fragment-runner';
import { recordBatchesOf } from './arrow-decode';

export class InProcessExecutor implements Executor {
  private constructor(private readonly engine: FragmentEngine) {}

  static async open(opts: EngineOptions): Promise<InProcessExecutor> {
    return new InProcessExecutor(await FragmentEngine.open(opts));
  }

  get id(): string {
    return this.engine.id;
  }

  async run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    const r = await this.engine.run(fragment, signal);
    return { schema: r.schema, batches: recordBatchesOf(r.schema, r.batches), cache: r.cache };
  }

  /** Batches as DuckDB's fast path encoded them (each chunk copied once, into the client's message). */
  async runWire(fragment: SignedFragment, signal: AbortSignal): Promise<WireResult> {
    const r = await this.engine.run(fragment, signal);
    return { schema: r.schema, batches: r.batches, cache: r.cache };
  }

  status(): ExecutorStatus {
    return { id: this.id, running: this.engine.running, address: null };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}
