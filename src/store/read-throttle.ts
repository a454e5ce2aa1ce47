// An optional cap on the bytes a process reads from its object stores (config
// `store.readBytesPerSecond`), so one machine can stand in for many bandwidth-bound cloud functions
// (about 100 MB/s each to S3): bench/ measures fan-out against it. One throttle per `Stores` object,
// i.e. per executor process; every concurrent get() of that process draws on the same rate.
import { ByteRange, GetOptions, ObjectStore } from './object-store';

/**
 * A token bucket in its virtual-time form: the rate refills it and it holds no spare tokens, so
 * an idle spell buys no burst. A read that started at t0 and returned n bytes is handed over no
 * earlier than max(t0, when the reads before it are paid for) + n / rate: the time the request itself
 * took counts as transfer time, the way a real link of that rate behaves.
 */
export class ReadThrottle {
  /** performance.now() at which every byte handed over so far is paid for. */
  private paidUntil = 0;

  constructor(readonly bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError(`read throttle needs a positive rate, got ${bytesPerSecond}`);
  }

  /** Waits until `bytes` read by a request that started at `startedAt` (performance.now()) fit the rate. */
  async pace(bytes: number, startedAt: number): Promise<void> {
    if (bytes <= 0) return;
    const start = Math.max(startedAt, this.paidUntil);
    // reserve before waiting, so concurrent reads queue behind each other rather than overlap
    this.paidUntil = start + (bytes / this.bytesPerSecond) * 1000;
    const wait = this.paidUntil - performance.now();
    if (wait > 0) await new Promise<void>((r) => setTimeout(r, wait));
  }
}

/** `store` with its get() paced by `throttle`; everything else passes straight through. */
export function throttledStore(store: ObjectStore, throttle: ReadThrottle): ObjectStore {
  return {
    scheme: store.scheme,
    list: (prefix) => store.list(prefix),
    head: (uri) => store.head(uri),
    get: async (uri: string, range?: ByteRange, opts?: GetOptions) => {
      const startedAt = performance.now();
      const bytes = await store.get(uri, range, opts);
      await throttle.pace(bytes.length, startedAt);
      return bytes;
    },
    put: (uri, body, opts) => store.put(uri, body, opts),
    putStream: (uri, parts, opts) => store.putStream(uri, parts, opts),
    delete: (uri) => store.delete(uri),
    close: () => store.close(),
  };
}
