// The machine's own S3 read ceiling for the fanout bench: every object under a prefix read in 8 MiB
// ranged GETs (the partition cache's chunk) by one Node process through Skein's S3 store, --concurrency
// at once, no throttle, nothing written to disk, no DuckDB. Prints one JSON line: bytes, seconds, MB/s.
// Usage: node bench/s3-ceiling.mjs --prefix s3://bucket/key/ --endpoint URL --key K --secret S [--concurrency 16]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { openStores } = require(join(root, 'dist/src/store/stores.js'));
const { storeSchema } = require(join(root, 'dist/src/store/store-config.js'));

const { values } = parseArgs({
  options: {
    prefix: { type: 'string' },
    endpoint: { type: 'string' },
    key: { type: 'string' },
    secret: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
  },
});
const stores = openStores(
  storeSchema.parse({
    s3: { endpoint: values.endpoint, forcePathStyle: true, accessKeyId: values.key, secretAccessKey: values.secret },
  }),
);
const store = stores.forUri(values.prefix);
const CHUNK = 8 << 20;
try {
  const objects = await store.list(values.prefix);
  const ranges = objects.flatMap((o) =>
    Array.from({ length: Math.ceil(o.size / CHUNK) }, (_, i) => ({ uri: o.uri, start: i * CHUNK, end: Math.min(o.size, (i + 1) * CHUNK) })),
  );
  let bytes = 0;
  const t0 = performance.now();
  const worker = async () => {
    for (let r = ranges.shift(); r; r = ranges.shift()) {
      const part = await store.get(r.uri, { start: r.start, end: r.end });
      bytes += part.length; // after the await: `bytes += await …` would read bytes before it and lose updates
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ bytes, seconds, mbps: bytes / 1e6 / seconds, concurrency: Number(values.concurrency) }));
} finally {
  await stores.close();
}
