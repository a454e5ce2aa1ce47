// Authentication: HTTP Basic (padded or unpadded base64) exchanged in Handshake for a bearer token,
// then the bearer token on every call. Tokens are HMAC-signed and self-contained (user, session,
// expiry), so any coordinator sharing the secret accepts them and sessions survive reconnects.
import { createHmac, randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { UserConfig } from '../config';
import { UnauthenticatedError } from '../errors';
import { LoginLimiter } from './login-limiter';

export interface Principal {
  user: string;
  session: string;
  /** When the bearer token expires (epoch seconds); absent for per-call Basic credentials. */
  expires?: number;
  /** Session options the token carries, so another coordinator sharing the secret knows them. */
  options?: Record<string, unknown>;
  /** How many times the session's options had changed when the token was issued. */
  optionsVersion?: number;
}

/** Hash format: scrypt$<salt b64>$<hash b64> (see `skein hash-password`). */
export function hashPassword(password: string, salt = randomBytes(16)): string {
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

function verifyHash(password: string, stored: string): boolean {
  const [, salt, hash] = stored.split('$');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const got = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(expected, got);
}

function equalStrings(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Authenticator {
  private readonly users: Map<string, UserConfig>;
  private readonly secret: Buffer;

  constructor(
    users: UserConfig[],
    secret: string | undefined,
    private readonly ttlSeconds: number,
    private readonly limiter?: LoginLimiter,
  ) {
    this.users = new Map(users.map((u) => [u.username, u]));
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  checkPassword(username: string, password: string): boolean {
    const u = this.users.get(username);
    if (!u) {
      // spend the same time as a real check so user names cannot be probed by timing
      verifyHash(password, 'scrypt$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
      return false;
    }
    if (u.passwordHash) return verifyHash(password, u.passwordHash);
    return equalStrings(password, u.password ?? '');
  }

  /**
   * A signed token for `user`'s session. A re-issued token (new session options) keeps the
   * original expiry, so changing options never extends a login.
   */
  issue(
    user: string,
    session: string = randomUUID(),
    options?: Record<string, unknown>,
    expires?: number,
    optionsVersion?: number,
  ): string {
    // rounded up: a token lives at least ttlSeconds (rounding down could expire it at once)
    const exp = expires ?? Math.ceil(Date.now() / 1000) + this.ttlSeconds;
    const claims: Record<string, unknown> = { u: user, s: session, e: exp };
    if (options && Object.keys(options).length > 0) claims.o = options;
    if (optionsVersion) claims.v = optionsVersion;
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }

  verifyToken(token: string): Principal {
    const dot = token.indexOf('.');
    if (dot <= 0) throw new UnauthenticatedError('invalid bearer token');
    const body = token.slice(0, dot);
    if (!equalStrings(this.sign(body), token.slice(dot + 1))) {
      throw new UnauthenticatedError('invalid bearer token');
    }
    let claims: { u?: unknown; s?: unknown; e?: unknown; o?: unknown; v?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw new UnauthenticatedError('invalid bearer token');
    }
    if (typeof claims.u !== 'string' || typeof claims.s !== 'string' || typeof claims.e !== 'number') {
      throw new UnauthenticatedError('invalid bearer token');
    }
    if (claims.e < Date.now() / 1000) {
      throw new UnauthenticatedError('bearer token expired: authenticate again');
    }
    if (!this.users.has(claims.u)) throw new UnauthenticatedError('unknown user');
    const options =
      claims.o !== null && typeof claims.o === 'object' && !Array.isArray(claims.o)
        ? (claims.o as Record<string, unknown>)
        : undefined;
    const optionsVersion = typeof claims.v === 'number' ? claims.v : undefined;
    return { user: claims.u, session: claims.s, expires: claims.e, options, optionsVersion };
  }

  /** Checks Basic credentials ("Basic <base64(user:password)>", padding optional); `peer` as in login. */
  basic(value: string, peer?: string): Principal {
    const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new UnauthenticatedError('malformed Basic credentials');
    return this.login(decoded.slice(0, colon), decoded.slice(colon + 1), peer);
  }

  /** `peer` is the caller's address (grpc-js `call.getPeer()`), for limiting failed logins per address. */
  login(username: string, password: string, peer?: string): Principal {
    this.limiter?.check(username, peer);
    if (!this.checkPassword(username, password)) {
      this.limiter?.failed(username, peer);
      throw new UnauthenticatedError('invalid username or password');
    }
    this.limiter?.succeeded(username);
    return { user: username, session: randomUUID() };
  }

  /** The principal of a call, from its `authorization` header (Bearer, or Basic for simple clients). */
  fromMetadata(md: Metadata, peer?: string): Principal {
    const header = md.get('authorization')[0];
    if (typeof header !== 'string' || header === '') {
      throw new UnauthenticatedError(
        'missing credentials: authenticate with a Handshake (HTTP Basic) and send the bearer token',
      );
    }
    const space = header.indexOf(' ');
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') return this.verifyToken(value);
    if (scheme === 'basic') return this.basic(value, peer);
    throw new UnauthenticatedError(`unsupported authorization scheme "${header.slice(0, space)}"`);
  }
}
