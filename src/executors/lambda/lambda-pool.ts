// Builds the coordinator's Lambda executors from the configuration: N pool members over one shared
// invoker (its concurrency is the real bound on invocations) and one result store, released when
// the last member closes.
import { Stores } from '../../store/stores';
import { InvocationMode, LambdaExecutor } from './lambda-executor';
import { LambdaInvoker } from './invoker';

export interface LambdaSettings {
  functionName: string;
  region: string;
  endpoints: readonly string[];
  concurrency: number;
  /** Per endpoint (1 for emulators, which run one invocation at a time); default no limit. */
  endpointConcurrency?: number;
  invocation: InvocationMode;
  resultPrefix?: string;
  inlineLimitBytes?: number;
  maxRetries?: number;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** `stores` reads the result prefix; it is closed with the last executor. */
export function startLambdaExecutors(count: number, s: LambdaSettings, timeoutMs: number, stores: Stores): LambdaExecutor[] {
  const invoker = new LambdaInvoker({
    functionName: s.functionName,
    region: s.region,
    endpoints: s.endpoints,
    concurrency: s.concurrency,
    endpointConcurrency: s.endpointConcurrency,
    maxRetries: s.maxRetries,
    credentials: s.credentials,
  });
  const store = s.resultPrefix ? stores.forUri(s.resultPrefix) : null;
  let open = count;
  const onClose = async (): Promise<void> => {
    if (--open > 0) return;
    invoker.close();
    await stores.close();
  };
  return Array.from(
    { length: count },
    (_, i) =>
      new LambdaExecutor({
        id: `lambda-${i + 1}`,
        invoker,
        invocation: s.invocation,
        resultPrefix: s.resultPrefix ?? null,
        resultStore: store,
        timeoutMs,
        inlineLimit: s.inlineLimitBytes,
        onClose,
      }),
  );
}
