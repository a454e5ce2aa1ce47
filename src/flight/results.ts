// Queries executed by GetFlightInfo wait here for their DoGet. A ticket is single-use, bound to the
// user who ran the query, and expires (interrupting the query) if nobody fetches it in time.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../errors';
import { BatchSource } from './context';

interface Entry {
  source: BatchSource;
  owner: string;
  timer: NodeJS.Timeout;
}

export class ResultRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly ttlMs: number) {}

  add(owner: string, source: BatchSource): string {
    const id = `q-${randomUUID()}`;
    const timer = setTimeout(() => this.expire(id), this.ttlMs);
    timer.unref();
    this.entries.set(id, { source, owner, timer });
    return id;
  }

  take(id: string, owner: string): BatchSource {
    const e = this.entries.get(id);
    if (!e || e.owner !== owner) {
      throw new NotFoundError('unknown or expired ticket: results are fetched once, within the result TTL');
    }
    this.entries.delete(id);
    clearTimeout(e.timer);
    return e.source;
  }

  /** Stops a parked result of `owner` (CancelFlightInfo); false if there is none to stop. */
  dropOwned(id: string, owner: string): boolean {
    const e = this.entries.get(id);
    if (!e || e.owner !== owner) return false;
    this.expire(id);
    return true;
  }

  /** Stops and forgets a parked result (no-op once it has been taken). */
  drop(id: string): void {
    this.expire(id);
  }

  private expire(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    e.source.interrupt();
    e.source.close();
  }

  get size(): number {
    return this.entries.size;
  }

  closeAll(): void {
    for (const id of [...this.entries.keys()]) this.expire(id);
  }
}
