// The Catalog function: answers the planner's look-ups (tables, one table's files, partitions and
// column statistics, the roots executors read) from a catalog opened once per function instance.
import { status } from '@grpc/grpc-js';
import { Catalog, TableInfo, TableName } from '../../catalog/catalog';
import { InternalError, NotFoundError, SkeinError } from '../../errors';
import { CatalogReply, catalogRequest, PROTOCOL_VERSION } from './protocol';

export class CatalogFunction {
  constructor(private readonly catalog: Catalog) {}

  async handle(event: unknown): Promise<CatalogReply<TableName[] | TableInfo | readonly string[]>> {
    const parsed = catalogRequest.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { v: PROTOCOL_VERSION, ok: false, code: status.INVALID_ARGUMENT, error: `bad Catalog request: ${issue?.path.join('.') || '(root)'}: ${issue?.message}` };
    }
    const req = parsed.data;
    try {
      switch (req.op) {
        case 'tables':
          return { v: PROTOCOL_VERSION, ok: true, value: await this.catalog.tables() };
        case 'roots':
          return { v: PROTOCOL_VERSION, ok: true, value: this.catalog.roots };
        case 'table': {
          const t = await this.catalog.table(req.schema, req.name);
          if (!t) throw new NotFoundError(`table ${req.schema}.${req.name} not found in the catalog`);
          return { v: PROTOCOL_VERSION, ok: true, value: t };
        }
      }
    } catch (e) {
      const err = e instanceof SkeinError ? e : new InternalError((e as Error)?.message ?? String(e));
      return { v: PROTOCOL_VERSION, ok: false, code: err.code, error: err.message };
    }
  }

  close(): Promise<void> {
    return this.catalog.close();
  }
}
