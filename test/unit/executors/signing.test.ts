// Fragment signatures: canonical JSON, HMAC round trip, and every alteration refused.
import { status } from '@grpc/grpc-js';
import { canonicalFragment, canonicalJson, parseTicket, signFragment, ticketOf, verifyFragment } from '../../../src/executors/signing';
import { Fragment } from '../../../src/planner/plan';

const SECRET = 'test-secret-0123456789';

const fragment: Fragment = {
  id: 'q1-f0',
  stage: 'scan-1',
  sql: "SELECT a FROM read_parquet(['/data/t/part-0.parquet']) WHERE a > 3",
  inputs: [{ table: 'lake.t', format: 'parquet', files: ['/data/t/part-0.parquet'], bytes: 1234, rows: 10 }],
};

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: number }).code;
  }
  return undefined;
}

describe('fragment signing', () => {
  it('canonical JSON sorts keys at every level and ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
    const reordered = { inputs: fragment.inputs, sql: fragment.sql, stage: fragment.stage, id: fragment.id };
    expect(canonicalFragment(reordered)).toBe(canonicalFragment(fragment));
  });

  it('verifies its own signature, also after a JSON round trip (the DoGet ticket)', () => {
    const signed = signFragment(fragment, SECRET);
    expect(signed.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyFragment(signed, SECRET)).toEqual(fragment);
    expect(verifyFragment(parseTicket(ticketOf(signed)), SECRET)).toEqual(fragment);
  });

  it.each([
    ['sql', (f: Fragment): Fragment => ({ ...f, sql: f.sql.replace('a > 3', 'a > 2') })],
    ['files', (f: Fragment): Fragment => ({ ...f, inputs: [{ ...f.inputs[0], files: ['/etc/passwd'] }] })],
    ['id', (f: Fragment): Fragment => ({ ...f, id: 'q1-f1' })],
    ['stage', (f: Fragment): Fragment => ({ ...f, stage: 'scan-2' })],
    ['set of keys', (f: Fragment): Fragment => ({ ...f, extra: 1 }) as Fragment],
  ])('refuses a fragment whose %s changed after signing (PERMISSION_DENIED)', (_what, alter) => {
    const signed = signFragment(fragment, SECRET);
    expect(codeOf(() => verifyFragment({ ...signed, fragment: alter(signed.fragment) }, SECRET))).toBe(status.PERMISSION_DENIED);
  });

  it('refuses unsigned fragments, other secrets and forged signatures', () => {
    const signed = signFragment(fragment, SECRET);
    expect(codeOf(() => verifyFragment({ fragment }, SECRET))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(() => verifyFragment({ fragment, signature: '' }, SECRET))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(() => verifyFragment(fragment, SECRET))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(() => verifyFragment(null, SECRET))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(() => verifyFragment(signed, 'another-secret-0123456789'))).toBe(status.PERMISSION_DENIED);
    expect(codeOf(() => verifyFragment({ ...signed, signature: signed.signature.slice(0, -2) }, SECRET))).toBe(status.PERMISSION_DENIED);
    const flipped = Buffer.from(signed.signature, 'base64url');
    flipped[0] ^= 1;
    expect(codeOf(() => verifyFragment({ ...signed, signature: flipped.toString('base64url') }, SECRET))).toBe(status.PERMISSION_DENIED);
  });

  it('a ticket that is not JSON is INVALID_ARGUMENT', () => {
    expect(codeOf(() => parseTicket(Buffer.from('not json')))).toBe(status.INVALID_ARGUMENT);
  });
});
