// The one typed configuration object: defaults < config file (JSON) < SKEIN_* environment < CLI flags,
// validated with zod at start-up so a bad value stops the server with a message naming the option.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors';
import { STORE_DEFAULTS, storeEnvKeys, storeSchema } from './store/store-config';
import { glueEnvKeys, glueSchema } from './catalog/glue/glue-config';
import { cloudIssues, CLOUD_MODES, ecsSchema, lambdaSchema } from './executors/cloud-config';

const userSchema = z
  .object({
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    passwordHash: z.string().startsWith('scrypt$').optional(),
  })
  .strict()
  .refine((u) => u.password !== undefined || u.passwordHash !== undefined, {
    message: 'each user needs "password" or "passwordHash"',
  });

export const DEFAULT_SESSION_SETTINGS = [
  'TimeZone',
  'Calendar',
  'search_path',
  'default_order',
  'default_null_order',
  'default_collation',
  'integer_division',
  'preserve_insertion_order',
  'max_expression_depth',
  'ordered_aggregate_threshold',
  'errors_as_json',
  'enable_progress_bar',
] as const;

/**
 * Coordination (src/registry): executor registrations and the query log. Without redisUrl they stay
 * in this process's memory; with it they live in Redis, shared by coordinators and executors.
 */
export const registrySchema = z
  .object({
    /** redis://[user:password@]host:port[/db] (env SKEIN_REDIS_URL). */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'a Redis URL such as "redis://127.0.0.1:6379"')
      .optional(),
    /** Prefix of every Redis key, so several Skein deployments can share one Redis. */
    keyPrefix: z.string().min(1).default('skein:'),
    /** Executors refresh their record this often; coordinators re-read the executor list as often. */
    heartbeatSeconds: z.number().positive().default(5),
    /** A record not refreshed for this long expires: the executor is forgotten. */
    ttlSeconds: z.number().positive().default(15),
    /** Redis replies slower than this fail (DEADLINE_EXCEEDED) instead of holding anyone up. */
    commandTimeoutMs: z.number().int().positive().default(2000),
    /** Query log entries are kept this long, and at most this many. */
    queryLogRetentionDays: z.number().positive().default(7),
    queryLogMaxEntries: z.number().int().positive().default(100_000),
  })
  .strict()
  .refine((r) => r.ttlSeconds > r.heartbeatSeconds, {
    message: 'ttlSeconds must be longer than heartbeatSeconds (else live executors expire between heartbeats)',
  });

export type RegistryConfig = z.infer<typeof registrySchema>;

export const REGISTRY_DEFAULTS = registrySchema.parse({});

