// The `store` section of the config: S3 connection settings (AWS or any S3-compatible server) and the
// executors' partition cache. Kept here so src/config.ts only plugs it in.
import { z } from 'zod';

export const storeSchema = z
  .object({
    s3: z
      .object({
        /** An S3-compatible server (MinIO, moto, …); AWS's regional endpoint when absent. */
        endpoint: z.string().url().optional(),
        region: z.string().min(1).default('us-east-1'),
        /** Static credentials; when absent the AWS SDK's default chain (env, profile, role) is used. */
        accessKeyId: z.string().min(1).optional(),
        secretAccessKey: z.string().min(1).optional(),
        sessionToken: z.string().min(1).optional(),
        forcePathStyle: z.boolean().default(false),
      })
      .strict()
      .refine((s) => (s.accessKeyId === undefined) === (s.secretAccessKey === undefined), {
        message: 'accessKeyId and secretAccessKey go together',
      })
      .default({ region: 'us-east-1', forcePathStyle: false }),
    cache: z
      .object({
        /** Where executors keep copies of remote data files; a temp directory per process when absent. */
        directory: z.string().min(1).optional(),
        /** Size bound of the cache; least recently used files not in use are evicted past it. */
        maxBytes: z.number().int().min(1 << 20).default(4 * 1024 ** 3),
      })
      .strict()
      .default({ maxBytes: 4 * 1024 ** 3 }),
    /**
     * Caps the bytes this process reads from its object stores (get(), every concurrent read
     * together) at this rate: a stand-in for a cloud function's S3 bandwidth (bench/ fanout uses
     * 100 MB/s). Off when absent.
     */
    readBytesPerSecond: z.number().int().positive().optional(),
  })
  .strict();

export type StoreConfig = z.infer<typeof storeSchema>;

export const STORE_DEFAULTS: StoreConfig = storeSchema.parse({});

/** SKEIN_* variables of the store section, in the shape of config.ts's envKeys. */
export function storeEnvKeys(
  intOf: (name: string, v: string) => number,
  boolOf: (name: string, v: string) => boolean,
): Record<string, (v: string, into: Record<string, unknown>) => void> {
  const s3 = (o: Record<string, unknown>, add: Record<string, unknown>): void => {
    const store = (o.store ?? {}) as Record<string, unknown>;
    o.store = { ...store, s3: { ...(store.s3 as object), ...add } };
  };
  const cache = (o: Record<string, unknown>, add: Record<string, unknown>): void => {
    const store = (o.store ?? {}) as Record<string, unknown>;
    o.store = { ...store, cache: { ...(store.cache as object), ...add } };
  };
  return {
    SKEIN_S3_ENDPOINT: (v, o) => s3(o, { endpoint: v }),
    SKEIN_S3_REGION: (v, o) => s3(o, { region: v }),
    SKEIN_S3_ACCESS_KEY_ID: (v, o) => s3(o, { accessKeyId: v }),
    SKEIN_S3_SECRET_ACCESS_KEY: (v, o) => s3(o, { secretAccessKey: v }),
    SKEIN_S3_SESSION_TOKEN: (v, o) => s3(o, { sessionToken: v }),
    SKEIN_S3_FORCE_PATH_STYLE: (v, o) => s3(o, { forcePathStyle: boolOf('SKEIN_S3_FORCE_PATH_STYLE', v) }),
    SKEIN_CACHE_DIRECTORY: (v, o) => cache(o, { directory: v }),
    SKEIN_CACHE_MAX_BYTES: (v, o) => cache(o, { maxBytes: intOf('SKEIN_CACHE_MAX_BYTES', v) }),
    SKEIN_STORE_READ_BYTES_PER_SECOND: (v, o) => {
      o.store = { ...(o.store as object), readBytesPerSecond: intOf('SKEIN_STORE_READ_BYTES_PER_SECOND', v) };
    },
  };
}
