// The Skein Lambda handlers by name ('engine', 'catalog'), built from the function's environment:
// what the custom runtime loop (runtime.ts) and the Node.js managed runtime (index.ts) both call.
import { ConfigError } from '../../errors';
import { DirectoryCatalog } from '../../catalog/directory-catalog';
import { CatalogFunction } from './catalog-function';
import { EngineFunction } from './engine-function';
import { join } from 'node:path';
import { PartitionCache } from '../../store/partition-cache';
import { storesFromEnv } from './result-store';

/** Where the Engine function caches object-store files by default: Lambda's writable disk. */
const DEFAULT_CACHE_DIR = join('/tmp', 'skein-cache');

/** The part of Lambda's context object Skein uses. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  /** Epoch ms when Lambda stops the invocation. */
  deadlineMs: number;
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, ctx: LambdaContext) => Promise<unknown>;

/**
 * A handler result sent as a streamed response (Lambda response streaming: no 6 MB limit). A failure
 * while streaming reaches the caller as the invocation's error (ErrorCode `Skein.<gRPC status name>`).
 */
export class StreamingResponse {
  constructor(
    readonly contentType: string,
    readonly body: AsyncIterable<Uint8Array>,
  ) {}
}

function intEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ConfigError(`${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

/**
 * Engine function environment:
 *   SKEIN_EXECUTOR_SECRET       the coordinator's fragment-signing secret (required)
 *   SKEIN_LAMBDA_RESULT_PREFIX  where large results go (s3://bucket/prefix/ or a local directory)
 *   SKEIN_S3_ENDPOINT           an S3-compatible endpoint instead of AWS's (tests: moto)
 *   SKEIN_EXECUTOR_THREADS, SKEIN_MEMORY_LIMIT   DuckDB threads (default: all cores) and memory_limit
 *   SKEIN_SANDBOX=false         DuckDB may read anything; else only SKEIN_ALLOWED_DIRECTORIES (a:b) and the cache
 *   SKEIN_LAMBDA_CACHE_DIR, SKEIN_LAMBDA_CACHE_BYTES   partition cache (default /tmp/skein-cache, 512 MiB)
 */
export async function openEngineFunction(env: NodeJS.ProcessEnv): Promise<EngineFunction> {
  const secret = env.SKEIN_EXECUTOR_SECRET;
  if (!secret || secret.length < 16) throw new ConfigError('the Engine function needs SKEIN_EXECUTOR_SECRET (at least 16 characters)');
  const stores = storesFromEnv(env);
  const resultPrefix = env.SKEIN_LAMBDA_RESULT_PREFIX || null;
  const sandbox = !/^(0|false|no|off)$/i.test(env.SKEIN_SANDBOX ?? 'true');
  const allowed = (env.SKEIN_ALLOWED_DIRECTORIES ?? '').split(':').filter((d) => d !== '');
  const cache = await PartitionCache.open({
    directory: env.SKEIN_LAMBDA_CACHE_DIR || DEFAULT_CACHE_DIR,
    maxBytes: intEnv(env, 'SKEIN_LAMBDA_CACHE_BYTES') ?? 512 << 20,
    stores,
  });
  return EngineFunction.open({
    secret,
    threads: intEnv(env, 'SKEIN_EXECUTOR_THREADS'),
    memoryLimit: env.SKEIN_MEMORY_LIMIT || undefined,
    allowedDirectories: sandbox ? allowed : null,
    resultPrefix,
    resultStore: resultPrefix ? stores.forUri(resultPrefix) : null,
    cache,
  });
}

/** Catalog function environment: SKEIN_CATALOG_ROOT and/or SKEIN_CATALOG_FILE (the directory catalog). */
export async function openCatalogFunction(env: NodeJS.ProcessEnv): Promise<CatalogFunction> {
  const root = env.SKEIN_CATALOG_ROOT || undefined;
  const file = env.SKEIN_CATALOG_FILE || undefined;
  if (!root && !file) throw new ConfigError('the Catalog function needs SKEIN_CATALOG_ROOT or SKEIN_CATALOG_FILE');
  return new CatalogFunction(await DirectoryCatalog.open({ root, file }));
}

export async function loadHandler(name: string, env: NodeJS.ProcessEnv): Promise<LambdaHandler> {
  switch (name) {
    case 'engine': {
      const fn = await openEngineFunction(env);
      return (event, ctx) => fn.handle(event, ctx);
    }
    case 'catalog': {
      const fn = await openCatalogFunction(env);
      return (event) => fn.handle(event);
    }
    default:
      throw new ConfigError(`unknown Skein Lambda handler "${name}" (engine or catalog)`);
  }
}
