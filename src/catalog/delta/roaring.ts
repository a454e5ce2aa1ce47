// Decoders for the two encodings inside a Delta deletion vector: Z85 (ZeroMQ's Base85, used for
// inline DVs and the UUID in DV file names) and the 64-bit RoaringBitmap "portable" serialization.
// Both are small, fixed formats (RoaringFormatSpec; rfc.zeromq.org/spec/32), so no library is needed.

const Z85_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_VALUE = new Map([...Z85_ALPHABET].map((c, i) => [c, i]));

/** Z85 text (a multiple of 5 characters) to bytes; throws RangeError on anything else. */
export function z85Decode(text: string): Buffer {
  if (text.length % 5 !== 0) throw new RangeError(`Z85 text has ${text.length} characters, not a multiple of 5`);
  const out = Buffer.alloc((text.length / 5) * 4);
  for (let i = 0; i < text.length; i += 5) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = Z85_VALUE.get(text[i + j]);
      if (d === undefined) throw new RangeError(`'${text[i + j]}' is not a Z85 character`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new RangeError('Z85 group out of range');
    out.writeUInt32BE(v, (i / 5) * 4);
  }
  return out;
}

/**
 * The deleted row positions of a portable 64-bit RoaringBitmap, as sorted runs [start, end]
 * (inclusive): runs keep a DV of millions of consecutive rows small.
 */
export type Runs = Array<[number, number]>;

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`bitmap truncated at byte ${this.pos} (needs ${n} more)`);
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;

/** Appends [a, b] to runs, merging with the last run when adjacent. */
function push(runs: Runs, a: number, b: number): void {
  const last = runs[runs.length - 1];
  if (last && a <= last[1] + 1) {
    if (a < last[0]) throw new RangeError('bitmap values are not sorted');
    last[1] = Math.max(last[1], b);
  } else {
    runs.push([a, b]);
  }
}

/** One 32-bit RoaringBitmap (standard serialization) whose values are offset by `base`. */
function read32(r: Reader, base: number, runs: Runs): void {
  const cookie = r.u32();
  let size: number;
  let runFlags: Buffer | null = null;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    runFlags = r.bytes(Math.ceil(size / 8));
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = r.u32();
  } else {
    throw new RangeError(`unknown RoaringBitmap cookie ${cookie}`);
  }
  if (size > 65536) throw new RangeError(`RoaringBitmap claims ${size} containers`);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(r.u16());
    cards.push(r.u16() + 1);
  }
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) r.bytes(4 * size); // offsets: containers follow in order anyway
  for (let i = 0; i < size; i++) {
    const high = base + keys[i] * 65536;
    const isRun = runFlags !== null && (runFlags[i >> 3] & (1 << (i & 7))) !== 0;
    if (isRun) {
      const n = r.u16();
      for (let k = 0; k < n; k++) {
        const start = r.u16();
        const len = r.u16();
        push(runs, high + start, high + start + len);
      }
    } else if (cards[i] <= 4096) {
      for (let k = 0; k < cards[i]; k++) {
        const v = high + r.u16();
        push(runs, v, v);
      }
    } else {
      const bits = r.bytes(8192);
      for (let w = 0; w < 8192; w++) {
        const byte = bits[w];
        if (byte === 0) continue;
        for (let b = 0; b < 8; b++) if (byte & (1 << b)) push(runs, high + w * 8 + b, high + w * 8 + b);
      }
    }
  }
}

/** The portable 64-bit format: bucket count, then (32-bit key, 32-bit bitmap) per bucket. */
export function decodeRoaring64(buf: Buffer): Runs {
  const r = new Reader(buf);
  const buckets = r.u64();
  if (buckets > 1_000_000n) throw new RangeError(`RoaringBitmap claims ${buckets} buckets`);
  const runs: Runs = [];
  for (let b = 0; b < Number(buckets); b++) {
    const key = r.u32();
    // row positions beyond 2^53 cannot occur in a Parquet file JavaScript could describe
    if (key >= 2 ** 21) throw new RangeError(`RoaringBitmap key ${key} is out of range`);
    read32(r, key * 2 ** 32, runs);
  }
  if (r.pos !== buf.length) throw new RangeError(`${buf.length - r.pos} stray bytes after the bitmap`);
  return runs;
}

/** How many positions the runs hold. */
export function cardinality(runs: Runs): number {
  return runs.reduce((n, [a, b]) => n + (b - a + 1), 0);
}
