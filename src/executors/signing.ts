// Fragments travel from the coordinator to executors with an HMAC-SHA256 over their canonical JSON,
// so an executor runs only SQL the coordinator wrote: anything unsigned or altered is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InvalidArgumentError, PermissionDeniedError } from '../errors';
import { Fragment } from '../planner/plan';
import { SignedFragment } from './executor';

/** JSON with object keys sorted at every level, so equal fragments always give equal bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new InvalidArgumentError(`cannot sign a value of type ${typeof value}`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function canonicalFragment(f: Fragment): string {
  return canonicalJson(f);
}

function mac(canonical: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest();
}

export function signFragment(f: Fragment, secret: string): SignedFragment {
  return { fragment: f, signature: mac(canonicalFragment(f), secret).toString('base64url') };
}

// loose: fields a newer coordinator adds are covered by the signature and passed along
const fragmentShape = z
  .object({
    id: z.string(),
    stage: z.string(),
    sql: z.string().min(1),
    inputs: z.array(
      z
        .object({
          table: z.string(),
          format: z.enum(['parquet', 'csv', 'json']),
          files: z.array(z.string()),
          bytes: z.number(),
          rows: z.number(),
        })
        .loose(),
    ),
    sink: z
      .object({
        directory: z.string().min(1),
        column: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
        partitions: z.number().int().min(1).max(4096),
      })
      .optional(),
    materialize: z.boolean().optional(),
  })
  .loose();

/**
 * Checks the signature (constant-time) and the fragment's shape; returns the fragment it covers.
 * The HMAC is checked over the object exactly as received, before anything reads its fields.
 */
export function verifyFragment(sf: unknown, secret: string): Fragment {
  const s = sf as Partial<SignedFragment> | null;
  if (s === null || typeof s !== 'object' || typeof s.signature !== 'string' || s.signature === '') {
    throw new PermissionDeniedError('unsigned fragment refused: executors run only fragments signed by the coordinator');
  }
  if (s.fragment === null || typeof s.fragment !== 'object') {
    throw new PermissionDeniedError('fragment refused: the signed ticket holds no fragment');
  }
  const expected = mac(canonicalJson(s.fragment), secret);
  const given = Buffer.from(s.signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new PermissionDeniedError('fragment refused: its signature does not match (altered, or signed with another secret)');
  }
  const parsed = fragmentShape.safeParse(s.fragment);
  if (!parsed.success) {
    throw new InvalidArgumentError(`signed fragment has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Reads a DoGet ticket (the JSON of a SignedFragment); malformed bytes are INVALID_ARGUMENT. */
export function parseTicket(ticket: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(ticket.buffer, ticket.byteOffset, ticket.byteLength).toString('utf8')) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`executor ticket is not JSON: ${(e as Error).message}`);
  }
}

export function ticketOf(sf: SignedFragment): Buffer {
  return Buffer.from(JSON.stringify(sf), 'utf8');
}