export const configSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(31337),
    database: z.string().min(1).default(':memory:'),
    demo: z.boolean().default(false),
    users: z.array(userSchema).default([]),
    tokenSecret: z.string().min(16).optional(),
    tokenTtlSeconds: z.number().int().positive().default(12 * 3600),
    loginMaxFailures: z.number().int().min(0).default(5),
    loginWindowSeconds: z.number().int().positive().default(60),
    tls: z
      .object({
        certFile: z.string({ error: 'TLS needs certFile (PEM certificate chain)' }).min(1),
        keyFile: z.string({ error: 'TLS needs keyFile (PEM private key)' }).min(1),
        clientCaFile: z.string().min(1).optional(),
        requireClientCert: z.boolean().optional(),
      })
      .strict()
      .optional(),
    batchBytes: z.number().int().min(4096).default(1 << 20),
    maxMessageBytes: z.number().int().min(65536).default(4 << 20),
    maxReceiveBytes: z.number().int().min(1 << 20).default(256 << 20),
    resultTtlSeconds: z.number().int().positive().default(300),
    maxConcurrentQueries: z.number().int().positive().default(64),
    /** Statements one user may have running or waiting to be fetched at once (0 = no limit). */
    maxStatementsPerUser: z.number().int().min(0).default(32),
    /** A statement still running (or unread) after this long is stopped (0 = no timeout). */
    statementTimeoutSeconds: z.number().min(0).default(0),
    /** An open transaction unused this long is rolled back. */
    transactionIdleSeconds: z.number().positive().default(600),
    /** Session options are forgotten after this long without a call. */
    sessionIdleSeconds: z.number().positive().default(24 * 3600),
    /**
     * DuckDB's sandbox: file access only under these directories, no extension loading, no SET of
     * server settings. `enabled: false` gives users the whole machine DuckDB can reach.
     */
    sandbox: z
      .object({
        enabled: z.boolean().default(true),
        allowedDirectories: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .default({ enabled: true, allowedDirectories: [] }),
    /** DuckDB settings a user may change for their session (SetSessionOptions), besides catalog and schema. */
    sessionSettings: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a DuckDB setting name'))
      .default([...DEFAULT_SESSION_SETTINGS]),
    duckdb: z
      .object({
        threads: z.number().int().positive().optional(),
        memoryLimit: z.string().optional(),
        streamingBufferSize: z.string().regex(/^\d+(\.\d+)?\s*[KMGT]?i?B$/i, 'a size such as "64MB"').default('64MB'),
      })
      .strict()
      .default({ streamingBufferSize: '64MB' }),
    /**
     * Lake tables: `<root>/<schema>/<table>/` directories of Parquet/CSV/JSON files and/or a catalog
     * file listing tables; checked for changed files every refreshSeconds.
     */
    catalog: z
      .object({
        root: z.string().min(1).optional(),
        file: z.string().min(1).optional(),
        refreshSeconds: z.number().positive().default(5),
        /** The AWS Glue Data Catalog: its databases become schemas (see src/catalog/glue/glue-config.ts). */
        glue: glueSchema.optional(),
        /** The Catalog Lambda function (build/lambda.zip, handler "catalog") answers table and file look-ups. */
        lambda: z
          .object({
            functionName: z.string().min(1),
            region: z.string().min(1).default('us-east-1'),
            /** Invoke API endpoints instead of AWS's (tests: the Runtime Interface Emulator). */
            endpoints: z.array(z.string().url()).default([]),
            concurrency: z.number().int().positive().default(4),
            endpointConcurrency: z.number().int().positive().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ refreshSeconds: 5 }),
    /**
     * Executors for distributed queries. count 0: none, the coordinator's DuckDB runs everything;
     * N ≥ 1: N executors, in this process or as local `skein executor` child processes.
     */
    executors: z
      .object({
        count: z.number().int().min(0).max(256).default(0),
        mode: z.enum(['in-process', 'child-process', ...CLOUD_MODES]).default('in-process'),
        /** DuckDB threads per executor. */
        threads: z.number().int().positive().default(1),
        memoryLimit: z.string().optional(),
        /** HMAC secret for fragments; random per start when absent (children get it by environment). */
        secret: z.string().min(16).optional(),
        fragmentTimeoutSeconds: z.number().positive().default(300),
        /** Fragments one executor runs at once. */
        slots: z.number().int().positive().default(2),
        /**
         * Shuffle files of repartition joins (local executors share the coordinator's disk): under this
         * directory (default: a private one in the system temp directory), one subdirectory per query.
         */
        scratchDirectory: z.string().min(1).optional(),
        /** A joined table larger than this (per fragment, after pruning) is repartitioned, not broadcast. */
        broadcastLimitBytes: z.number().int().min(0).default(64 << 20),
        /**
         * EC2 "monostore": one big executor (mode "remote", one address) runs whole statements — joins,
         * aggregation and the merge — as one fragment; the coordinator only plans, prunes and streams.
         */
        monostore: z.boolean().default(false),
        /**
         * A statement of several tables that reads at most this many compressed column bytes (from the
         * Parquet footers, after pruning) runs whole as one fragment: cutting it up would cost more
         * than the parallel scan saves. 0 turns this off. A statement that would need a repartition
         * (shuffle) also runs whole when it reads at most broadcastLimitBytes.
         */
        smallStatementBytes: z.number().int().min(0).default(24 << 20),
        /** Also use the executors registered in the registry (Redis), added and forgotten as they come and go. */
        discover: z.boolean().default(false),
        /** mode "lambda": the Engine function (src/executors/cloud-config.ts). */
        lambda: lambdaSchema.optional(),
        /** mode "fargate": executors started as ECS tasks. */
        ecs: ecsSchema.optional(),
        /** mode "remote": executors already running (host:port), e.g. one big EC2 monostore. */
        addresses: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({ count: 0, mode: 'in-process', threads: 1, fragmentTimeoutSeconds: 300, slots: 2, discover: false, broadcastLimitBytes: 64 << 20, monostore: false, smallStatementBytes: 24 << 20 }),
    registry: registrySchema.default(REGISTRY_DEFAULTS),
    /** Object stores (s3:// URIs) and the executors' partition cache of remote data files. */
    store: storeSchema.default(STORE_DEFAULTS),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const issue of cloudIssues(c.executors)) ctx.addIssue({ code: 'custom', ...issue });
    if (!c.executors.discover) return;
    if (!c.registry.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['executors', 'discover'], message: 'discovering executors needs registry.redisUrl (or SKEIN_REDIS_URL)' });
    }
    if (!c.executors.secret) {
      ctx.addIssue({ code: 'custom', path: ['executors', 'secret'], message: 'discovered executors need the shared executors.secret (SKEIN_EXECUTOR_SECRET)' });
    }
  });

export type Config = z.infer<typeof configSchema>;
export type UserConfig = z.infer<typeof userSchema>;

/** Parsing rules for SKEIN_* variables: each maps onto one config key. */
const envKeys: Record<string, (v: string, into: Record<string, unknown>) => void> = {
  SKEIN_HOST: (v, o) => (o.host = v),
  SKEIN_PORT: (v, o) => (o.port = intOf('SKEIN_PORT', v)),
  SKEIN_DATABASE: (v, o) => (o.database = v),
  SKEIN_DEMO: (v, o) => (o.demo = boolOf('SKEIN_DEMO', v)),
  SKEIN_USERS: (v, o) => (o.users = usersOf(v)),
  SKEIN_TOKEN_SECRET: (v, o) => (o.tokenSecret = v),
  SKEIN_TOKEN_TTL_SECONDS: (v, o) => (o.tokenTtlSeconds = intOf('SKEIN_TOKEN_TTL_SECONDS', v)),
  SKEIN_LOGIN_MAX_FAILURES: (v, o) => (o.loginMaxFailures = intOf('SKEIN_LOGIN_MAX_FAILURES', v)),
  SKEIN_LOGIN_WINDOW_SECONDS: (v, o) => (o.loginWindowSeconds = intOf('SKEIN_LOGIN_WINDOW_SECONDS', v)),
  SKEIN_TLS_CERT: (v, o) => (o.tls = { ...(o.tls as object), certFile: v }),
  SKEIN_TLS_KEY: (v, o) => (o.tls = { ...(o.tls as object), keyFile: v }),
  SKEIN_TLS_CLIENT_CA: (v, o) => (o.tls = { ...(o.tls as object), clientCaFile: v }),
  SKEIN_BATCH_BYTES: (v, o) => (o.batchBytes = intOf('SKEIN_BATCH_BYTES', v)),
  SKEIN_MAX_MESSAGE_BYTES: (v, o) => (o.maxMessageBytes = intOf('SKEIN_MAX_MESSAGE_BYTES', v)),
  SKEIN_RESULT_TTL_SECONDS: (v, o) => (o.resultTtlSeconds = intOf('SKEIN_RESULT_TTL_SECONDS', v)),
  SKEIN_SANDBOX: (v, o) => (o.sandbox = { ...(o.sandbox as object), enabled: boolOf('SKEIN_SANDBOX', v) }),
  SKEIN_ALLOWED_DIRECTORIES: (v, o) =>
    (o.sandbox = { ...(o.sandbox as object), allowedDirectories: v.split(':').filter((d) => d !== '') }),
  SKEIN_MAX_STATEMENTS_PER_USER: (v, o) => (o.maxStatementsPerUser = intOf('SKEIN_MAX_STATEMENTS_PER_USER', v)),
  SKEIN_STATEMENT_TIMEOUT_SECONDS: (v, o) =>
    (o.statementTimeoutSeconds = intOf('SKEIN_STATEMENT_TIMEOUT_SECONDS', v)),
  SKEIN_MAX_CONCURRENT_QUERIES: (v, o) =>
    (o.maxConcurrentQueries = intOf('SKEIN_MAX_CONCURRENT_QUERIES', v)),
  SKEIN_THREADS: (v, o) => (o.duckdb = { ...(o.duckdb as object), threads: intOf('SKEIN_THREADS', v) }),
  SKEIN_MEMORY_LIMIT: (v, o) => (o.duckdb = { ...(o.duckdb as object), memoryLimit: v }),
  SKEIN_CATALOG_ROOT: (v, o) => (o.catalog = { ...(o.catalog as object), root: v }),
  SKEIN_EXECUTORS: (v, o) => (o.executors = { ...(o.executors as object), count: intOf('SKEIN_EXECUTORS', v) }),
  SKEIN_EXECUTOR_MODE: (v, o) => (o.executors = { ...(o.executors as object), mode: v }),
  SKEIN_EXECUTOR_THREADS: (v, o) =>
    (o.executors = { ...(o.executors as object), threads: intOf('SKEIN_EXECUTOR_THREADS', v) }),
  SKEIN_EXECUTOR_SECRET: (v, o) => (o.executors = { ...(o.executors as object), secret: v }),
  SKEIN_DISCOVER_EXECUTORS: (v, o) =>
    (o.executors = { ...(o.executors as object), discover: boolOf('SKEIN_DISCOVER_EXECUTORS', v) }),
  SKEIN_REDIS_URL: (v, o) => (o.registry = { ...(o.registry as object), redisUrl: v }),
  SKEIN_REDIS_PREFIX: (v, o) => (o.registry = { ...(o.registry as object), keyPrefix: v }),
  ...storeEnvKeys(intOf, boolOf),
  ...glueEnvKeys(intOf),
};

function intOf(name: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${name} must be an integer, got "${v}"`);
  return Number(v);
}

function boolOf(name: string, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name} must be true or false, got "${v}"`);
}

/** SKEIN_USERS="alice:secret,bob:pw" */
function usersOf(v: string): UserConfig[] {
  return v
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((pair) => {
      const i = pair.indexOf(':');
      if (i <= 0 || i === pair.length - 1) {
        throw new ConfigError('SKEIN_USERS must look like "user:password,user2:password2"');
      }
      return { username: pair.slice(0, i).trim(), password: pair.slice(i + 1) };
    });
}

export interface ConfigSources {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Record<string, unknown>;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const file = sources.file ?? env.SKEIN_CONFIG;
  if (file) Object.assign(merged, readConfigFile(file));
  for (const [name, apply] of Object.entries(envKeys)) {
    const v = env[name];
    if (v !== undefined && v !== '') apply(v, merged);
  }
  for (const [k, v] of Object.entries(sources.overrides ?? {})) {
    // an object override (e.g. tls from CLI flags) adds to the same object from the file or env
    if (isPlainObject(v) && isPlainObject(merged[k])) merged[k] = { ...merged[k], ...v };
    else if (v !== undefined) merged[k] = v;
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new ConfigError(`config file ${path} must hold a JSON object`);
    }
    return v as Record<string, unknown>;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}
