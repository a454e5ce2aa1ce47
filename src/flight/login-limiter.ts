// Slows password guessing: after `maxFailures` failed logins for one user name, or from one peer
// address, within a sliding window, further logins for it are refused without checking the password
// until the oldest of those failures leaves the window. A successful login clears the user's count
// (not the address's, so one valid account cannot hide guessing at others).
import { UnauthenticatedError } from '../errors';
import { log } from '../log';

export interface LoginLimiterOptions {
  /** Failures allowed per user name and per address within the window; 0 turns limiting off. */
  maxFailures: number;
  windowSeconds: number;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Above this many tracked keys, expired ones are swept; the oldest go if that is not enough. */
  maxKeys?: number;
}

/** The host part of a grpc-js peer string ("1.2.3.4:5678", "::1:5678"): ports change per connection. */
export function peerHost(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[(.*)\](:\d+)?$/.exec(p);
  return bracketed ? bracketed[1] : p.replace(/:\d+$/, '');
}

export class LoginLimiter {
  /** Failure times per key ("user:<name>" / "peer:<host>"), oldest first, at most maxFailures long. */
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly opts: LoginLimiterOptions) {
    this.windowMs = opts.windowSeconds * 1000;
    this.now = opts.now ?? Date.now;
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  private keys(username: string, peer: string | undefined): string[] {
    const keys = [`user:${username}`];
    if (peer !== undefined && peer !== '' && peer !== 'unknown') keys.push(`peer:${peerHost(peer)}`);
    return keys;
  }

  /** Recent failures of a key, dropping those that left the window. */
  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const kept = times.filter((t) => now - t < this.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    else if (kept.length !== times.length) this.failures.set(key, kept);
    return kept;
  }

  /** Throws UNAUTHENTICATED when the user name or the address is over its limit. */
  check(username: string, peer?: string): void {
    if (this.opts.maxFailures <= 0) return;
    const now = this.now();
    for (const key of this.keys(username, peer)) {
      const times = this.recent(key, now);
      if (times.length < this.opts.maxFailures) continue;
      const retry = Math.max(1, Math.ceil((times[0] + this.windowMs - now) / 1000));
      const who = key.startsWith('user:') ? `for user "${username}"` : 'from this address';
      throw new UnauthenticatedError(`too many failed logins ${who}; retry in ${retry} s`);
    }
  }

  failed(username: string, peer?: string): void {
    if (this.opts.maxFailures <= 0) return;
    const now = this.now();
    for (const key of this.keys(username, peer)) {
      const times = this.recent(key, now);
      times.push(now);
      if (times.length > this.opts.maxFailures) times.shift();
      // re-insert so the map stays ordered by last failure (the eviction order below)
      this.failures.delete(key);
      this.failures.set(key, times);
      if (times.length === this.opts.maxFailures) log.warn({ key }, 'failed logins over the limit: refusing for a while');
    }
    if (this.failures.size > this.maxKeys) this.sweep(now);
  }

  succeeded(username: string): void {
    this.failures.delete(`user:${username}`);
  }

  /** Number of keys tracked (for tests of the memory bound). */
  get size(): number {
    return this.failures.size;
  }

  private sweep(now: number): void {
    for (const key of [...this.failures.keys()]) this.recent(key, now);
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(key);
    }
  }
}
