// The Glue lookup cache: values live for the TTL on a given clock, concurrent misses share one load,
// failures are not kept, clear() forgets (even a load still running), and the size stays bounded.
import { TtlCache } from '../../../../src/catalog/glue/cache';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('TtlCache', () => {
  let now = 0;
  const clock = (): number => now;
  beforeEach(() => (now = 1000));

  it('reuses a value until it is ttlMs old, then loads again', async () => {
    const cache = new TtlCache<number>({ ttlMs: 30_000, now: clock });
    let loads = 0;
    const load = async (): Promise<number> => ++loads;
    expect(await cache.get('k', load)).toBe(1);
    now += 29_999;
    expect(await cache.get('k', load)).toBe(1);
    now += 1;
    expect(await cache.get('k', load)).toBe(2);
    expect(loads).toBe(2);
  });

  it('counts the TTL from when the load finished', async () => {
    const cache = new TtlCache<string>({ ttlMs: 100, now: clock });
    const slow = deferred<string>();
    const first = cache.get('k', () => slow.promise);
    now += 1000; // a slow load
    slow.resolve('slow');
    expect(await first).toBe('slow');
    now += 50;
    expect(await cache.get('k', async () => 'again')).toBe('slow');
  });

  it('shares one load between concurrent misses', async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, now: clock });
    let loads = 0;
    const load = (): Promise<number> => new Promise((r) => setTimeout(() => r(++loads), 10));
    const got = await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)]);
    expect(got).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it('does not keep a failed load', async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, now: clock });
    await expect(cache.get('k', async () => Promise.reject(new Error('glue down')))).rejects.toThrow('glue down');
    expect(cache.size).toBe(0);
    expect(await cache.get('k', async () => 7)).toBe(7);
  });

  it('forgets everything on clear(), and a load running then is not stored back', async () => {
    const cache = new TtlCache<string>({ ttlMs: 1000, now: clock });
    expect(await cache.get('a', async () => 'old')).toBe('old');
    const late = deferred<string>();
    const running = cache.get('b', () => late.promise);
    cache.clear();
    late.resolve('stale');
    expect(await running).toBe('stale');
    expect(await cache.get('a', async () => 'new')).toBe('new');
    expect(await cache.get('b', async () => 'fresh')).toBe('fresh');
  });

  it('a TTL of 0 never reuses a finished value', async () => {
    const cache = new TtlCache<number>({ ttlMs: 0, now: clock });
    let loads = 0;
    await cache.get('k', async () => ++loads);
    await cache.get('k', async () => ++loads);
    expect(loads).toBe(2);
  });

  it('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new TtlCache<string>({ ttlMs: 1000, maxEntries: 2, now: clock });
    await cache.get('a', async () => 'a');
    await cache.get('b', async () => 'b');
    await cache.get('a', async () => 'a2'); // a is now the most recently used
    await cache.get('c', async () => 'c');
    expect(cache.size).toBe(2);
    expect(cache.peek('b')).toBeUndefined();
    expect(await cache.peek('a')).toBe('a');
  });
});
