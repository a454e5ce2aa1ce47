// Picks the chunk writer for an Arrow type (the types duckdbTypeOfArrow accepts), with the value
// conversions where DuckDB's layout differs from Arrow's: TIME from seconds/milliseconds, DATE from
// milliseconds, TIMESTAMPTZ in µs, INTERVAL from durations and Arrow intervals, FLOAT from half
// floats, narrower DECIMAL storage.
import * as A from 'apache-arrow';
import { InvalidArgumentError } from '../errors';
import { decimalStorageWidth } from './appender-factory';
import { extensionOf, MAX_DECIMAL_DIGITS } from './arrow-import-types';
import {
  BoolWriter,
  ColumnWriter,
  Convert,
  ConvertWriter,
  GatherWriter,
  malformed,
  NullWriter,
  RawWriter,
  StringWriter,
} from './chunk-writers';
import { DictionaryWriter, FixedListWriter, ListWriter, MapWriter, StructWriter } from './nested-chunk-writers';
import { ViewWriter } from './view-writer';

const MS_PER_DAY = 86_400_000;
const INTERVAL_BYTES = 16; // DuckDB interval_t: int32 months, int32 days, int64 micros

/** The source values of rows [0, rows), checked long enough (`per` elements a row). */
function src<T extends ArrayLike<unknown>>(data: A.Data, per: number, rows: number): T {
  const v = data.values as T | undefined;
  if (!v || v.length < rows * per) throw malformed('a buffer is shorter than its row count needs');
  return v;
}

/** Micros per unit, as a multiplier (s, ms, µs) or divisor (ns, truncating like DuckDB). */
function toMicros(unit: A.TimeUnit): (v: bigint) => bigint {
  switch (unit) {
    case A.TimeUnit.SECOND:
      return (v) => v * 1_000_000n;
    case A.TimeUnit.MILLISECOND:
      return (v) => v * 1000n;
    case A.TimeUnit.MICROSECOND:
      return (v) => v;
    default:
      return (v) => v / 1000n;
  }
}

const time32: (unit: A.TimeUnit) => Convert = (unit) => {
  const f = unit === A.TimeUnit.SECOND ? 1_000_000 : 1000;
  return (data, start, count, out) => {
    const s = src<Int32Array>(data, 1, start + count);
    const o = new BigInt64Array(out, 0, count);
    for (let k = 0; k < count; k++) o[k] = BigInt(s[start + k] * f);
  };
};

const date64: Convert = (data, start, count, out) => {
  const s = src<BigInt64Array>(data, 1, start + count);
  const o = new Int32Array(out, 0, count);
  for (let k = 0; k < count; k++) o[k] = Math.floor(Number(s[start + k]) / MS_PER_DAY);
};

const instant: (unit: A.TimeUnit) => Convert = (unit) => {
  const micros = toMicros(unit);
  return (data, start, count, out) => {
    const s = src<BigInt64Array>(data, 1, start + count);
    const o = new BigInt64Array(out, 0, count);
    for (let k = 0; k < count; k++) o[k] = micros(s[start + k]);
  };
};

/** Writes interval k: DataView, as neither buffer is guaranteed 8-byte aligned. */
function putInterval(o: DataView, k: number, months: number, days: number, micros: bigint): void {
  o.setInt32(k * INTERVAL_BYTES, months, true);
  o.setInt32(k * INTERVAL_BYTES + 4, days, true);
  o.setBigInt64(k * INTERVAL_BYTES + 8, micros, true);
}

const duration: (unit: A.TimeUnit) => Convert = (unit) => {
  const micros = toMicros(unit);
  return (data, start, count, out) => {
    const s = src<BigInt64Array>(data, 1, start + count);
    const o = new DataView(out);
    for (let k = 0; k < count; k++) putInterval(o, k, 0, 0, micros(s[start + k]));
  };
};

const interval: (unit: A.IntervalUnit) => Convert = (unit) => (data, start, count, out) => {
  const o = new DataView(out);
  if (unit === A.IntervalUnit.YEAR_MONTH) {
    const s = src<Int32Array>(data, 1, start + count);
    for (let k = 0; k < count; k++) putInterval(o, k, s[start + k], 0, 0n);
  } else if (unit === A.IntervalUnit.DAY_TIME) {
    const s = src<Int32Array>(data, 2, start + count);
    for (let k = 0; k < count; k++) {
      const r = (start + k) * 2;
      putInterval(o, k, 0, s[r], BigInt(s[r + 1]) * 1000n);
    }
  } else {
    const s = src<Int32Array>(data, 4, start + count);
    const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
    for (let k = 0; k < count; k++) {
      const r = (start + k) * 16;
      putInterval(o, k, v.getInt32(r, true), v.getInt32(r + 4, true), v.getBigInt64(r + 8, true) / 1000n);
    }
  }
};

/** DuckDB keeps a UUID as a 128-bit integer: its 16 bytes read big-endian, top bit flipped. */
const uuid: Convert = (data, start, count, out) => {
  const s = src<Uint8Array>(data, 16, start + count);
  const o = new Uint8Array(out, 0, count * 16);
  for (let k = 0; k < count; k++) {
    const from = (start + k) * 16;
    const to = k * 16;
    for (let j = 0; j < 8; j++) {
      o[to + j] = s[from + 15 - j]; // lower 64 bits
      o[to + 8 + j] = s[from + 7 - j]; // upper 64 bits
    }
    o[to + 15] ^= 0x80;
  }
};

