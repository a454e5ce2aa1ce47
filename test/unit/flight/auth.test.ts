import { Metadata } from '@grpc/grpc-js';
import { Authenticator, hashPassword } from '../../../src/flight/auth';
import { UnauthenticatedError } from '../../../src/errors';

describe('Authenticator', () => {
  const auth = new Authenticator(
    [
      { username: 'alice', password: 'secret!!' },
      { username: 'bob', passwordHash: hashPassword('hunter2') },
    ],
    'a-test-secret-of-enough-length',
    3600,
  );
  const md = (v: string): Metadata => {
    const m = new Metadata();
    m.set('authorization', v);
    return m;
  };

  it('accepts Basic with padded and unpadded base64', () => {
    const padded = Buffer.from('alice:secret!!').toString('base64');
    expect(padded.endsWith('=')).toBe(true);
    expect(auth.fromMetadata(md(`Basic ${padded}`)).user).toBe('alice');
    expect(auth.fromMetadata(md(`Basic ${padded.replace(/=+$/, '')}`)).user).toBe('alice');
    expect(auth.basic(Buffer.from('bob:hunter2').toString('base64')).user).toBe('bob');
  });

  it('rejects wrong or missing credentials', () => {
    expect(() => auth.basic(Buffer.from('alice:wrong').toString('base64'))).toThrow(UnauthenticatedError);
    expect(() => auth.basic(Buffer.from('nobody:x').toString('base64'))).toThrow(UnauthenticatedError);
    expect(() => auth.fromMetadata(new Metadata())).toThrow(/missing credentials/);
    expect(() => auth.fromMetadata(md('Digest abc'))).toThrow(/unsupported authorization scheme/);
  });

  it('issues bearer tokens that verify, and refuses tampered or expired ones', () => {
    const token = auth.issue('alice', 'session-1');
    expect(auth.fromMetadata(md(`Bearer ${token}`))).toMatchObject({ user: 'alice', session: 'session-1' });
    // session options ride in a re-issued token, which keeps the original expiry
    const first = auth.verifyToken(token);
    const again = auth.verifyToken(auth.issue('alice', 'session-1', { TimeZone: 'Asia/Tokyo' }, first.expires));
    expect(again).toEqual({ user: 'alice', session: 'session-1', expires: first.expires, options: { TimeZone: 'Asia/Tokyo' } });
    const [body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'bob', s: 'x', e: 9e9 })).toString('base64url');
    expect(() => auth.verifyToken(`${forged}.${sig}`)).toThrow(/invalid bearer token/);
    expect(() => auth.verifyToken(`${body}.AAAA`)).toThrow(/invalid bearer token/);
    const expired = new Authenticator([{ username: 'alice', password: 'secret' }], 'a-test-secret-of-enough-length', -10);
    expect(() => expired.verifyToken(expired.issue('alice'))).toThrow(/expired/);
  });

  it('does not accept tokens signed with another secret', () => {
    const other = new Authenticator([{ username: 'alice', password: 'secret' }], 'another-secret-of-some-length', 3600);
    expect(() => auth.verifyToken(other.issue('alice'))).toThrow(UnauthenticatedError);
  });
});
