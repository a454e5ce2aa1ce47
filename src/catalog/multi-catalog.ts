// Several catalogs behind one Catalog: the first that knows a table serves it (so catalog-file
// format entries win over directory tables of the same name); roots and tables are the union.
import { Catalog, TableAt, TableInfo, TableName } from './catalog';

export class MultiCatalog implements Catalog {
  readonly roots: readonly string[];

  constructor(private readonly catalogs: readonly Catalog[]) {
    this.roots = [...new Set(catalogs.flatMap((c) => c.roots))];
  }

  async tables(): Promise<TableName[]> {
    const seen = new Set<string>();
    const out: TableName[] = [];
    for (const c of this.catalogs) {
      for (const t of await c.tables()) {
        const key = JSON.stringify([t.schema, t.name]);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(t);
      }
    }
    return out.sort((a, b) => (a.schema === b.schema ? cmp(a.name, b.name) : cmp(a.schema, b.schema)));
  }

  async table(schema: string, name: string, at?: TableAt): Promise<TableInfo | null> {
    for (const c of this.catalogs) {
      const t = await c.table(schema, name, at);
      if (t) return t;
    }
    return null;
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.catalogs.map((c) => c.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
