// Entry points for Lambda's managed Node.js runtime (Handler `dist/src/executors/lambda/index.engine`
// or `….catalog`); the custom runtime (runtime.ts) serves the same handlers on provided.al2023.
// The handler is built on the first invocation and kept for the warm ones after.
import { UnimplementedError } from '../../errors';
import { LambdaContext, LambdaHandler, loadHandler, StreamingResponse } from './handlers';

const loaded = new Map<string, Promise<LambdaHandler>>();

function named(name: string): LambdaHandler {
  return async (event, ctx) => {
    let h = loaded.get(name);
    if (!h) {
      h = loadHandler(name, process.env);
      loaded.set(name, h);
      h.catch(() => loaded.delete(name));
    }
    const result = await (await h)(event, ctx);
    if (result instanceof StreamingResponse) {
      throw new UnimplementedError('streamed responses need the custom runtime (provided.al2023 with the bundle\'s bootstrap)');
    }
    return result;
  };
}

/** Lambda's context has no deadlineMs: derive it from getRemainingTimeInMillis. */
function adapt(h: LambdaHandler) {
  return (event: unknown, ctx: Omit<LambdaContext, 'deadlineMs'> & { deadlineMs?: number }) =>
    h(event, { ...ctx, deadlineMs: ctx.deadlineMs ?? Date.now() + ctx.getRemainingTimeInMillis(), getRemainingTimeInMillis: () => ctx.getRemainingTimeInMillis() });
}

export const engine = adapt(named('engine'));
export const catalog = adapt(named('catalog'));
