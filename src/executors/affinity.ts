// Which executor last ran fragments over a file: the scheduler sends later fragments over the same
// files there, where DuckDB's and the OS's caches are already warm. In memory, bounded, LRU-ish.
import { Fragment } from '../planner/plan';

export class AffinityMap {
  private readonly owner = new Map<string, string>();
  private readonly advertised = new Map<string, (file: string) => boolean>();

  constructor(private readonly limit = 100_000) {}

  record(fragment: Fragment, executor: string): void {
    for (const input of fragment.inputs) {
      for (const file of input.files) {
        this.owner.delete(file); // re-insert: the newest entries survive eviction
        this.owner.set(file, executor);
      }
    }
    while (this.owner.size > this.limit) {
      const oldest = this.owner.keys().next().value as string;
      this.owner.delete(oldest);
    }
  }

  /** What an executor itself says it holds (e.g. advertised in the registry); null forgets it. */
  advertise(executor: string, holds: ((file: string) => boolean) | null): void {
    if (holds) this.advertised.set(executor, holds);
    else this.advertised.delete(executor);
  }

  /** How many of the fragment's files `executor` ran last here, or says it holds. */
  score(fragment: Fragment, executor: string): number {
    const holds = this.advertised.get(executor);
    let n = 0;
    for (const input of fragment.inputs) {
      for (const file of input.files) if (this.owner.get(file) === executor || holds?.(file)) n++;
    }
    return n;
  }

  get size(): number {
    return this.owner.size;
  }
}
