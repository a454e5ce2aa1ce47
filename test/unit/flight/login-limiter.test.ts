import { LoginLimiter, peerHost } from '../../../src/flight/login-limiter';
import { Authenticator } from '../../../src/flight/auth';
import { UnauthenticatedError } from '../../../src/errors';

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('peerHost', () => {
  it('drops the port of IPv4 and IPv6 peers', () => {
    expect(peerHost('127.0.0.1:54321')).toBe('127.0.0.1');
    expect(peerHost('ipv4:10.0.0.2:80')).toBe('10.0.0.2');
    expect(peerHost('::1:54321')).toBe('::1');
    expect(peerHost('[::1]:54321')).toBe('::1');
    expect(peerHost('::ffff:127.0.0.1:443')).toBe('::ffff:127.0.0.1');
  });
});

describe('LoginLimiter', () => {
  it('limits a user name after maxFailures within the window, across addresses', () => {
    const clock = fakeClock();
    const l = new LoginLimiter({ maxFailures: 3, windowSeconds: 60, now: clock.now });
    for (let i = 0; i < 3; i++) {
      l.check('alice', `10.0.0.${i}:1000`);
      l.failed('alice', `10.0.0.${i}:1000`);
      clock.advance(1000);
    }
    expect(() => l.check('alice', '10.0.0.9:1000')).toThrow(
      new UnauthenticatedError('too many failed logins for user "alice"; retry in 57 s'),
    );
    l.check('bob', '10.0.0.9:1000'); // other users are not affected
    clock.advance(56_000);
    expect(() => l.check('alice', '10.0.0.9:1')).toThrow(/retry in 1 s/);
    clock.advance(1000); // the first failure left the window
    l.check('alice', '10.0.0.9:1');
  });

  it('limits an address after maxFailures, whatever the user names', () => {
    const clock = fakeClock();
    const l = new LoginLimiter({ maxFailures: 2, windowSeconds: 10, now: clock.now });
    l.failed('u1', '192.0.2.7:1111');
    l.failed('u2', '192.0.2.7:2222');
    expect(() => l.check('u3', '192.0.2.7:3333')).toThrow(/too many failed logins from this address; retry in 10 s/);
    l.check('u3', '192.0.2.8:3333');
    clock.advance(10_000);
    l.check('u3', '192.0.2.7:3333');
  });

  it('clears a user name on success but keeps the address count', () => {
    const clock = fakeClock();
    const l = new LoginLimiter({ maxFailures: 2, windowSeconds: 10, now: clock.now });
    l.failed('alice', '192.0.2.1:1');
    l.succeeded('alice');
    l.failed('alice', '192.0.2.2:1');
    l.check('alice', '192.0.2.3:1'); // one failure since the success
    l.failed('mallory', '192.0.2.1:1');
    expect(() => l.check('alice', '192.0.2.1:1')).toThrow(/from this address/);
  });

  it('is off with maxFailures 0 and ignores unknown peers', () => {
    const off = new LoginLimiter({ maxFailures: 0, windowSeconds: 10 });
    for (let i = 0; i < 10; i++) off.failed('alice', '192.0.2.1:1');
    off.check('alice', '192.0.2.1:1');
    expect(off.size).toBe(0);
    const l = new LoginLimiter({ maxFailures: 1, windowSeconds: 10 });
    l.failed('a', 'unknown');
    l.check('b', 'unknown');
    expect(l.size).toBe(1);
  });

  it('keeps memory bounded: expired keys are swept, then the oldest are dropped', () => {
    const clock = fakeClock();
    const l = new LoginLimiter({ maxFailures: 5, windowSeconds: 1, now: clock.now, maxKeys: 100 });
    for (let i = 0; i < 100; i++) l.failed(`user${i}`);
    expect(l.size).toBe(100);
    clock.advance(2000);
    l.failed('late');
    expect(l.size).toBe(1);
    for (let i = 0; i < 300; i++) l.failed(`flood${i}`);
    expect(l.size).toBeLessThanOrEqual(100);
  });
});

describe('Authenticator with a LoginLimiter', () => {
  it('refuses the right password while limited, without checking it, and counts only real failures', () => {
    const clock = fakeClock();
    const auth = new Authenticator(
      [{ username: 'alice', password: 'right' }],
      'a-test-secret-of-enough-length',
      3600,
      new LoginLimiter({ maxFailures: 2, windowSeconds: 30, now: clock.now }),
    );
    expect(() => auth.login('alice', 'wrong', '192.0.2.1:5')).toThrow(/invalid username or password/);
    expect(auth.login('alice', 'right', '192.0.2.1:5').user).toBe('alice');
    expect(() => auth.login('alice', 'wrong', '192.0.2.2:5')).toThrow(/invalid username or password/);
    expect(() => auth.login('alice', 'wrong', '192.0.2.3:5')).toThrow(/invalid username or password/);
    expect(() => auth.login('alice', 'right', '192.0.2.4:5')).toThrow(/too many failed logins for user "alice"/);
    const basic = Buffer.from('alice:right').toString('base64');
    expect(() => auth.basic(basic, '192.0.2.4:5')).toThrow(/too many failed logins/);
    clock.advance(30_000);
    expect(auth.basic(basic, '192.0.2.4:5').user).toBe('alice');
  });
});
