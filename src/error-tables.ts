// Foreign failures (AWS SDK replies, node:fs errno codes) → Skein's typed errors. Each source keeps a
// table of which names mean which status and how to word it; the order of the lookups lives here once.
import { InternalError, SkeinError, UnavailableError } from './errors';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => SkeinError;

/** What a wording sees of one failure. */
export interface Failure {
  /** The object the call was about: a URI, `glue table sales.events`… */
  what: string;
  /** The SDK error name or errno code the table is keyed by ('' when absent). */
  name: string;
  http?: number;
  message?: string;
  /** `: <message>` when the message adds something to the name, else ''. */
  detail: string;
  /** Why a request got no reply: the message, else the code. */
  reason?: string;
}

export type Wording = (f: Failure) => string;
export type ErrorRule = readonly [ErrorClass, Wording];

export interface ErrorTable {
  /** The field the table is keyed by: the SDK's error `name`, or node's errno `code`. */
  key: 'name' | 'code';
  byName: Readonly<Record<string, ErrorRule>>;
  /** Exact HTTP statuses, and '5xx' for any server error; looked at only when no name matched. */
  byStatus?: Readonly<Record<string, ErrorRule>>;
  /** A request that got no reply at all (refused, reset, DNS) → UNAVAILABLE. */
  unreachable?: Wording;
  /** Anything else → INTERNAL. */
  otherwise: Wording;
  /** Messages that say nothing the name does not (left out of `detail`). */
  quiet?: (name: string, message: string) => boolean;
}

interface ForeignError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EPIPE|EHOSTUNREACH|socket hang up|getaddrinfo/i;

/** `e` as a typed error about `what`, by `table`; a SkeinError passes through unchanged. */
export function typedError(e: unknown, what: string, table: ErrorTable): SkeinError {
  if (e instanceof SkeinError) return e;
  const err = (e ?? {}) as ForeignError;
  const name = (table.key === 'name' ? err.name : err.code) ?? '';
  const http = err.$metadata?.httpStatusCode;
  const message = err.message;
  const quiet = !message || message === name || (table.quiet?.(name, message) ?? false);
  const f: Failure = { what, name, http, message, detail: quiet ? '' : `: ${message}` };
  const opts = { cause: e };
  const rule =
    (Object.hasOwn(table.byName, name) ? table.byName[name] : undefined) ??
    (http === undefined ? undefined : (table.byStatus?.[String(http)] ?? (http >= 500 ? table.byStatus?.['5xx'] : undefined)));
  if (rule) return new rule[0](rule[1](f), opts);
  if (table.unreachable && http === undefined && NETWORK.test(`${err.code ?? ''} ${message ?? ''}`)) {
    return new UnavailableError(table.unreachable({ ...f, reason: message ?? err.code }), opts);
  }
  return new InternalError(table.otherwise(f), opts);
}

/** The usual last words: `<service> request for <what> failed (<name>, HTTP <n>)<detail>`. */
export function requestFailed(service: string): Wording {
  return (f) => `${service} request for ${f.what} failed (${f.name || 'error'}${f.http ? `, HTTP ${f.http}` : ''})${f.detail}`;
}
