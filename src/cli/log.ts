// `skein log`: reads the query log from the registry (Redis) by time range, as a table or JSON lines.
import { Command, InvalidArgumentError as CliArgError, Option } from 'commander';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { openRegistry } from '../registry/open';
import { QueryLogEntry, REDIS_URL_ENV } from '../registry/registry';

export interface LogFlags {
  redis?: string;
  redisPrefix?: string;
  config?: string;
  since?: string;
  until?: string;
  user?: string;
  limit: number;
  format: 'table' | 'json';
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "2025-01-31T12:00:00Z" (any ISO time) or a duration back from `now` such as "15m", "2h", "7d". */
export function timeArg(v: string, now = Date.now()): number {
  const d = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(v.trim());
  if (d) return now - Number(d[1]) * UNITS[d[2]];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliArgError(`"${v}" is neither an ISO time nor a duration such as 15m, 2h, 7d`);
  return t;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(',') : String(v);
  return s.replace(/\s+/g, ' ');
}

/** A plain text table; the query and error columns are shortened to keep one line per entry. */
export function formatTable(entries: readonly QueryLogEntry[]): string {
  const head = ['id', 'started', 'user', 'kind', 'ms', 'rows', 'scanned', 'executors', 'error', 'query'];
  const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
  const rows = entries.map((e) => [
    e.id,
    e.startedAt,
    e.user,
    e.kind,
    e.durationMs.toFixed(1),
    cell(e.rows),
    cell(e.bytesScanned),
    cell(e.executors),
    clip(cell(e.error), 60),
    clip(cell(e.query), 80),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** Reads the entries `flags` ask for and writes them to `out`. */
export async function logCommand(flags: LogFlags, out: NodeJS.WritableStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const registryFlags = {
    ...(flags.redis !== undefined && { redisUrl: flags.redis }),
    ...(flags.redisPrefix !== undefined && { keyPrefix: flags.redisPrefix }),
  };
  const config = loadConfig({ file: flags.config, env, overrides: { registry: registryFlags } });
  if (!config.registry.redisUrl) {
    throw new ConfigError(`skein log reads the query log from Redis: give --redis <url> or ${REDIS_URL_ENV} (the in-memory log lives only inside a server)`);
  }
  const since = flags.since !== undefined ? timeArg(flags.since) : undefined;
  const until = flags.until !== undefined ? timeArg(flags.until) : undefined;
  const registry = await openRegistry(config.registry, { requireConnection: true });
  try {
    const entries = await registry.queryRange({ since, until, user: flags.user, limit: flags.limit });
    if (flags.format === 'json') for (const e of entries) out.write(`${JSON.stringify(e)}\n`);
    else out.write(formatTable(entries));
    return entries.length;
  } finally {
    await registry.close();
  }
}

function positive(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CliArgError('must be a whole number ≥ 1');
  return Number(v);
}

export function addLogCommand(program: Command): void {
  program
    .command('log')
    .description('show the query log (one entry per statement) kept in the registry (Redis), oldest first')
    .option('--redis <url>', `Redis holding the log (env ${REDIS_URL_ENV})`)
    .option('--redis-prefix <prefix>', 'prefix of the registry keys (default "skein:"; env SKEIN_REDIS_PREFIX)')
    .option('--config <file>', 'read the registry settings from this config file (env SKEIN_CONFIG)')
    .option('--since <time>', 'entries started at or after: ISO time, or a duration back from now (15m, 2h, 7d)')
    .option('--until <time>', 'entries started at or before: ISO time or duration back from now')
    .option('--user <user>', "only this user's statements")
    .option('--limit <n>', 'at most this many (the newest)', positive, 100)
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (o: LogFlags) => {
      await logCommand(o);
    });
}
