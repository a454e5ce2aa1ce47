// Deletion vector decoding: Z85, the portable RoaringBitmap format (array, run and bitmap
// containers), DV files with their size and checksum, and relative DV paths.
import { crc32 } from 'node:zlib';
import { dvByteRange, dvFileUri, fileDeletedRows, inlineDeletedRows } from '../../../../src/catalog/delta/deletion-vectors';
import { cardinality, decodeRoaring64, z85Decode } from '../../../../src/catalog/delta/roaring';

/** A 32-bit roaring bitmap of one array container (no runs): cookie, count, key/card, offsets, values. */
function arrayBitmap(key: number, lows: number[]): Buffer {
  const head = Buffer.alloc(8 + 4 + 4);
  head.writeUInt32LE(12346, 0);
  head.writeUInt32LE(1, 4);
  head.writeUInt16LE(key, 8);
  head.writeUInt16LE(lows.length - 1, 10);
  head.writeUInt32LE(16, 12);
  const body = Buffer.alloc(2 * lows.length);
  lows.forEach((v, i) => body.writeUInt16LE(v, 2 * i));
  return Buffer.concat([head, body]);
}

/** One run container (runs flagged in the cookie, no offsets below 4 containers). */
function runBitmap(key: number, runs: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(4 + 1 + 4 + 2 + 4 * runs.length);
  b.writeUInt32LE(12347, 0); // one container: (1 - 1) << 16
  b[4] = 1;
  b.writeUInt16LE(key, 5);
  b.writeUInt16LE(runs.reduce((n, [s, e]) => n + e - s + 1, 0) - 1, 7);
  b.writeUInt16LE(runs.length, 9);
  runs.forEach(([s, e], i) => {
    b.writeUInt16LE(s, 11 + 4 * i);
    b.writeUInt16LE(e - s, 13 + 4 * i);
  });
  return b;
}

function portable(buckets: Array<[number, Buffer]>): Buffer {
  const n = Buffer.alloc(8);
  n.writeBigUInt64LE(BigInt(buckets.length));
  return Buffer.concat([n, ...buckets.map(([k, b]) => Buffer.concat([Buffer.from(Uint32Array.of(k).buffer), b]))]);
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
function z85Encode(b: Buffer): string {
  let out = '';
  for (let i = 0; i < b.length; i += 4) {
    let v = b.readUInt32BE(i);
    const chunk: string[] = [];
    for (let k = 0; k < 5; k++) {
      chunk.unshift(Z85[v % 85]);
      v = Math.floor(v / 85);
    }
    out += chunk.join('');
  }
  return out;
}

const magic = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0xd1, 0xd3, 0x39, 0x64]), b]);

describe('Z85', () => {
  it('decodes the ZeroMQ reference vector', () => {
    expect(z85Decode('HelloWorld')).toEqual(Buffer.from([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]));
  });
  it('refuses text of the wrong length or alphabet', () => {
    expect(() => z85Decode('Hell')).toThrow(/multiple of 5/);
    expect(() => z85Decode('Hell~')).toThrow(/not a Z85 character/);
  });
});

describe('RoaringBitmap (portable 64-bit)', () => {
  it('decodes an inline DV (Z85 of magic + bitmap, padded to 4 bytes)', () => {
    const bytes = magic(portable([[0, arrayBitmap(0, [3, 4, 7, 11, 18, 29])]]));
    const padded = Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
    const dv = { storageType: 'i', pathOrInlineDv: z85Encode(padded), sizeInBytes: bytes.length, cardinality: 6 };
    expect(inlineDeletedRows(dv)).toEqual([[3, 4], [7, 7], [11, 11], [18, 18], [29, 29]]);
  });

  it('refuses the native (non-portable) serialization, as delta-kernel does', () => {
    // the inline example of the Delta protocol text uses magic 1681511376 and the native layout
    const dv = { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 };
    expect(() => inlineDeletedRows(dv)).toThrow(/bad magic number/);
  });

  it('reads array, run and bitmap containers across 16- and 32-bit keys', () => {
    const bits = Buffer.alloc(8 + 4 + 4 + 8192);
    bits.writeUInt32LE(12346, 0);
    bits.writeUInt32LE(1, 4);
    bits.writeUInt16LE(2, 8);
    bits.writeUInt16LE(4999, 10); // 5000 values: a bitmap container
    bits.writeUInt32LE(16, 12);
    for (let v = 0; v < 10000; v += 2) bits[16 + (v >> 3)] |= 1 << (v & 7);
    const runs = decodeRoaring64(portable([[0, arrayBitmap(0, [1, 2, 9])], [0, runBitmap(1, [[0, 99]])], [0, bits], [1, arrayBitmap(0, [5])]]));
    expect(runs.slice(0, 3)).toEqual([[1, 2], [9, 9], [65536, 65635]]);
    expect(runs[3]).toEqual([131072, 131072]);
    expect(runs[runs.length - 1]).toEqual([2 ** 32 + 5, 2 ** 32 + 5]);
    expect(cardinality(runs)).toBe(3 + 100 + 5000 + 1);
  });

  it('refuses a truncated bitmap and unsorted values', () => {
    const good = portable([[0, arrayBitmap(0, [1, 2, 3])]]);
    expect(() => decodeRoaring64(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => decodeRoaring64(portable([[0, arrayBitmap(0, [5, 1])]]))).toThrow(/not sorted/);
  });
});

describe('deletion vector files', () => {
  const bitmap = magic(portable([[0, arrayBitmap(0, [0, 4, 5])]]));
  const file = (b: Buffer, crc = crc32(b)): Buffer => {
    const size = Buffer.alloc(4);
    size.writeUInt32BE(b.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc);
    return Buffer.concat([Buffer.from([1]), size, b, sum]);
  };
  const dv = { storageType: 'u', pathOrInlineDv: 'ab^-aqEH.-t@S}K{vb[*k^', offset: 1, sizeInBytes: bitmap.length, cardinality: 3 };

  it('reads one DV at its offset and checks size, checksum and cardinality', () => {
    const bytes = file(bitmap);
    const { start, end } = dvByteRange(dv);
    expect(fileDeletedRows(dv, bytes.subarray(start, end), bytes[0])).toEqual([[0, 0], [4, 5]]);
    const bad = file(bitmap, 1234);
    expect(() => fileDeletedRows(dv, bad.subarray(start, end), 1)).toThrow(/checksum/);
    expect(() => fileDeletedRows({ ...dv, cardinality: 4 }, bytes.subarray(start, end), 1)).toThrow(/holds 3 rows, the log says 4/);
    expect(() => fileDeletedRows(dv, bytes.subarray(start, end), 2)).toThrow(/format version 2/);
  });

  it('names relative DV files by prefix and UUID, as the protocol example does', () => {
    expect(dvFileUri(dv, (p) => `s3://mytable/${p}`)).toBe('s3://mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin');
    expect(dvFileUri({ ...dv, storageType: 'p', pathOrInlineDv: 's3://b/x.bin' }, (p) => p)).toBe('s3://b/x.bin');
    expect(dvFileUri({ ...dv, storageType: 'i' }, (p) => p)).toBeNull();
  });
});
