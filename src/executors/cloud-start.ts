// Executors the coordinator reaches elsewhere, by config mode: "lambda" (the Engine function),
// "fargate" (ECS tasks it starts and stops) and "remote" (executors already running, e.g. one big
// EC2 "monostore" that takes every fragment).
import { Config } from '../config';
import { ConfigError } from '../errors';
import { openStores } from '../store/stores';
import { Executor } from './executor';
import { RemoteExecutor } from './remote';

/** The pool members for a cloud mode; `timeoutMs` is the pool's per-fragment timeout. */
// Each mode's AWS SDK client (ECS, Lambda) is loaded only when that mode is configured.
export const fargateModule = (): typeof import('./ecs/fargate') => require('./ecs/fargate');
const lambdaPoolModule = (): typeof import('./lambda/lambda-pool') => require('./lambda/lambda-pool');

export async function startCloudExecutors(config: Config, timeoutMs: number): Promise<Executor[]> {
  const ec = config.executors;
  switch (ec.mode) {
    case 'lambda': {
      if (!ec.lambda) throw new ConfigError('executors.mode "lambda" needs executors.lambda');
      // members of the pool; the function's concurrency is the invoker's, shared by all of them
      const members = Math.max(ec.count, Math.ceil(ec.lambda.concurrency / ec.slots));
      return lambdaPoolModule().startLambdaExecutors(members, ec.lambda, timeoutMs, openStores(config.store));
    }
    case 'fargate': {
      if (!ec.ecs) throw new ConfigError('executors.mode "fargate" needs executors.ecs');
      if (ec.count < 1) throw new ConfigError('executors.mode "fargate" needs executors.count ≥ 1 (tasks to start)');
      // with a registry the tasks' executors register there and are reached at their records' addresses
      const registry = config.registry.redisUrl ? config.registry : undefined;
      return fargateModule().startFargateExecutors(ec.count, { config: ec.ecs, registry }, timeoutMs + 5000);
    }
    case 'remote': {
      const addresses = ec.addresses ?? [];
      if (addresses.length === 0) throw new ConfigError('executors.mode "remote" needs executors.addresses');
      return addresses.map((address, i) => new RemoteExecutor({ id: `remote-${i + 1}`, address, timeoutMs: timeoutMs + 5000 }));
    }
    default:
      throw new ConfigError(`executors.mode "${ec.mode}" is not a cloud mode`);
  }
}
