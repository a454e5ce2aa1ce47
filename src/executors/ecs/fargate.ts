// Executors as Fargate tasks: the coordinator starts N tasks of the executor's task definition
// (RunTask, `skein executor` as the container command), waits until ECS reports them RUNNING
// (DescribeTasks) and their executors answer, reaches each at its private IP, and stops them
// (StopTask) when the pool closes. The fragment-signing secret is never passed here: the task
// definition takes SKEIN_EXECUTOR_SECRET from Secrets Manager. With a registry (Redis) configured,
// each task registers its executor there instead and is reached at its record's address
// (fargate-registry.ts).
import {
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  Task,
} from '@aws-sdk/client-ecs';
import {
  DeadlineExceededError,
  FailedPreconditionError,
  PermissionDeniedError,
  SkeinError,
  UnavailableError,
} from '../../errors';
import { RegistryConfig } from '../../config';
import { log } from '../../log';
import { openRegistry } from '../../registry/open';
import { Registry } from '../../registry/registry';
import { EcsConfig } from '../cloud-config';
import { Executor, ExecutorStatus, FragmentResult, SignedFragment, WireResult } from '../executor';
import type { ExecutorPool } from '../pool';
import { RemoteExecutor } from '../remote';
import { fleetIds, FleetWatch, registryArgs, waitRegistered } from './fargate-registry';

export interface FargateTask {
  arn: string;
  lastStatus: string;
  desiredStatus: string;
  /** Private IPv4 of the task's network interface (awsvpc), once ECS has attached it. */
  privateIp: string | null;
  stoppedReason: string;
}

export interface FargateFleetOptions {
  config: EcsConfig;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Where the executor of a task listens (default `<private IP>:<config.port>`). */
  addressOf?: (task: FargateTask, index: number) => string;
  /** DescribeTasks poll interval while waiting (default 2 s). */
  pollMs?: number;
  /** Extra environment for the executor containers (never secrets: DescribeTasks shows overrides). */
  environment?: Record<string, string>;
  /** The `startedBy` tag of the tasks (ListTasks finds them by it). */
  startedBy?: string;
  /**
   * The registry (registry.redisUrl set): each task's executor registers there under an id given in
   * its command (`--id fargate-…`) and is reached at its record's address, not its private IP.
   */
  registry?: RegistryConfig;
}

/** RunTask starts at most 10 tasks per call; DescribeTasks describes at most 100. */
const RUN_BATCH = 10;
const DESCRIBE_BATCH = 100;
const GONE = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED', 'DELETED']);

function taskOf(t: Task): FargateTask {
  const eni = t.attachments?.find((a) => a.type === 'ElasticNetworkInterface');
  const ip =
    eni?.details?.find((d) => d.name === 'privateIPv4Address')?.value ??
    t.containers?.flatMap((c) => c.networkInterfaces ?? []).find((n) => n.privateIpv4Address)?.privateIpv4Address ??
    null;
  return {
    arn: t.taskArn ?? '',
    lastStatus: t.lastStatus ?? 'UNKNOWN',
    desiredStatus: t.desiredStatus ?? 'UNKNOWN',
    privateIp: ip,
    stoppedReason: t.stoppedReason ?? '',
  };
}

