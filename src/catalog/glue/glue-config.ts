// The `catalog.glue` section of the config (present = the Glue Data Catalog is served) and its
// SKEIN_GLUE_* variables. Kept here so src/config.ts only plugs it in.
import { z } from 'zod';

export const glueSchema = z
  .object({
    region: z.string().min(1).default('us-east-1'),
    /** A Glue-compatible server (moto…); AWS's regional endpoint when absent. */
    endpoint: z.string().url().optional(),
    /** Only these Glue databases become schemas (all when absent). */
    databases: z.array(z.string().min(1)).min(1).optional(),
    /** Glue answers and file listings are reused this long: a change in Glue shows within it. */
    ttlSeconds: z.number().min(0).default(30),
    /** The AWS account whose Data Catalog is read (the caller's own when absent). */
    catalogId: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
    /** Static credentials; else store.s3's static ones, else the AWS SDK's default chain. */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
  })
  .strict()
  .refine((g) => (g.accessKeyId === undefined) === (g.secretAccessKey === undefined), {
    message: 'accessKeyId and secretAccessKey go together',
  });

export type GlueConfig = z.infer<typeof glueSchema>;

/** SKEIN_GLUE_* variables, in the shape of config.ts's envKeys: any of them turns Glue on. */
export function glueEnvKeys(intOf: (name: string, v: string) => number): Record<string, (v: string, into: Record<string, unknown>) => void> {
  const glue = (o: Record<string, unknown>, add: Record<string, unknown>): void => {
    const catalog = (o.catalog ?? {}) as Record<string, unknown>;
    o.catalog = { ...catalog, glue: { ...(catalog.glue as object), ...add } };
  };
  return {
    SKEIN_GLUE_REGION: (v, o) => glue(o, { region: v }),
    SKEIN_GLUE_ENDPOINT: (v, o) => glue(o, { endpoint: v }),
    SKEIN_GLUE_DATABASES: (v, o) => glue(o, { databases: v.split(',').map((d) => d.trim()).filter((d) => d !== '') }),
    SKEIN_GLUE_TTL_SECONDS: (v, o) => glue(o, { ttlSeconds: intOf('SKEIN_GLUE_TTL_SECONDS', v) }),
    SKEIN_GLUE_CATALOG_ID: (v, o) => glue(o, { catalogId: v }),
  };
}