const float16: Convert = (data, start, count, out) => {
  const s = src<Uint16Array>(data, 1, start + count);
  const o = new Float32Array(out, 0, count);
  for (let k = 0; k < count; k++) o[k] = A.util.uint16ToFloat64(s[start + k]);
};


/** Copies the low words of each Arrow decimal (two's complement, little-endian), sign-extending. */
const decimal: (arrowWords: number, duckBytes: number) => Convert = (words, bytes) => (data, start, count, out) => {
  const s = src<Uint32Array>(data, words, start + count);
  if (bytes === 2) {
    const o = new Int16Array(out, 0, count);
    for (let k = 0; k < count; k++) o[k] = s[(start + k) * words] | 0;
    return;
  }
  const outWords = bytes / 4;
  const o = new Uint32Array(out, 0, count * outWords);
  for (let k = 0; k < count; k++) {
    const r = (start + k) * words;
    const sign = (s[r + words - 1] | 0) < 0 ? 0xffffffff : 0;
    for (let w = 0; w < outWords; w++) o[k * outWords + w] = w < words ? s[r + w] : sign;
  }
};

function decimalWriter(t: A.Decimal): ColumnWriter {
  if (t.precision > MAX_DECIMAL_DIGITS) throw new InvalidArgumentError(`DECIMAL(${t.precision}) does not fit DuckDB`);
  const words = t.bitWidth / 32;
  const bytes = decimalStorageWidth(t.precision); // Arrow's is 4, 8, 16 or 32
  if (words * 4 === bytes) return new RawWriter(bytes);
  return new ConvertWriter(bytes, decimal(words, bytes));
}

function gatherWriter(t: A.DataType): GatherWriter {
  const w = writerFor(t);
  if (!(w instanceof RawWriter || w instanceof StringWriter)) {
    throw new InvalidArgumentError(`dictionaries of ${String(t)} are not supported by ingest`);
  }
  return w;
}

/** The writer for an Arrow field: its extension type's if DuckDB has one, else its storage type's. */
export function writerForField(f: A.Field): ColumnWriter {
  if (extensionOf(f) === 'uuid') return new ConvertWriter(16, uuid);
  return writerFor(f.type);
}

export function writerFor(t: A.DataType): ColumnWriter {
  switch (t.typeId) {
    case A.Type.Null:
      return new NullWriter();
    case A.Type.Bool:
      return new BoolWriter();
    case A.Type.Int:
      return new RawWriter((t as A.Int).bitWidth / 8);
    case A.Type.Float: {
      const p = (t as A.Float).precision;
      if (p === A.Precision.HALF) return new ConvertWriter(4, float16);
      return new RawWriter(p === A.Precision.SINGLE ? 4 : 8);
    }
    case A.Type.Decimal:
      return decimalWriter(t as A.Decimal);
    case A.Type.Utf8:
    case A.Type.LargeUtf8:
      return new StringWriter(true);
    case A.Type.Binary:
    case A.Type.LargeBinary:
      return new StringWriter(false);
    case A.Type.FixedSizeBinary:
      return new StringWriter(false, (t as A.FixedSizeBinary).byteWidth);
    case A.Type.Utf8View:
      return new ViewWriter(true);
    case A.Type.BinaryView:
      return new ViewWriter(false);
    case A.Type.Date:
      return (t as A.Date_).unit === A.DateUnit.DAY ? new RawWriter(4) : new ConvertWriter(4, date64);
    case A.Type.Time: {
      const unit = (t as A.Time).unit;
      if (unit === A.TimeUnit.MICROSECOND || unit === A.TimeUnit.NANOSECOND) return new RawWriter(8);
      return new ConvertWriter(8, time32(unit));
    }
    case A.Type.Timestamp: {
      const ts = t as A.Timestamp;
      if (!ts.timezone || ts.unit === A.TimeUnit.MICROSECOND) return new RawWriter(8);
      return new ConvertWriter(8, instant(ts.unit));
    }
    case A.Type.Duration:
      return new ConvertWriter(INTERVAL_BYTES, duration((t as A.Duration).unit));
    case A.Type.Interval:
      return new ConvertWriter(INTERVAL_BYTES, interval((t as A.Interval).unit));
    case A.Type.List:
    case A.Type.LargeList:
      return new ListWriter(writerForField(t.children[0] as A.Field));
    case A.Type.Map:
      return new MapWriter(writerForField((t as A.Map_).children[0]));
    case A.Type.FixedSizeList: {
      const l = t as A.FixedSizeList;
      return new FixedListWriter(writerForField(l.children[0]), l.listSize);
    }
    case A.Type.Struct:
      return new StructWriter((t as A.Struct).children.map(writerForField));
    case A.Type.Dictionary:
      return new DictionaryWriter(gatherWriter((t as A.Dictionary).dictionary));
    default:
      throw new InvalidArgumentError(`Arrow type ${String(t)} is not supported by ingest`);
  }
}
