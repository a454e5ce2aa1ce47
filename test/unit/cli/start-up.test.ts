// The server and the executor load the AWS SDK clients, ioredis and avsc only when a feature needs
// them (S3 objects, Glue, Lambda, Fargate, Redis, Iceberg): start-up time and the size of the JS heap
// every garbage collection walks. Checked on the compiled CLI, the way it is started.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const DIST = resolve(__dirname, '../../../dist/src');
const HEAVY = /node_modules\/(@aws-sdk\/[^/]+|ioredis|avsc)\//;

function loadedBy(script: string): string[] {
  const out = execFileSync(
    process.execPath,
    ['-e', `${script}; console.log(JSON.stringify(Object.keys(require.cache)))`],
    { encoding: 'utf8', cwd: resolve(__dirname, '../../..') },
  );
  const modules = JSON.parse(out.trim().split('\n').pop() as string) as string[];
  return [...new Set(modules.flatMap((m) => (HEAVY.exec(m)?.[1] ? [HEAVY.exec(m)?.[1] as string] : [])))];
}

describe('start-up', () => {
  it('the server and executor modules load none of the optional heavy packages', () => {
    expect(loadedBy(`require(${JSON.stringify(`${DIST}/cli/serve.js`)}); require(${JSON.stringify(`${DIST}/cli/executor.js`)})`)).toEqual([]);
  });

  it('each is loaded once its feature is used', () => {
    const stores = JSON.stringify(`${DIST}/store/stores.js`);
    const loaded = loadedBy(
      `const { openStores } = require(${stores}); openStores({ s3: { region: 'us-east-1' } }).forUri('s3://bucket/key');` +
        `require(${JSON.stringify(`${DIST}/catalog/iceberg/avro.js`)}).readAvro(Buffer.alloc(0)).catch(() => undefined)`,
    );
    expect(loaded).toEqual(expect.arrayContaining(['@aws-sdk/client-s3', 'avsc']));
    expect(loaded).not.toContain('ioredis');
  });
});