/** An ECS API failure as a typed error naming what was asked. */
function ecsError(e: unknown, what: string): SkeinError {
  if (e instanceof SkeinError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const msg = `${what}: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
  switch (err.name) {
    case 'ClusterNotFoundException':
    case 'InvalidParameterException':
    case 'PlatformUnknownException':
    case 'PlatformTaskDefinitionIncompatibilityException':
      return new FailedPreconditionError(msg, { cause: e });
    case 'ClientException': // e.g. no such task definition: the configuration is wrong
      return new FailedPreconditionError(msg, { cause: e });
    case 'AccessDeniedException':
      return new PermissionDeniedError(msg, { cause: e });
    default:
      return new UnavailableError(msg, { cause: e });
  }
}

export class FargateFleet {
  private readonly client: ECSClient;
  private readonly cfg: EcsConfig;
  /** Tasks this fleet started and has not stopped. */
  private readonly live = new Set<string>();
  /** With a registry: the executor id each task registers under. */
  private readonly ids = new Map<string, string>();
  private registry: Registry | null = null;
  private watch: FleetWatch | null = null;
  private closed = false;

  constructor(private readonly opts: FargateFleetOptions) {
    this.cfg = opts.config;
    this.client = new ECSClient({ region: this.cfg.region, endpoint: this.cfg.endpoint, credentials: opts.credentials });
  }

  get taskArns(): string[] {
    return [...this.live];
  }

  /** The executor id a task registers under (registry mode). */
  idOf(arn: string): string {
    return this.ids.get(arn) ?? arn;
  }

  /** The fleet's registry connection, opened on first use. */
  async openRegistry(): Promise<Registry> {
    if (!this.opts.registry) throw new UnavailableError('this Fargate fleet has no registry');
    this.registry ??= await openRegistry(this.opts.registry);
    return this.registry;
  }

  /** Drops tasks that stop or whose record expires from `pool` (registry mode; until the fleet closes). */
  watchIn(pool: ExecutorPool): void {
    const rc = this.opts.registry;
    if (!rc || !this.registry || this.watch || this.closed) return;
    this.watch = new FleetWatch(this, this.registry, pool, { intervalMs: rc.heartbeatSeconds * 1000, ttlMs: rc.ttlSeconds * 1000 });
  }

  /** Starts `count` executor tasks and resolves once all are RUNNING; on any failure stops them all. */
  async start(count: number): Promise<FargateTask[]> {
    const started: string[] = [];
    const base = ['executor', '--host', '0.0.0.0', '--port', String(this.cfg.port)];
    // with a registry every task gets its own id, so one RunTask per task (ten at once); else batches
    const rc = this.opts.registry;
    const runs = rc
      ? fleetIds(count).map((id) => ({ count: 1, id, command: [...base, ...registryArgs(rc, id)] }))
      : Array.from({ length: Math.ceil(count / RUN_BATCH) }, (_, i) => ({ count: Math.min(RUN_BATCH, count - i * RUN_BATCH), id: null, command: base }));
    const runOne = async (run: (typeof runs)[number]): Promise<void> => {
      const out = await this.client
        .send(
          new RunTaskCommand({
            cluster: this.cfg.cluster,
            taskDefinition: this.cfg.taskDefinition,
            count: run.count,
            launchType: 'FARGATE',
            startedBy: this.opts.startedBy ?? 'skein-coordinator',
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: this.cfg.subnets,
                securityGroups: this.cfg.securityGroups.length > 0 ? this.cfg.securityGroups : undefined,
                assignPublicIp: this.cfg.assignPublicIp ? 'ENABLED' : 'DISABLED',
              },
            },
            overrides: {
              containerOverrides: [
                {
                  name: this.cfg.containerName,
                  command: run.command,
                  environment: Object.entries(this.opts.environment ?? {}).map(([name, value]) => ({ name, value })),
                },
              ],
            },
          }),
        )
        .catch((e: unknown) => {
          throw ecsError(e, `cannot start Fargate tasks of ${this.cfg.taskDefinition} in cluster ${this.cfg.cluster}`);
        });
      for (const t of out.tasks ?? []) {
        if (t.taskArn) {
          started.push(t.taskArn);
          this.live.add(t.taskArn);
          if (run.id) this.ids.set(t.taskArn, run.id);
        }
      }
      if (out.failures && out.failures.length > 0) {
        const why = out.failures.map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim()).join('; ');
        throw new UnavailableError(`ECS could not start every executor task of ${this.cfg.taskDefinition}: ${why}`);
      }
    };
    try {
      const atOnce = rc ? RUN_BATCH : 1;
      for (let i = 0; i < runs.length; i += atOnce) {
        const settled = await Promise.allSettled(runs.slice(i, i + atOnce).map(runOne));
        const bad = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (bad) throw bad.reason;
      }
      return await this.waitRunning(started);
    } catch (e) {
      await this.stop(started, 'skein: executor start failed').catch((se: unknown) => log.error({ err: se }, 'cannot stop the tasks of a failed start'));
      throw e;
    }
  }

  async describe(arns: readonly string[]): Promise<FargateTask[]> {
    const out: FargateTask[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const r = await this.client
        .send(new DescribeTasksCommand({ cluster: this.cfg.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH) }))
        .catch((e: unknown) => {
          throw ecsError(e, `cannot describe executor tasks in cluster ${this.cfg.cluster}`);
        });
      out.push(...(r.tasks ?? []).map(taskOf));
      const missing = (r.failures ?? []).filter((f) => f.reason);
      if (missing.length > 0) throw new UnavailableError(`executor tasks vanished: ${missing.map((f) => `${f.arn} (${f.reason})`).join(', ')}`);
    }
    return out;
  }

  /** DescribeTasks that reports tasks ECS no longer knows instead of failing. */
  async describeSome(arns: readonly string[]): Promise<{ tasks: FargateTask[]; missing: string[] }> {
    const tasks: FargateTask[] = [];
    const missing: string[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      const r = await this.client
        .send(new DescribeTasksCommand({ cluster: this.cfg.cluster, tasks: arns.slice(i, i + DESCRIBE_BATCH) }))
        .catch((e: unknown) => {
          throw ecsError(e, `cannot describe executor tasks in cluster ${this.cfg.cluster}`);
        });
      tasks.push(...(r.tasks ?? []).map(taskOf));
      missing.push(...(r.failures ?? []).flatMap((f) => (f.arn ? [f.arn] : [])));
    }
    return { tasks, missing };
  }

  /** Tasks stopped (or stopping, or unknown to ECS) in a describeSome answer, with why. */
  stoppedAll(d: { tasks: FargateTask[]; missing: string[] }): Map<string, string> {
    const out = new Map<string, string>(d.missing.map((arn) => [arn, 'unknown to ECS']));
    for (const t of d.tasks) {
      if (GONE.has(t.lastStatus) || t.desiredStatus === 'STOPPED') out.set(t.arn, `task ${t.lastStatus}${t.stoppedReason ? `: ${t.stoppedReason}` : ''}`);
    }
    return out;
  }

  stoppedOf(d: { tasks: FargateTask[]; missing: string[] }): { arn: string; why: string } | null {
    const first = [...this.stoppedAll(d)][0];
    return first ? { arn: first[0], why: first[1] } : null;
  }

  private async waitRunning(arns: readonly string[]): Promise<FargateTask[]> {
    const until = Date.now() + this.cfg.startTimeoutSeconds * 1000;
    for (;;) {
      const tasks = await this.describe(arns);
      const gone = tasks.find((t) => GONE.has(t.lastStatus) || t.desiredStatus === 'STOPPED');
      if (gone) {
        throw new UnavailableError(`executor task ${gone.arn} stopped while starting (${gone.lastStatus}${gone.stoppedReason ? `: ${gone.stoppedReason}` : ''})`);
      }
      if (tasks.length === arns.length && tasks.every((t) => t.lastStatus === 'RUNNING')) {
        // keep the order RunTask gave
        return arns.map((a) => tasks.find((t) => t.arn === a) as FargateTask);
      }
      if (Date.now() > until) {
        const slow = tasks.filter((t) => t.lastStatus !== 'RUNNING').map((t) => `${t.arn} ${t.lastStatus}`);
        throw new DeadlineExceededError(`executor tasks not RUNNING after ${this.cfg.startTimeoutSeconds} s: ${slow.join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 2000));
    }
  }

  /** StopTask for each (default: every task this fleet started). */
  async stop(arns: readonly string[] = this.taskArns, reason = 'skein: coordinator stopped its executors'): Promise<void> {
    const failures: string[] = [];
    await Promise.all(
      arns.map(async (task) => {
        try {
          await this.client.send(new StopTaskCommand({ cluster: this.cfg.cluster, task, reason }));
          this.live.delete(task);
        } catch (e) {
          failures.push(ecsError(e, `StopTask ${task}`).message);
        }
      }),
    );
    if (failures.length > 0) throw new UnavailableError(`cannot stop executor tasks: ${failures.join('; ')}`);
  }

  /** Executors for started tasks: remote executors at their addresses, each stopping its task on close. */
  executorsFor(tasks: readonly FargateTask[], timeoutMs: number): FargateExecutor[] {
    return tasks.map((t, i) => {
      const address = this.opts.addressOf?.(t, i) ?? (t.privateIp ? `${t.privateIp}:${this.cfg.port}` : null);
      if (!address) throw new UnavailableError(`executor task ${t.arn} is RUNNING but has no private IP`);
      const remote = new RemoteExecutor({ id: `fargate-${i + 1}`, address, timeoutMs });
      return new FargateExecutor(remote, t.arn, this);
    });
  }

  /** Executors for started tasks at the addresses their executors registered (registry mode). */
  async registeredExecutors(tasks: readonly FargateTask[], timeoutMs: number): Promise<FargateExecutor[]> {
    const registry = await this.openRegistry();
    const records = await waitRegistered(this, registry, tasks, {
      timeoutMs: this.cfg.startTimeoutSeconds * 1000,
      pollMs: this.opts.pollMs ?? 2000,
      redisUrl: this.opts.registry?.redisUrl ?? '',
    });
    return tasks.map((t, i) => new FargateExecutor(new RemoteExecutor({ id: records[i].id, address: records[i].address, timeoutMs }), t.arn, this));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watch?.stop();
    this.client.destroy();
    await this.registry?.close();
  }
}

