// Fargate executors found through the registry (Redis): each task's `skein executor` registers
// under an id the coordinator gave it in the task's command override, with heartbeats, and the
// coordinator reaches it at the address in its record, not at the private IP DescribeTasks reports.
// Afterwards a watch drops tasks that stopped or whose record expired from the pool (StopTask).
//
// In real AWS the container learns its own address from the task metadata endpoint: the image's
// entrypoint (command overrides replace CMD, not ENTRYPOINT) reads
// `$ECS_CONTAINER_METADATA_URI_V4/task` → `.Containers[0].Networks[0].IPv4Addresses[0]` and
// appends `--advertise grpc://<that IP>:<port>` to the arguments it is given.
import { randomBytes } from 'node:crypto';
import { RegistryConfig } from '../../config';
import { DeadlineExceededError, UnavailableError } from '../../errors';
import { log } from '../../log';
import { redactUrl } from '../../registry/redact-url';
import { ExecutorRecord, ExecutorRegistry } from '../../registry/registry';
import type { ExecutorPool } from '../pool';
import type { FargateFleet, FargateTask } from './fargate';

/** Ids for the executors of `count` tasks, unique to this fleet (coordinators may share a Redis). */
export function fleetIds(count: number): string[] {
  const fleet = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => `fargate-${fleet}-${i + 1}`);
}

/**
 * The task's registry arguments. A URL holding a password is not passed (overrides are visible to
 * anyone who can describe tasks): the task definition then sets SKEIN_REDIS_URL from Secrets Manager.
 */
export function registryArgs(rc: RegistryConfig, id: string): string[] {
  const url = rc.redisUrl as string;
  const secretUrl = (() => {
    try {
      return new URL(url).password !== '';
    } catch {
      return true;
    }
  })();
  return [
    ...(secretUrl ? [] : ['--redis', url]),
    '--redis-prefix', rc.keyPrefix,
    '--heartbeat-seconds', String(rc.heartbeatSeconds),
    '--ttl-seconds', String(rc.ttlSeconds),
    '--id', id,
  ];
}

/** Waits until each task's executor has a record; a task that stops or never registers fails the start. */
export async function waitRegistered(
  fleet: FargateFleet,
  registry: ExecutorRegistry,
  tasks: readonly FargateTask[],
  opts: { timeoutMs: number; pollMs: number; redisUrl: string },
): Promise<ExecutorRecord[]> {
  const until = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    const found = new Map<string, ExecutorRecord>();
    try {
      for (const r of await registry.liveExecutors()) found.set(r.id, r);
      lastError = '';
    } catch (e) {
      lastError = `; the registry failed: ${(e as Error).message}`;
    }
    const missing = tasks.filter((t) => !found.has(fleet.idOf(t.arn)));
    if (missing.length === 0) return tasks.map((t) => found.get(fleet.idOf(t.arn)) as ExecutorRecord);
    const gone = fleet.stoppedOf(await fleet.describeSome(missing.map((t) => t.arn)));
    if (gone) throw new UnavailableError(`executor task ${gone.arn} (${fleet.idOf(gone.arn)}) stopped before its executor registered (${gone.why})`);
    if (Date.now() > until) {
      const names = missing.map((t) => `task ${t.arn} (executor ${fleet.idOf(t.arn)})`).join(', ');
      throw new DeadlineExceededError(
        `executors never registered in the registry ${redactUrl(opts.redisUrl)} within ${opts.timeoutMs / 1000} s: ${names}${lastError}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}

/**
 * Keeps the pool in line with the fleet: a task ECS reports stopped (or no longer knows), or whose
 * record the coordinator has not seen for a TTL while the registry answered, leaves the pool and is
 * stopped. A registry outage never drops anyone (each task gets a fresh TTL when it is back).
 */
export class FleetWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private outage = false;
  private readonly seenAt = new Map<string, number>();

  constructor(
    private readonly fleet: FargateFleet,
    private readonly registry: ExecutorRegistry,
    private readonly pool: ExecutorPool,
    private readonly opts: { intervalMs: number; ttlMs: number },
  ) {
    for (const arn of fleet.taskArns) this.seenAt.set(fleet.idOf(arn), Date.now());
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick().then(() => this.schedule()), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One pass; never throws. */
  async tick(): Promise<void> {
    const arns = this.fleet.taskArns;
    if (arns.length === 0 || this.stopped) return;
    let live: Set<string> | null = null;
    try {
      live = new Set((await this.registry.liveExecutors()).map((r) => r.id));
    } catch (e) {
      if (!this.outage) log.warn({ err: (e as Error).message }, 'Fargate executors: registry unavailable; keeping every task');
      this.outage = true;
    }
    const now = Date.now();
    if (live && this.outage) {
      for (const id of this.seenAt.keys()) this.seenAt.set(id, now);
      this.outage = false;
    }
    let stopped = new Map<string, string>();
    try {
      stopped = this.fleet.stoppedAll(await this.fleet.describeSome(arns));
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'Fargate executors: cannot describe the tasks');
    }
    for (const arn of arns) {
      if (this.stopped) return;
      const id = this.fleet.idOf(arn);
      if (live?.has(id)) this.seenAt.set(id, now);
      const why = stopped.get(arn) ?? (live && now - (this.seenAt.get(id) ?? now) > this.opts.ttlMs ? 'registration expired' : null);
      if (why) this.drop(id, arn, why);
    }
  }

  private drop(id: string, arn: string, why: string): void {
    const executor = this.pool.removeMember(id);
    if (!executor) return; // the pool is closing, or it left already
    log.warn({ executor: id, task: arn, why }, 'Fargate executor dropped');
    void (async () => {
      // fragments running there finish or fail (and are retried elsewhere) before the task stops
      const deadline = Date.now() + 60_000;
      while (executor.status().running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await executor.close();
    })().catch((e: unknown) => log.error({ err: e, task: arn }, 'cannot stop a dropped Fargate executor'));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
