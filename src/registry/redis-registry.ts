// The registry in Redis (ioredis), shared by coordinators and executors. Keys live under a prefix:
//   <p>executor:<id>   executor record (JSON string), expires unless a heartbeat refreshes it
//   <p>executors       sorted set of executor ids (an index; a missing record means expired)
//   <p>log             sorted set of query log ids (ULIDs) scored by start time (epoch ms)
//   <p>log:<ulid>      the entry: a RedisJSON document when the server has the module, else a JSON
//                      string; both expire after the retention period
// Every command fails fast while Redis is unreachable (no offline queue, one try, a command timeout),
// so callers see UNAVAILABLE / DEADLINE_EXCEEDED at once instead of waiting; the client reconnects
// in the background and the next call works again.
import { Redis } from 'ioredis';
import { DeadlineExceededError, SkeinError, UnavailableError } from '../errors';
import { log } from '../log';
import { redactUrl } from './redact-url';
import { DEFAULT_LOG_LIMIT, entryTime, ExecutorRecord, QueryLogEntry, QueryLogRange, Registry } from './registry';

export interface RedisRegistryOptions {
  url: string;
  /** Prefix of every key (default "skein:"). */
  keyPrefix: string;
  /** Per-command reply timeout (ms). */
  commandTimeoutMs: number;
  /** Query log entries are kept this long (ms) ... */
  retentionMs: number;
  /** ... and at most this many. */
  maxEntries: number;
  /** Fail open() when Redis cannot be reached now (CLI); a server instead keeps retrying. */
  requireConnection?: boolean;
}


type Reply = [Error | null, unknown];

export class RedisRegistry implements Registry {
  readonly kind = 'redis';
  private readonly where: string;
  /** Whether the server has RedisJSON; null until checked on the current connection. */
  private json: boolean | null = null;
  private warned = false;

  private constructor(
    private readonly client: Redis,
    private readonly opts: RedisRegistryOptions,
  ) {
    this.where = redactUrl(opts.url);
    client.on('ready', () => {
      this.json = null; // a restarted (or different) server may have other modules
      if (this.warned) log.info({ redis: this.where }, 'registry: Redis reachable again');
      this.warned = false;
    });
    client.on('error', (e: Error) => {
      if (this.warned) return;
      this.warned = true;
      log.warn({ redis: this.where, err: e.message }, 'registry: Redis unreachable; retrying in the background');
    });
  }

