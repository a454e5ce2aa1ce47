// The object store behind a result prefix: where the Engine function spills results too large to
// return inline and where asynchronous invocations leave their replies. Local paths for tests and
// one-machine setups, s3:// for Lambda (through the same Stores the rest of Skein uses).
import { openStores, Stores } from '../../store/stores';
import { storeSchema } from '../../store/store-config';

/** The function's stores from its environment (AWS_REGION is set by Lambda; SKEIN_S3_ENDPOINT for tests). */
export function storesFromEnv(env: NodeJS.ProcessEnv): Stores {
  const endpoint = env.SKEIN_S3_ENDPOINT || undefined;
  return openStores(
    storeSchema.parse({
      s3: { region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1', endpoint, forcePathStyle: endpoint !== undefined },
    }),
  );
}
