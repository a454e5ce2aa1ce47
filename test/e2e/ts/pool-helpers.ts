// Shared by the executor-pool e2e tests (child-process, ECS, Lambda): a run's outputs gathered, and a
// promise's failure as its gRPC code and message.
import { FragmentOutput } from '../../../src/executors/pool';

/** Every output of a pool run, in the order they came. */
export async function all(it: AsyncIterable<FragmentOutput>): Promise<FragmentOutput[]> {
  const out: FragmentOutput[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** How `p` failed; throws if it did not. */
export async function failure(p: Promise<unknown>): Promise<{ code?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: (e as { code?: number }).code, message: (e as Error).message };
  }
  throw new Error('expected a failure');
}
