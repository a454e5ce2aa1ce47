// The planner's catalog served by the Catalog function: tables, one table's files with their
// partitions and statistics, and the roots executors read, each one invocation (the function keeps
// its catalog, and the file facts it has read, warm between invocations).
import { Catalog, TableInfo, TableName } from '../../catalog/catalog';
import { SkeinError, UnavailableError } from '../../errors';
import { LambdaInvoker, LambdaInvokerOptions } from './invoker';
import { CatalogReply, CatalogRequest, PROTOCOL_VERSION } from './protocol';

export class LambdaCatalog implements Catalog {
  private readonly invoker: LambdaInvoker;
  private rootList: readonly string[] = [];

  private constructor(opts: LambdaInvokerOptions) {
    this.invoker = new LambdaInvoker(opts);
  }

  /** Connects (one invocation: the roots, which the sandbox of local executors needs up front). */
  static async open(opts: LambdaInvokerOptions): Promise<LambdaCatalog> {
    const c = new LambdaCatalog(opts);
    try {
      c.rootList = await c.call<readonly string[]>({ v: PROTOCOL_VERSION, op: 'roots' });
    } catch (e) {
      c.invoker.close();
      throw e;
    }
    return c;
  }

  get roots(): readonly string[] {
    return this.rootList;
  }

  tables(): Promise<TableName[]> {
    return this.call<TableName[]>({ v: PROTOCOL_VERSION, op: 'tables' });
  }

  async table(schema: string, name: string): Promise<TableInfo | null> {
    try {
      return await this.call<TableInfo>({ v: PROTOCOL_VERSION, op: 'table', schema, name });
    } catch (e) {
      if (e instanceof SkeinError && e.code === 5 /* NOT_FOUND */) return null;
      throw e;
    }
  }

  private async call<T>(req: CatalogRequest): Promise<T> {
    const fn = this.invoker.functionName;
    const out = await this.invoker.invoke(req, 'RequestResponse', new AbortController().signal);
    let reply: CatalogReply<T> | { errorMessage?: string };
    try {
      reply = JSON.parse(out.payload.toString('utf8')) as CatalogReply<T>;
    } catch {
      throw new UnavailableError(`catalog function ${fn}: ${out.payload.toString('utf8').slice(0, 200) || 'empty reply'}`);
    }
    if (out.functionError || 'errorMessage' in reply) {
      throw new UnavailableError(`catalog function ${fn} failed: ${(reply as { errorMessage?: string }).errorMessage ?? out.functionError}`);
    }
    if (reply.v !== PROTOCOL_VERSION) throw new UnavailableError(`catalog function ${fn}: not a Skein Catalog reply`);
    if (!reply.ok) throw new SkeinError(reply.code, `catalog function ${fn}: ${reply.error}`);
    return reply.value;
  }

  async close(): Promise<void> {
    this.invoker.close();
  }
}