  static async open(opts: RedisRegistryOptions): Promise<RedisRegistry> {
    const client = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs,
      connectTimeout: Math.max(1000, opts.commandTimeoutMs),
      retryStrategy: (times: number) => Math.min(1000, 50 * times),
      disconnectTimeout: 500,
    });
    const registry = new RedisRegistry(client, opts);
    try {
      await client.connect();
    } catch (e) {
      if (opts.requireConnection) {
        client.disconnect();
        throw registry.failure(e);
      }
    }
    return registry;
  }

  private key(...parts: string[]): string {
    return this.opts.keyPrefix + parts.join(':');
  }

  /** An ioredis failure as a typed error naming the server. */
  private failure(e: unknown): SkeinError {
    if (e instanceof SkeinError) return e;
    const msg = (e as Error)?.message ?? String(e);
    if (/timed out/i.test(msg)) return new DeadlineExceededError(`registry ${this.where}: ${msg}`, { cause: e });
    return new UnavailableError(`registry ${this.where}: ${msg}`, { cause: e });
  }

  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw this.failure(e);
    }
  }

  /** Runs a MULTI and throws the first failed command's error. */
  private async transaction(build: (m: ReturnType<Redis['multi']>) => void): Promise<Reply[]> {
    const m = this.client.multi();
    build(m);
    const replies = ((await m.exec()) ?? []) as Reply[];
    const bad = replies.find((r) => r[0]);
    if (bad) throw bad[0];
    return replies;
  }

  async heartbeat(record: ExecutorRecord, ttlMs: number): Promise<void> {
    await this.guard(() =>
      this.transaction((m) => {
        m.set(this.key('executor', record.id), JSON.stringify(record), 'PX', Math.max(1, Math.round(ttlMs)));
        m.zadd(this.key('executors'), record.heartbeatAt, record.id);
      }),
    );
  }

  async deregister(id: string): Promise<void> {
    await this.guard(() =>
      this.transaction((m) => {
        m.del(this.key('executor', id));
        m.zrem(this.key('executors'), id);
      }),
    );
  }

  async liveExecutors(): Promise<ExecutorRecord[]> {
    return this.guard(async () => {
      const ids = await this.client.zrange(this.key('executors'), '0', '-1');
      if (ids.length === 0) return [];
      const docs = await this.client.mget(ids.map((id) => this.key('executor', id)));
      const out: ExecutorRecord[] = [];
      const expired: string[] = [];
      ids.forEach((id, i) => {
        const doc = docs[i];
        if (doc === null) return void expired.push(id);
        try {
          out.push(JSON.parse(doc) as ExecutorRecord);
        } catch {
          log.warn({ redis: this.where, executor: id }, 'registry: unreadable executor record ignored');
        }
      });
      // the record expired: drop it from the index too (another reader may have done so already)
      if (expired.length > 0) await this.client.zrem(this.key('executors'), ...expired);
      return out;
    });
  }

  /** Whether the connected server has RedisJSON: MODULE LIST, or a probe where that is not allowed. */
  private async hasJson(): Promise<boolean> {
    if (this.json !== null) return this.json;
    let found: boolean;
    try {
      const modules = (await this.client.call('MODULE', 'LIST')) as unknown[];
      found = JSON.stringify(modules).match(/"name","(rejson|redisjson|json)"/i) !== null;
    } catch {
      try {
        await this.client.call('JSON.GET', this.key('json-probe'));
        found = true;
      } catch (e) {
        if (!/unknown command/i.test((e as Error).message)) throw e;
        found = false;
      }
    }
    this.json = found;
    return found;
  }

  async append(entry: QueryLogEntry): Promise<void> {
    await this.guard(async () => {
      const json = await this.hasJson();
      const doc = JSON.stringify(entry);
      const key = this.key('log', entry.id);
      const ttl = Math.max(1, Math.ceil(this.opts.retentionMs / 1000));
      await this.transaction((m) => {
        if (json) {
          m.call('JSON.SET', key, '$', doc);
          m.expire(key, ttl);
        } else {
          m.set(key, doc, 'EX', ttl);
        }
        m.zadd(this.key('log'), entryTime(entry), entry.id);
        // retention and size bounds of the index (the documents expire on their own)
        m.zremrangebyscore(this.key('log'), '-inf', `(${Date.now() - this.opts.retentionMs}`);
        m.zremrangebyrank(this.key('log'), 0, -(this.opts.maxEntries + 1));
      });
    });
  }

  /** Entries by id; a document written the other way (string vs RedisJSON) is still read. */
  private async readEntries(ids: string[]): Promise<Array<QueryLogEntry | null>> {
    const json = await this.hasJson();
    const read = async (ks: string[], asJson: boolean): Promise<Reply[]> => {
      const p = this.client.pipeline();
      for (const k of ks) {
        if (asJson) p.call('JSON.GET', k);
        else p.get(k);
      }
      return ((await p.exec()) ?? []) as Reply[];
    };
    const keys = ids.map((id) => this.key('log', id));
    const first = await read(keys, json);
    const out: Array<QueryLogEntry | null> = [];
    const retry: number[] = [];
    first.forEach(([err, v], i) => {
      if (err) {
        if (!/WRONGTYPE|unknown command/i.test(err.message)) throw err;
        retry.push(i);
        out.push(null);
      } else {
        out.push(typeof v === 'string' ? (JSON.parse(v) as QueryLogEntry) : null);
      }
    });
    if (retry.length > 0) {
      const second = await read(retry.map((i) => keys[i]), !json);
      second.forEach(([err, v], j) => {
        if (err) throw err;
        out[retry[j]] = typeof v === 'string' ? (JSON.parse(v) as QueryLogEntry) : null;
      });
    }
    return out;
  }

  async queryRange(range: QueryLogRange): Promise<QueryLogEntry[]> {
    return this.guard(async () => {
      const limit = range.limit ?? DEFAULT_LOG_LIMIT;
      const max = range.until !== undefined ? String(range.until) : '+inf';
      const min = range.since !== undefined ? String(range.since) : '-inf';
      const out: QueryLogEntry[] = [];
      // newest first, a page at a time, until `limit` entries pass the filters
      const page = Math.max(50, Math.min(1000, limit * 2));
      for (let offset = 0; out.length < limit; offset += page) {
        const ids = await this.client.zrevrangebyscore(this.key('log'), max, min, 'LIMIT', offset, page);
        if (ids.length === 0) break;
        for (const e of await this.readEntries(ids)) {
          if (e === null) continue; // expired document
          if (range.user !== undefined && e.user !== range.user) continue;
          out.push(e);
          if (out.length === limit) break;
        }
        if (ids.length < page) break;
      }
      return out.reverse();
    });
  }

  async queryById(id: string): Promise<QueryLogEntry | null> {
    return this.guard(async () => (await this.readEntries([id]))[0]);
  }

  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      const quit = this.client.quit().catch(() => undefined);
      await Promise.race([quit, new Promise((r) => setTimeout(r, this.opts.commandTimeoutMs).unref())]);
    }
    if (this.client.status !== 'end') this.client.disconnect();
  }
}
