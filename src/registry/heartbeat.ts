// An executor's registration: its record sent now and every interval (each send renews its TTL),
// and removed on stop. A failed heartbeat (Redis down) is logged once and retried on the next tick;
// the executor keeps serving meanwhile.
import { log } from '../log';
import { ExecutorRecord, ExecutorRegistry } from './registry';

export interface HeartbeatOptions {
  intervalMs: number;
  ttlMs: number;
}

export class ExecutorHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<boolean> | null = null;
  private stopped = false;
  private failing = false;
  /** Heartbeats that reached the registry. */
  sent = 0;

  constructor(
    private readonly registry: ExecutorRegistry,
    /** The record as it is now (heartbeatAt is filled in per send). */
    private readonly describe: () => Omit<ExecutorRecord, 'heartbeatAt'>,
    private readonly opts: HeartbeatOptions,
  ) {}

  /** Sends the first heartbeat (its success is returned, failure is not fatal) and keeps beating. */
  async start(): Promise<boolean> {
    const ok = await this.beat();
    this.schedule();
    return ok;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer); // start() again: still one chain of beats
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) void this.beat().then(() => this.schedule());
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  private beat(): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      const record = { ...this.describe(), heartbeatAt: Date.now() };
      try {
        await this.registry.heartbeat(record, this.opts.ttlMs);
        this.sent++;
        if (this.failing) log.info({ executor: record.id }, 'registry heartbeat works again');
        this.failing = false;
        return true;
      } catch (e) {
        if (!this.failing) log.warn({ executor: record.id, err: (e as Error).message }, 'registry heartbeat failed; retrying');
        this.failing = true;
        return false;
      }
    };
    this.beating = run();
    return this.beating;
  }

  /** Stops beating and removes the record (best effort: it expires anyway after the TTL). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.beating;
    const id = this.describe().id;
    try {
      await this.registry.deregister(id);
    } catch (e) {
      log.warn({ executor: id, err: (e as Error).message }, 'registry deregistration failed; the record expires after its TTL');
    }
  }
}
