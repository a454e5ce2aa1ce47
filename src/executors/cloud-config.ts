// The config of executors that live elsewhere: the Engine Lambda function (`executors.lambda`),
// Fargate tasks started through ECS (`executors.ecs`), and fixed remote executors such as one big
// EC2 "monostore" (`executors.addresses`). Kept here so src/config.ts only plugs it in.
import { z } from 'zod';

export const CLOUD_MODES = ['lambda', 'fargate', 'remote'] as const;
export type CloudMode = (typeof CLOUD_MODES)[number];

export const lambdaSchema = z
  .object({
    /** The Engine function's name or ARN (deployed from build/lambda.zip, Handler "engine"). */
    functionName: z.string().min(1),
    region: z.string().min(1).default('us-east-1'),
    /** Invoke API endpoints instead of AWS's (local emulators in tests; several spread the load). */
    endpoints: z.array(z.string().url()).default([]),
    /** Invocations in flight at once (keep at or under the function's reserved concurrency). */
    concurrency: z.number().int().positive().default(16),
    /** Invocations per endpoint at once; 1 for emulators, which run one at a time. */
    endpointConcurrency: z.number().int().positive().optional(),
    /**
     * sync: RequestResponse, the result in the reply (or the result store); async: Event, the reply
     * polled in the result store; stream: InvokeWithResponseStream, the Arrow IPC stream itself (any size).
     */
    invocation: z.enum(['sync', 'async', 'stream']).default('sync'),
    /**
     * Where the function writes results too large for a reply (and async replies): s3://bucket/prefix/
     * (or a local directory in tests); the function's SKEIN_LAMBDA_RESULT_PREFIX must be the same.
     */
    resultPrefix: z.string().min(1).optional(),
    /** Results up to this size come back inline (at most 4 MiB: Lambda replies are limited to 6 MB). */
    inlineLimitBytes: z.number().int().min(0).max(4 << 20).default(4 << 20),
    /** Throttled invocations (TooManyRequests, Lambda service faults) are retried this often, with backoff. */
    maxRetries: z.number().int().min(0).default(5),
  })
  .strict()
  .refine((l) => l.invocation !== 'async' || l.resultPrefix !== undefined, {
    message: 'asynchronous invocations need resultPrefix (where their replies are polled)',
  });

export const ecsSchema = z
  .object({
    cluster: z.string().min(1),
    /** A task definition running `skein executor --host 0.0.0.0 --port <port>` with SKEIN_EXECUTOR_SECRET from Secrets Manager. */
    taskDefinition: z.string().min(1),
    /** The container in the task definition that runs the executor. */
    containerName: z.string().min(1).default('skein-executor'),
    region: z.string().min(1).default('us-east-1'),
    /** An ECS API endpoint instead of AWS's (tests: moto). */
    endpoint: z.string().url().optional(),
    subnets: z.array(z.string().min(1)).min(1),
    securityGroups: z.array(z.string().min(1)).default([]),
    assignPublicIp: z.boolean().default(false),
    /** The port the executors listen on inside their tasks. */
    port: z.number().int().min(1).max(65535).default(31338),
    /** Tasks not RUNNING (and answering) after this long fail the start. */
    startTimeoutSeconds: z.number().positive().default(180),
  })
  .strict();

export type LambdaConfig = z.infer<typeof lambdaSchema>;
export type EcsConfig = z.infer<typeof ecsSchema>;

/** What each cloud mode needs besides its own section, as config issues (path, message). */
export function cloudIssues(e: {
  mode: string;
  secret?: string;
  lambda?: LambdaConfig;
  ecs?: EcsConfig;
  addresses?: readonly string[];
  monostore?: boolean;
}): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  if (e.monostore && (e.mode !== 'remote' || e.addresses?.length !== 1)) {
    out.push({ path: ['executors', 'monostore'], message: 'a monostore is one executor: mode "remote" with exactly one address' });
  }
  if (!(CLOUD_MODES as readonly string[]).includes(e.mode)) return out;
  if (!e.secret) out.push({ path: ['executors', 'secret'], message: `${e.mode} executors need the shared executors.secret (SKEIN_EXECUTOR_SECRET)` });
  if (e.mode === 'lambda' && !e.lambda) out.push({ path: ['executors', 'lambda'], message: 'mode "lambda" needs executors.lambda (functionName, …)' });
  if (e.mode === 'fargate' && !e.ecs) out.push({ path: ['executors', 'ecs'], message: 'mode "fargate" needs executors.ecs (cluster, taskDefinition, subnets, …)' });
  if (e.mode === 'remote' && !e.addresses?.length) out.push({ path: ['executors', 'addresses'], message: 'mode "remote" needs executors.addresses (host:port of each executor)' });
  return out;
}