/** A remote executor that is a Fargate task: closing it stops the task. */
export class FargateExecutor implements Executor {
  constructor(
    readonly remote: RemoteExecutor,
    readonly taskArn: string,
    readonly fleet: FargateFleet,
  ) {}

  get id(): string {
    return this.remote.id;
  }

  run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    return this.remote.run(fragment, signal);
  }

  runWire(fragment: SignedFragment, signal: AbortSignal): Promise<WireResult> {
    return this.remote.runWire(fragment, signal);
  }

  status(): ExecutorStatus {
    return this.remote.status();
  }

  async close(): Promise<void> {
    await this.remote.close();
    await this.fleet.stop([this.taskArn]);
    if (this.fleet.taskArns.length === 0) await this.fleet.close();
  }
}

/** Waits until every executor answers its status action (the task runs before its server listens). */
export async function waitAnswering(executors: readonly FargateExecutor[], timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (const e of executors) {
    for (;;) {
      try {
        await e.remote.remoteStatus(2000);
        break;
      } catch (err) {
        if (Date.now() > until) throw new DeadlineExceededError(`executor ${e.id} (task ${e.taskArn}) not answering at ${e.remote.address}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}

/** Starts `count` Fargate executors, ready for the pool; stops them all if any fails to come up. */
export async function startFargateExecutors(count: number, opts: FargateFleetOptions, timeoutMs: number): Promise<FargateExecutor[]> {
  const fleet = new FargateFleet(opts);
  try {
    const tasks = await fleet.start(count);
    let executors: FargateExecutor[];
    try {
      executors = opts.registry ? await fleet.registeredExecutors(tasks, timeoutMs) : fleet.executorsFor(tasks, timeoutMs);
    } catch (e) {
      await fleet.stop(tasks.map((t) => t.arn), 'skein: executor start failed').catch((se: unknown) => log.error({ err: se }, 'cannot stop the tasks of a failed start'));
      throw e;
    }
    try {
      await waitAnswering(executors, opts.config.startTimeoutSeconds * 1000);
    } catch (e) {
      await Promise.allSettled(executors.map((x) => x.close()));
      throw e;
    }
    return executors;
  } catch (e) {
    await fleet.close();
    throw e;
  }
}

/** Lets the Fargate fleets of `executors` drop tasks that stop or whose registration expires from `pool`. */
export function watchFargateFleets(pool: ExecutorPool, executors: readonly Executor[]): void {
  for (const e of executors) if (e instanceof FargateExecutor) e.fleet.watchIn(pool);
}
