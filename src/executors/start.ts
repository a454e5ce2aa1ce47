// Builds the coordinator's executor pool from the configuration: none (count 0), N executors in
// this process, or N local `skein executor` child processes.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Config } from '../config';
import { Executor } from './executor';
import { startChildExecutors } from './child-process';
import { InProcessExecutor } from './in-process';
import { ExecutorPool } from './pool';

/**
 * The pool, or null when executors are off. `dataRoots` are the directories executors read tables
 * from (the catalog's roots); with the sandbox on they may read only those and the configured
 * allowed directories.
 */
export async function startExecutorPool(config: Config, dataRoots: readonly string[] = []): Promise<ExecutorPool | null> {
  const ec = config.executors;
  if (ec.count === 0) return null;
  const secret = ec.secret ?? randomBytes(32).toString('base64url');
  const allowedDirectories = config.sandbox.enabled
    ? [...new Set([...config.sandbox.allowedDirectories, ...dataRoots].map((d) => resolve(d)))]
    : null;
  const timeoutMs = ec.fragmentTimeoutSeconds * 1000;
  let executors: Executor[];
  if (ec.mode === 'child-process') {
    executors = await startChildExecutors(ec.count, {
      secret,
      threads: ec.threads,
      memoryLimit: ec.memoryLimit,
      allowedDirectories,
      // the pool's own timeout stops the fragment first; the gRPC deadline is a backstop
      timeoutMs: timeoutMs + 5000,
    });
  } else {
    const opened = await Promise.allSettled(
      Array.from({ length: ec.count }, (_, i) =>
        InProcessExecutor.open({ id: `executor-${i + 1}`, secret, threads: ec.threads, memoryLimit: ec.memoryLimit, allowedDirectories }),
      ),
    );
    executors = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const bad = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (bad) {
      await Promise.all(executors.map((e) => e.close()));
      throw bad.reason;
    }
  }
  return new ExecutorPool(executors, { secret, slots: ec.slots, fragmentTimeoutMs: timeoutMs });
}
