// The files an executor read most recently (as digests), which it advertises in the registry so
// coordinators send fragments over those files back to it, where the caches are warm.
import { Fragment } from '../planner/plan';
import { fileDigest } from './registry';

export class RecentFiles {
  /** digest → true, in least-recently-used order (Map keeps insertion order). */
  private readonly files = new Map<string, true>();

  constructor(private readonly limit = 2000) {}

  record(fragment: Fragment): void {
    for (const input of fragment.inputs) {
      for (const file of input.files) {
        const d = fileDigest(file);
        this.files.delete(d);
        this.files.set(d, true);
      }
    }
    while (this.files.size > this.limit) this.files.delete(this.files.keys().next().value as string);
  }

  /** Digests, oldest first. */
  digests(): string[] {
    return [...this.files.keys()];
  }
}
