// Plans of recent statements, reused when the same text comes again (dashboards and BI tools repeat
// their queries): planning talks to DuckDB a few dozen times (parse, bind, render, constants), 20–50
// ms that a small query cannot afford. An entry is valid while every lake table it resolved is still
// the very object the catalog hands out (a refresh that sees new files makes new ones). Statements
// whose plan could depend on the clock or on randomness are not kept.
import { Catalog, TableAt, TableInfo } from '../catalog/catalog';
import { Plan } from './plan';

interface Resolution {
  schema: string;
  name: string;
  at: TableAt | undefined;
  info: TableInfo | null;
}

interface Entry {
  json: string;
  prefix: string;
  tables: Resolution[];
}

/** Functions whose value changes between runs: a plan that pruned by them may be stale. */
const VOLATILE = /\b(current_date|current_time|current_timestamp|localtime|localtimestamp|now|today|get_current_time|get_current_timestamp|transaction_timestamp|epoch_ms|random|uuid|gen_random_uuid|setseed|nextval|currval|getvariable|current_setting|current_user|current_role|user)\b/i;

export class PlanCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 256,
    private readonly maxBytes = 64 << 20,
  ) {}

  /** A catalog that records what it resolves, for `put`. */
  static recording(catalog: Catalog): { catalog: Catalog; tables: Resolution[] } {
    const tables: Resolution[] = [];
    const recorder: Catalog = {
      tables: () => catalog.tables(),
      table: async (schema: string, name: string, at?: TableAt) => {
        const info = await catalog.table(schema, name, at);
        tables.push({ schema, name, at, info });
        return info;
      },
      get roots() {
        return catalog.roots;
      },
      close: () => catalog.close(),
    };
    return { catalog: recorder, tables };
  }

  /** The cached plan for `key`, its names moved to `prefix`; null when absent or stale. */
  async get<P extends Plan>(key: string, catalog: Catalog, prefix: string): Promise<P | null> {
    const e = this.entries.get(key);
    if (!e) return null;
    for (const t of e.tables) {
      if ((await catalog.table(t.schema, t.name, t.at)) !== t.info) {
        this.drop(key, e);
        return null;
      }
    }
    // most recently used last
    this.entries.delete(key);
    this.entries.set(key, e);
    return JSON.parse(e.json.split(e.prefix).join(prefix)) as P;
  }

  put(key: string, sql: string, plan: Plan, prefix: string, tables: Resolution[]): void {
    if (plan.kind !== 'distributed' || VOLATILE.test(sql) || sql.includes(prefix)) return;
    const json = JSON.stringify(plan);
    if (json.length > this.maxBytes / 16) return;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { json, prefix, tables: [...tables] });
    this.bytes += json.length;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(k, v);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string, e: Entry): void {
    this.entries.delete(key);
    this.bytes -= e.json.length;
  }
}
