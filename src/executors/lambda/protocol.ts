// What the coordinator and the Engine / Catalog functions send each other as Lambda payloads (JSON).
// Failures the handler understands travel as a reply with a gRPC code, not as a function error, so
// the coordinator can tell a bad fragment (fail the query) from a lost function (retry it).
import { z } from 'zod';

export const PROTOCOL_VERSION = 1 as const;

/** Lambda's synchronous response limit is 6 MB; base64 and the envelope must fit under it. */
export const MAX_INLINE_BYTES = 4 << 20;

/** Runs one signed fragment. */
export const engineRunRequest = z.object({
  v: z.literal(PROTOCOL_VERSION),
  op: z.literal('run'),
  /** Chosen by the coordinator (a ULID): names the result objects, so an async caller knows where to look. */
  id: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, 'an invocation id of letters, digits, - and _'),
  /** The SignedFragment exactly as signed; the handler verifies it before reading anything. */
  fragment: z.unknown(),
  /** Epoch ms after which the fragment is stopped (DEADLINE_EXCEEDED). */
  deadline: z.number().optional(),
  /** Results up to this many IPC bytes come back inline; 0 sends everything to the result store. */
  inlineLimit: z.number().int().min(0).max(MAX_INLINE_BYTES).optional(),
  /** Async invocations: also write the reply itself to the result store (where the caller polls). */
  replyToStore: z.boolean().optional(),
  /**
   * Answer as a streamed response (InvokeWithResponseStream): the Arrow IPC stream itself, any size.
   * A fragment that fails to start still answers a JSON failure reply.
   */
  stream: z.boolean().optional(),
});

/** Reports the function instance: warm reuse is visible as the same instance with a growing count. */
export const enginePingRequest = z.object({ v: z.literal(PROTOCOL_VERSION), op: z.literal('ping') });

export const engineRequest = z.discriminatedUnion('op', [engineRunRequest, enginePingRequest]);
export type EngineRunRequest = z.infer<typeof engineRunRequest>;
export type EngineRequest = z.infer<typeof engineRequest>;

export interface ReplyFailure {
  v: typeof PROTOCOL_VERSION;
  ok: false;
  /** gRPC status code (errors.ts). */
  code: number;
  error: string;
}

export interface RunReply {
  v: typeof PROTOCOL_VERSION;
  ok: true;
  id: string;
  instance: string;
  rows: number;
  /** Size of the Arrow IPC stream. */
  bytes: number;
  /** base64 of the Arrow IPC stream, when small enough. */
  inline?: string;
  /** Otherwise where the stream was written (the caller reads, then deletes it). */
  uri?: string;
  durationMs: number;
}

export interface PingReply {
  v: typeof PROTOCOL_VERSION;
  ok: true;
  instance: string;
  /** Invocations this instance has served, this one included. */
  invocations: number;
  duckdb: string;
  cachedFiles: number;
}

export type EngineReply = RunReply | PingReply | ReplyFailure;

/** Object-store names of one invocation's results under the result prefix. */
export function resultUris(prefix: string, id: string): { data: string; reply: string } {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return { data: `${base}${id}.arrows`, reply: `${base}${id}.reply.json` };
}

export const catalogRequest = z.discriminatedUnion('op', [
  z.object({ v: z.literal(PROTOCOL_VERSION), op: z.literal('tables') }),
  z.object({ v: z.literal(PROTOCOL_VERSION), op: z.literal('table'), schema: z.string().min(1), name: z.string().min(1) }),
  z.object({ v: z.literal(PROTOCOL_VERSION), op: z.literal('roots') }),
]);
export type CatalogRequest = z.infer<typeof catalogRequest>;

export type CatalogReply<T> = { v: typeof PROTOCOL_VERSION; ok: true; value: T } | ReplyFailure;
