// Prepared statements created through Flight SQL: SQL text, the caller who owns it, and the
// parameters last bound through DoPut. The DuckDB statement itself is re-prepared on each execution
// on a fresh connection, so a handle holds no connection while a client keeps it open.
import { randomUUID } from 'node:crypto';
import * as A from 'apache-arrow';
import { NotFoundError } from '../errors';

export interface PreparedStatement {
  sql: string;
  owner: string;
  isUpdate: boolean;
  params: A.RecordBatch[] | null;
  /** The transaction the statement was prepared in: its executions run there too. */
  transactionId: Buffer | null;
  lastUsed: number;
}

export class PreparedStatements {
  private readonly map = new Map<string, PreparedStatement>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly idleMs: number) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  create(owner: string, sql: string, isUpdate: boolean, transactionId: Buffer | null = null): Buffer {
    const id = `p-${randomUUID()}`;
    this.map.set(id, { sql, owner, isUpdate, params: null, transactionId, lastUsed: Date.now() });
    return Buffer.from(id, 'utf8');
  }

  get(handle: Uint8Array, owner: string): PreparedStatement {
    const p = this.map.get(Buffer.from(handle).toString('utf8'));
    if (!p || p.owner !== owner) {
      throw new NotFoundError('unknown prepared statement handle (closed or expired)');
    }
    p.lastUsed = Date.now();
    return p;
  }

  close(handle: Uint8Array, owner: string): void {
    const key = Buffer.from(handle).toString('utf8');
    const p = this.map.get(key);
    if (p && p.owner === owner) this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [k, p] of this.map) if (p.lastUsed < cutoff) this.map.delete(k);
  }

  closeAll(): void {
    clearInterval(this.sweeper);
    this.map.clear();
  }
}
