import { startLambdaFunction } from '../../services/lambda';
test('x', async () => {
  const fn = await startLambdaFunction({ handler: 'engine', env: { SKEIN_EXECUTOR_SECRET: 'x'.repeat(20) } });
  const r = await fetch(`${fn.url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: JSON.stringify({ v: 1, op: 'ping' }) });
  console.log(await r.text());
  require('fs').writeFileSync('/tmp/lt/orphan.pid', String(process.pid));
  await new Promise((r) => setTimeout(r, 60000));
}, 90000);
