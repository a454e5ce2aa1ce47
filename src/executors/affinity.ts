// Which executor last ran fragments over a file: the scheduler sends later fragments over the same
// files there, where DuckDB's and the OS's caches are already warm. In memory, bounded, LRU-ish.
import { Fragment } from '../planner/plan';

export class AffinityMap {
  private readonly owner = new Map<string, string>();

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

  /** How many of the fragment's files `executor` ran last. */
  score(fragment: Fragment, executor: string): number {
    let n = 0;
    for (const input of fragment.inputs) for (const file of input.files) if (this.owner.get(file) === executor) n++;
    return n;
  }

  get size(): number {
    return this.owner.size;
  }
}
