// Local executors as child processes (`skein executor --port 0`), each reached over gRPC like any
// remote one. A child that dies is restarted (with backoff); while it is down its fragments fail
// UNAVAILABLE at once so the pool retries them elsewhere. The secret goes by environment, never
// argv, and children exit when our stdin pipe to them closes, so even a SIGKILLed coordinator
// leaves no orphans.
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { UnavailableError } from '../errors';
import { log } from '../log';
import { EXECUTOR_SECRET_ENV, READY_LINE } from './flight-executor-server';
import { Executor, ExecutorStatus, FragmentResult, SignedFragment, WireResult } from './executor';
import { RemoteExecutor } from './remote';
import { RegistryConfig } from '../config';
import { REDIS_URL_ENV } from '../registry/registry';
import { StoreConfig } from '../store/store-config';
import { STORE_CONFIG_ENV } from '../store/executor-cache';

export interface ChildOptions {
  id: string;
  secret: string;
  threads: number;
  memoryLimit?: string;
  /** Directories the child's DuckDB may read; null: no sandbox. */
  allowedDirectories: string[] | null;
  /** gRPC deadline per fragment (0 = none). */
  timeoutMs: number;
  /** Restart a child that dies (default true). */
  restart?: boolean;
  /** The compiled CLI (default: dist/src/cli/main.js of this checkout). */
  entry?: string;
  startTimeoutMs?: number;
  /** Register in this registry (Redis) with heartbeats; the URL goes by environment (it may hold a password). */
  registry?: RegistryConfig;
  /** Object stores and partition cache (by environment: it may hold credentials). */
  store?: StoreConfig;
}

