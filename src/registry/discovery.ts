// The coordinator's view of registered executors: every interval it reads the live records and
// brings the executor pool in line — new executors join as remote executors, ones whose heartbeat
// stopped leave, and each one's advertised files feed the scheduler's cache affinity.
//
// An executor is forgotten only after the coordinator itself has seen no fresh heartbeat for a TTL
// while the registry answered: a Redis outage (or a restarted, empty Redis that executors have not
// re-registered with yet) never empties the pool, so executors already known keep working.
import { Executor } from '../executors/executor';
import { ExecutorPool } from '../executors/pool';
import { RemoteExecutor } from '../executors/remote';
import { log } from '../log';
import { ExecutorRecord, ExecutorRegistry, fileDigest } from './registry';

export interface DiscoveryOptions {
  intervalMs: number;
  ttlMs: number;
  /** gRPC deadline per fragment on discovered executors (0 = none). */
  fragmentTimeoutMs: number;
}

interface Known {
  address: string;
  heartbeatAt: number;
  /** Our clock when we last saw its heartbeat change. */
  freshAt: number;
  executor: Executor;
}

/** Remembers file digests so scoring a fragment does not hash its paths again and again. */
class DigestCache {
  private readonly map = new Map<string, string>();
  of(file: string): string {
    let d = this.map.get(file);
    if (d === undefined) {
      if (this.map.size >= 200_000) this.map.clear();
      d = fileDigest(file);
      this.map.set(file, d);
    }
    return d;
  }
}

export class ExecutorDiscovery {
  private readonly known = new Map<string, Known>();
  private readonly digests = new DigestCache();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private outage = false;
  private stopped = false;
  private readonly closing = new Set<Promise<void>>();

  private constructor(
    private readonly pool: ExecutorPool,
    private readonly registry: ExecutorRegistry,
    private readonly opts: DiscoveryOptions,
  ) {}

  /** Reads the registry once (so executors already registered are in the pool) and keeps watching. */
  static async start(pool: ExecutorPool, registry: ExecutorRegistry, opts: DiscoveryOptions): Promise<ExecutorDiscovery> {
    const d = new ExecutorDiscovery(pool, registry, opts);
    await d.refresh();
    d.schedule();
    return d;
  }

  /** Ids of the executors this discovery added and still holds. */
  get discovered(): string[] {
    return [...this.known.keys()].sort();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.refresh().then(() => this.schedule()), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass: read the live records and update the pool. Never throws. */
  refresh(): Promise<void> {
    this.refreshing ??= this.sync().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private async sync(): Promise<void> {
    let records: ExecutorRecord[];
    try {
      records = await this.registry.liveExecutors();
    } catch (e) {
      if (!this.outage) log.warn({ err: (e as Error).message }, 'executor discovery: registry unavailable; keeping the executors known');
      this.outage = true;
      return;
    }
    if (this.stopped) return;
    const now = Date.now();
    if (this.outage) {
      // the registry is back: give every executor a full TTL to re-register before forgetting it
      for (const k of this.known.values()) k.freshAt = now;
      this.outage = false;
      log.info('executor discovery: registry reachable again');
    }
    const live = new Set<string>();
    for (const r of records) {
      live.add(r.id);
      const k = this.known.get(r.id);
      if (k && k.address !== r.address) this.forget(r.id, 'address changed'); // restarted elsewhere
      const current = this.known.get(r.id);
      if (current) {
        if (current.heartbeatAt !== r.heartbeatAt) {
          current.heartbeatAt = r.heartbeatAt;
          current.freshAt = now;
        }
      } else if (!this.pool.executors.some((e) => e.id === r.id)) {
        // (one already in the pool, e.g. our own child process registering itself, only advertises files)
        const executor = new RemoteExecutor({ id: r.id, address: r.address, timeoutMs: this.opts.fragmentTimeoutMs });
        if (!this.pool.addMember(executor)) {
          void executor.close(); // the pool is closing
          continue;
        }
        this.known.set(r.id, { address: r.address, heartbeatAt: r.heartbeatAt, freshAt: now, executor });
        log.info({ executor: r.id, address: r.address }, 'executor discovered');
      }
      const files = new Set(r.files);
      this.pool.advertise(r.id, files.size > 0 ? (file) => files.has(this.digests.of(file)) : null);
    }
    for (const [id, k] of this.known) {
      if (now - k.freshAt <= this.opts.ttlMs) continue;
      this.forget(id, live.has(id) ? 'heartbeat stale' : 'registration expired');
    }
  }

  private forget(id: string, why: string): void {
    const k = this.known.get(id);
    if (!k) return;
    this.known.delete(id);
    const executor = this.pool.removeMember(id);
    log.info({ executor: id, address: k.address, why }, 'executor forgotten');
    if (executor) this.closeWhenIdle(executor);
  }

  /** Closes a removed executor once its running fragments are done (or after the fragment timeout). */
  private closeWhenIdle(executor: Executor): void {
    const deadline = Date.now() + (this.opts.fragmentTimeoutMs || 60_000);
    const p = (async () => {
      while (executor.status().running > 0 && Date.now() < deadline && !this.stopped) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await executor.close();
    })().finally(() => this.closing.delete(p));
    this.closing.add(p);
  }

  /** Stops watching. The pool keeps (and later closes) the executors it has. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refreshing;
    await Promise.all(this.closing);
  }
}
