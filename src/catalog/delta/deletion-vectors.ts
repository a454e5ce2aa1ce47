// Delta deletion vectors (DVs): where a DV lives (inline in the log, a file named by a UUID under the
// table, or an absolute path), and its bytes turned into the deleted row positions of one data file.
// Formats from the Delta protocol, "Deletion Vector Format" and "Deletion Vector File Storage Format".
import { crc32 } from 'node:zlib';
import { cardinality, decodeRoaring64, Runs, z85Decode } from './roaring';

export interface DeletionVectorDescriptor {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
}

/** The magic number ahead of every serialized DV bitmap (little endian). */
const DV_MAGIC = 1681511377;

/** Identifies a DV for log replay: a file is the same logical file only with the same DV. */
export function dvUniqueId(dv: DeletionVectorDescriptor | null | undefined): string {
  if (!dv) return '';
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined || dv.offset === null ? '' : `@${dv.offset}`}`;
}

/** 16 bytes as a canonical UUID string. */
function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The DV file's location for 'u' (relative: `<table>/<prefix>/deletion_vector_<uuid>.bin`) and 'p'
 * (absolute) descriptors; null for inline ones. `resolve` turns a path relative to the table, or an
 * absolute URI, into a store URI.
 */
export function dvFileUri(dv: DeletionVectorDescriptor, resolve: (pathOrUri: string) => string): string | null {
  switch (dv.storageType) {
    case 'i':
      return null;
    case 'p':
      return resolve(dv.pathOrInlineDv);
    case 'u': {
      const s = dv.pathOrInlineDv;
      if (s.length < 20) throw new RangeError(`deletion vector path '${s}' is shorter than a Z85 UUID`);
      const prefix = s.slice(0, -20);
      const name = `deletion_vector_${uuidText(z85Decode(s.slice(-20)))}.bin`;
      return resolve(prefix ? `${prefix}/${name}` : name);
    }
    default:
      throw new RangeError(`unknown deletion vector storage type '${dv.storageType}'`);
  }
}

/** A serialized DV bitmap (magic + portable 64-bit RoaringBitmap) to runs of deleted positions. */
function decodeBitmap(bytes: Buffer): Runs {
  if (bytes.length < 4 || bytes.readUInt32LE(0) !== DV_MAGIC) throw new RangeError('not a deletion vector bitmap (bad magic number)');
  return decodeRoaring64(bytes.subarray(4));
}

function checked(dv: DeletionVectorDescriptor, runs: Runs): Runs {
  const n = cardinality(runs);
  if (n !== Number(dv.cardinality)) throw new RangeError(`deletion vector holds ${n} rows, the log says ${dv.cardinality}`);
  return runs;
}

/** An inline DV's deleted positions. */
export function inlineDeletedRows(dv: DeletionVectorDescriptor): Runs {
  const bytes = z85Decode(dv.pathOrInlineDv);
  if (bytes.length < dv.sizeInBytes) throw new RangeError(`inline deletion vector is shorter than its size ${dv.sizeInBytes}`);
  return checked(dv, decodeBitmap(bytes.subarray(0, dv.sizeInBytes)));
}

/**
 * The byte range of one DV inside its file: big-endian size, the bitmap, a big-endian CRC-32 of the
 * bitmap. `offset` (default 1, after the file's version byte) points at the size field.
 */
export function dvByteRange(dv: DeletionVectorDescriptor): { start: number; end: number } {
  const start = dv.offset ?? 1;
  return { start, end: start + 4 + dv.sizeInBytes + 4 };
}

/** Deleted positions from the bytes dvByteRange named (`versionByte`: the file's first byte, when read). */
export function fileDeletedRows(dv: DeletionVectorDescriptor, range: Buffer, versionByte?: number): Runs {
  if (versionByte !== undefined && versionByte !== 1) throw new RangeError(`deletion vector file has format version ${versionByte}, not 1`);
  if (range.length !== 8 + dv.sizeInBytes) throw new RangeError('deletion vector file is truncated');
  const size = range.readUInt32BE(0);
  if (size !== dv.sizeInBytes) throw new RangeError(`deletion vector size ${size} differs from the log's ${dv.sizeInBytes}`);
  const bitmap = range.subarray(4, 4 + size);
  const crc = range.readUInt32BE(4 + size);
  if (crc32(bitmap) !== crc) throw new RangeError('deletion vector checksum mismatch');
  return checked(dv, decodeBitmap(bitmap));
}