/** The compiled CLI, from the compiled tree or (under ts-jest) from the source tree's build. */
export function defaultEntry(): string {
  const candidates = [resolve(__dirname, '../cli/main.js'), resolve(__dirname, '../../dist/src/cli/main.js')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new UnavailableError(`cannot start executors: ${candidates[1]} is missing (run npm run build)`);
  return found;
}

function argsOf(o: ChildOptions, entry: string): string[] {
  const args = [entry, 'executor', '--host', '127.0.0.1', '--port', '0', '--threads', String(o.threads), '--id', o.id];
  args.push('--exit-with-stdin');
  if (o.memoryLimit) args.push('--memory-limit', o.memoryLimit);
  if (o.registry?.redisUrl) {
    args.push('--redis-prefix', o.registry.keyPrefix, '--heartbeat-seconds', String(o.registry.heartbeatSeconds));
    args.push('--ttl-seconds', String(o.registry.ttlSeconds));
  }
  if (o.allowedDirectories === null) args.push('--no-sandbox');
  else for (const d of o.allowedDirectories) args.push('--allowed-dir', d);
  return args;
}

/** Spawns one child and resolves with it and its address once it prints its ready line. */
function spawnChild(o: ChildOptions): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, argsOf(o, o.entry ?? defaultEntry()), {
    env: {
      ...process.env,
      [EXECUTOR_SECRET_ENV]: o.secret,
      ...(o.registry?.redisUrl && { [REDIS_URL_ENV]: o.registry.redisUrl }),
      ...(o.store && { [STORE_CONFIG_ENV]: JSON.stringify(o.store) }),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => fail(new UnavailableError(`executor ${o.id} did not start within ${o.startTimeoutMs ?? 30000} ms`)), o.startTimeoutMs ?? 30000);
    const onExit = (code: number | null, sig: string | null): void =>
      fail(new UnavailableError(`executor ${o.id} exited while starting (code ${code}, signal ${sig})`));
    const fail = (e: Error): void => {
      clearTimeout(timer);
      lines.close();
      child.off('exit', onExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(e);
    };
    child.once('exit', onExit);
    child.once('error', (e) => fail(new UnavailableError(`cannot start executor ${o.id}: ${e.message}`, { cause: e })));
    lines.on('line', (line) => {
      if (!line.startsWith(READY_LINE)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      // keep draining stdout so the child never blocks on a full pipe
      lines.on('line', () => undefined);
      resolvePromise({ child, address: line.slice(READY_LINE.length).trim() });
    });
  });
}

export class ChildProcessExecutor implements Executor {
  private child: ChildProcess | null = null;
  private remote: RemoteExecutor | null = null;
  private closed = false;
  private restarts = 0;
  private restarting: Promise<void> | null = null;
  private backoff: { timer: NodeJS.Timeout; wake: () => void } | null = null;
  /** Every pid this executor has run, so tests (and close) can check none is left. */
  readonly pids: number[] = [];

  private constructor(private readonly opts: ChildOptions) {}

  static async start(opts: ChildOptions): Promise<ChildProcessExecutor> {
    const e = new ChildProcessExecutor(opts);
    await e.launch();
    return e;
  }

  get id(): string {
    return this.opts.id;
  }

  /** The running child's pid (null while it is down). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get restartCount(): number {
    return this.restarts;
  }

  private async launch(): Promise<void> {
    const { child, address } = await spawnChild(this.opts);
    if (child.pid !== undefined) this.pids.push(child.pid);
    if (this.closed) {
      await stopChild(child);
      return;
    }
    this.child = child;
    this.remote = new RemoteExecutor({ id: this.opts.id, address, timeoutMs: this.opts.timeoutMs });
    child.once('exit', (code, sig) => this.onExit(child, code, sig));
    log.info({ executor: this.opts.id, pid: child.pid, address }, 'executor child started');
  }

  private onExit(child: ChildProcess, code: number | null, sig: string | null): void {
    if (this.child !== child) return;
    this.child = null;
    void this.remote?.close();
    this.remote = null;
    if (this.closed) return;
    log.warn({ executor: this.opts.id, pid: child.pid, code, signal: sig }, 'executor child died');
    if (this.opts.restart === false) return;
    this.restarting = this.restartLoop();
  }

  private async restartLoop(): Promise<void> {
    while (!this.closed && !this.child) {
      const delay = Math.min(5000, 100 * 2 ** Math.min(this.restarts, 6));
      this.restarts++;
      await new Promise<void>((wake) => (this.backoff = { timer: setTimeout(wake, delay), wake }));
      this.backoff = null;
      if (this.closed) break;
      try {
        await this.launch();
      } catch (e) {
        log.error({ executor: this.opts.id, err: e }, 'executor restart failed');
      }
    }
    this.restarting = null;
  }

  async run(fragment: SignedFragment, signal: AbortSignal): Promise<FragmentResult> {
    return this.live().run(fragment, signal);
  }

  async runWire(fragment: SignedFragment, signal: AbortSignal): Promise<WireResult> {
    return this.live().runWire(fragment, signal);
  }

  private live(): RemoteExecutor {
    const remote = this.remote;
    if (!remote || this.closed) throw new UnavailableError(`executor ${this.opts.id} is down (restarting)`);
    return remote;
  }

  status(): ExecutorStatus {
    return this.remote?.status() ?? { id: this.opts.id, running: 0, address: null };
  }

  /** The child's own status (the "status" action). */
  async remoteStatus(): Promise<ExecutorStatus> {
    if (!this.remote) throw new UnavailableError(`executor ${this.opts.id} is down (restarting)`);
    return this.remote.remoteStatus();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.backoff) {
      clearTimeout(this.backoff.timer);
      this.backoff.wake();
    }
    await this.restarting;
    const child = this.child;
    this.child = null;
    await this.remote?.close();
    this.remote = null;
    if (child) await stopChild(child);
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Starts `count` children in parallel; if any fails to start, stops the others and throws. */
export async function startChildExecutors(
  count: number,
  { idPrefix = 'executor', ...base }: Omit<ChildOptions, 'id'> & { idPrefix?: string },
): Promise<ChildProcessExecutor[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => ChildProcessExecutor.start({ ...base, id: `${idPrefix}-${i + 1}` })),
  );
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const bad = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (bad) {
    await Promise.all(ok.map((e) => e.close()));
    throw bad.reason;
  }
  return ok;
}
