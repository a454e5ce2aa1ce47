// Builds the coordinator's executor pool from the configuration: none (count 0), N executors in
// this process, or N local `skein executor` child processes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Config } from '../config';
import { Executor } from './executor';
import { startChildExecutors } from './child-process';
import { fargateModule, startCloudExecutors } from './cloud-start';
import { CLOUD_MODES } from './cloud-config';
import { InProcessExecutor } from './in-process';
import { ExecutorPool } from './pool';
import { ExecutorCache, openExecutorCache } from '../store/executor-cache';
import { readCatalogEntries } from '../catalog/catalog-file';
import { configNamesRemoteTables } from '../catalog/remote-view';

/**
 * The pool, or null when executors are off. `dataRoots` are the directories executors read tables
 * from (the catalog's roots); with the sandbox on they may read only those and the configured
 * allowed directories.
 */
export async function startExecutorPool(config: Config, dataRoots: readonly string[] = []): Promise<ExecutorPool | null> {
  const ec = config.executors;
  const cloud = (CLOUD_MODES as readonly string[]).includes(ec.mode);
  // tables on an object store are read only by executors: with none configured, one runs in-process
  const embedded = ec.count === 0 && !ec.discover && !cloud && remoteTablesConfigured(config);
  if (ec.count === 0 && !ec.discover && !cloud && !embedded) return null;
  const count = embedded ? 1 : ec.count;
  const secret = ec.secret ?? randomBytes(32).toString('base64url');
  // shuffle files of repartition joins: local executors share this directory with the coordinator.
  // Cloud executors and discovered ones (other machines) share no disk with it: no shuffle joins,
  // unless the configured scratch directory is one they all mount.
  const shuffles = !cloud && (!ec.discover || ec.scratchDirectory !== undefined);
  const scratch = !shuffles ? null : ec.scratchDirectory ? resolve(ec.scratchDirectory) : mkdtempSync(join(tmpdir(), 'skein-shuffle-'));
  if (scratch) mkdirSync(scratch, { recursive: true });
  const allowedDirectories = config.sandbox.enabled
    ? [...new Set([...config.sandbox.allowedDirectories, ...dataRoots, ...(scratch ? [scratch] : [])].map((d) => resolve(d)))]
    : null;
  const timeoutMs = ec.fragmentTimeoutSeconds * 1000;
  let executors: Executor[];
  let shared: ExecutorCache | null = null;
  if (ec.mode === 'child-process' && !embedded) {
    executors = await startChildExecutors(ec.count, {
      secret,
      threads: ec.threads,
      memoryLimit: ec.memoryLimit,
      allowedDirectories,
      // the pool's own timeout stops the fragment first; the gRPC deadline is a backstop
      timeoutMs: timeoutMs + 5000,
      store: config.store,
      // with a shared registry, children register themselves under ids unique to this coordinator
      ...(config.registry.redisUrl && { registry: config.registry, idPrefix: `${hostname()}-${process.pid}-executor` }),
    });
  } else if (cloud) {
    // Lambda, Fargate tasks, or fixed remote executors (the EC2 monostore): src/executors/cloud-start.ts
    executors = await startCloudExecutors(config, timeoutMs);
  } else {
    // one partition cache shared by this process's executors (and so by every query)
    shared = await openExecutorCache(config.store, 'in-process');
    const cache = shared.cache;
    const opened = await Promise.allSettled(
      Array.from({ length: count }, (_, i) =>
        InProcessExecutor.open({ id: `executor-${i + 1}`, secret, threads: ec.threads, memoryLimit: ec.memoryLimit, allowedDirectories, cache }),
      ),
    );
    executors = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const bad = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (bad) {
      await Promise.all(executors.map((e) => e.close()));
      await shared.close();
      throw bad.reason;
    }
  }
  const pool = new ExecutorPool(executors, { secret, slots: ec.slots, fragmentTimeoutMs: timeoutMs, dynamic: ec.discover });
  pool.monostore = ec.monostore;
  pool.smallStatementBytes = ec.smallStatementBytes;
  if (scratch) pool.shuffle = { directory: scratch, broadcastLimitBytes: ec.broadcastLimitBytes, removeOnClose: !ec.scratchDirectory };
  if (shared) pool.onClose.push(shared.close);
  if (cloud) fargateModule().watchFargateFleets(pool, executors); // tasks that stop or whose registration expires leave
  return pool;
}

function remoteTablesConfigured(config: Config): boolean {
  const c = config.catalog;
  const entries = c.file ? readCatalogEntries(resolve(c.file)) : { files: [], formats: [] };
  return configNamesRemoteTables(c, [...entries.files, ...entries.formats].map((e) => e.location));
}
