// Iceberg's single-value binary encoding (manifest lower/upper bounds, partition summaries) turned
// into DuckDB's VARCHAR rendering of the value, which is what ColumnStats hold. Only exact cases:
// floating point bounds are skipped (NaN is kept out of Iceberg bounds but sorts above all in
// DuckDB), and so are types pruning cannot compare (binary, uuid, time, nested).
import { IcebergType } from './schema';

const DAY_MS = 86_400_000;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Days since 1970-01-01 → 'YYYY-MM-DD' (years 1–9999; else null). */
export function renderDate(days: number): string | null {
  const d = new Date(days * DAY_MS);
  const y = d.getUTCFullYear();
  if (!Number.isFinite(d.getTime()) || y < 1 || y > 9999) return null;
  return `${pad(y, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** Microseconds since the epoch → 'YYYY-MM-DD HH:MM:SS[.ffffff]' as DuckDB renders a TIMESTAMP. */
export function renderTimestamp(micros: bigint): string | null {
  const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const frac = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const days = Math.floor(Number(ms) / DAY_MS);
  const date = renderDate(days);
  if (date === null) return null;
  const rest = Number(ms) - days * DAY_MS;
  const s = Math.floor(rest / 1000);
  const time = `${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}`;
  return `${date} ${time}${frac === 0 ? '' : `.${pad(frac, 6).replace(/0+$/, '')}`}`;
}

/** An unscaled integer with `scale` decimals as DuckDB renders DECIMAL(p,s): '-12.50'. */
export function renderDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${neg ? '-' : ''}${body}`;
}

/** Big-endian two's complement bytes as a bigint. */
function signedBigEndian(b: Buffer): bigint {
  if (b.length === 0) return 0n;
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b[0] & 0x80 ? v - (1n << BigInt(8 * b.length)) : v;
}

/** Little-endian integer of 4 or 8 bytes (an int bound stays 4 bytes after promotion to long). */
function littleEndian(b: Buffer): bigint | null {
  if (b.length === 4) return BigInt(b.readInt32LE(0));
  if (b.length === 8) return b.readBigInt64LE(0);
  return null;
}

/** The bound as DuckDB's VARCHAR of a value of the column's (current) type, or null when not exact. */
export function renderBound(bytes: Buffer, type: IcebergType): string | null {
  if (typeof type !== 'string') return null;
  switch (type) {
    case 'boolean':
      return bytes.length === 1 ? (bytes[0] ? 'true' : 'false') : null;
    case 'int':
    case 'long': {
      const v = littleEndian(bytes);
      return v === null ? null : v.toString();
    }
    case 'date': {
      const v = littleEndian(bytes);
      return v === null ? null : renderDate(Number(v));
    }
    case 'timestamp': {
      const v = littleEndian(bytes);
      return v === null || bytes.length !== 8 ? null : renderTimestamp(v);
    }
    case 'string':
      return bytes.toString('utf8');
  }
  const dec = /^decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(type);
  if (dec) return renderDecimal(signedBigEndian(bytes), Number(dec[1]));
  return null;
}

/**
 * An Avro-decoded partition value (identity transform) as DuckDB's VARCHAR; null when it cannot be
 * rendered exactly (then no partition value is given and pruning uses the column bounds).
 */
export function renderPartitionValue(value: unknown, type: IcebergType): string | null {
  if (value === null || value === undefined || typeof type !== 'string') return null;
  if (type === 'boolean' && typeof value === 'boolean') return value ? 'true' : 'false';
  if ((type === 'int' || type === 'long') && (typeof value === 'number' || typeof value === 'bigint')) return String(value);
  if (type === 'date' && typeof value === 'number') return renderDate(value);
  if (type === 'timestamp' && (typeof value === 'bigint' || typeof value === 'number')) return renderTimestamp(BigInt(value));
  if (type === 'string' && typeof value === 'string') return value;
  const dec = /^decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(type);
  if (dec && Buffer.isBuffer(value)) return renderDecimal(signedBigEndian(value), Number(dec[1]));
  return null;
}
