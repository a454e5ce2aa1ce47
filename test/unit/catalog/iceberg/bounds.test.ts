// Iceberg single-value encodings rendered as DuckDB renders the values, checked against DuckDB itself.
import { DuckDBInstance } from '@duckdb/node-api';
import { renderBound, renderDate, renderDecimal, renderTimestamp } from '../../../../src/catalog/iceberg/bounds';
import { parseMetadata } from '../../../../src/catalog/iceberg/metadata';

const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const le64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};

describe('Iceberg bounds', () => {
  it('render dates, timestamps and decimals exactly as DuckDB casts them to VARCHAR', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const days = [-719162, -1, 0, 19786, 2932896];
      const micros = [-1n, 0n, 1_709_272_800_000_001n, 1_709_272_800_123_000n, -62_135_596_800_000_000n];
      const decimals: [bigint, number][] = [[-1250n, 2], [5n, 3], [0n, 2], [-5n, 1], [123456789012345678901234567890n, 6]];
      for (const d of days) {
        const [[v]] = (await conn.runAndReadAll(`SELECT CAST(DATE '1970-01-01' + ${d} AS VARCHAR)`)).getRowsJS();
        expect(renderDate(d)).toBe(v);
      }
      for (const m of micros) {
        const [[v]] = (await conn.runAndReadAll(`SELECT CAST(make_timestamp(${m}::BIGINT) AS VARCHAR)`)).getRowsJS();
        expect(renderTimestamp(m)).toBe(v);
      }
      for (const [u, s] of decimals) {
        const [[v]] = (await conn.runAndReadAll(`SELECT CAST((${u}::HUGEINT / 10::HUGEINT ** ${s})::DECIMAL(38,${s}) AS VARCHAR)`)).getRowsJS();
        if (u < 10n ** 20n) expect(renderDecimal(u, s)).toBe(v);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('decode bounds by the current type, int bounds of a column promoted to long too', () => {
    expect(renderBound(le32(-7), 'long')).toBe('-7');
    expect(renderBound(le64(9007199254740993n), 'long')).toBe('9007199254740993');
    expect(renderBound(le32(19786), 'date')).toBe('2024-03-04');
    expect(renderBound(Buffer.from([0xfb, 0x2e]), 'decimal(10, 2)')).toBe('-12.34');
    expect(renderBound(Buffer.from('abc'), 'string')).toBe('abc');
    expect(renderBound(Buffer.from([1]), 'boolean')).toBe('true');
    // not exact for pruning: floating point (NaN is outside Iceberg bounds), binary, uuid
    expect(renderBound(le64(0n), 'double')).toBeNull();
    expect(renderBound(Buffer.alloc(16), 'uuid')).toBeNull();
  });
});

describe('Iceberg metadata', () => {
  const doc = (extra: string): string =>
    `{"format-version": 2, "location": "/t", "current-schema-id": 0, "schemas": [{"schema-id": 0, "type": "struct", "fields": [{"id": 1, "name": "a", "required": false, "type": "long"}]}],
      "partition-specs": [{"spec-id": 0, "fields": []}], "current-snapshot-id": 7920338123389347993,
      "snapshots": [{"snapshot-id": 7920338123389347993, "sequence-number": 1, "timestamp-ms": 1, "manifest-list": "/t/m.avro", "schema-id": 0}]${extra}}`;

  it('keeps 64-bit snapshot ids exact', () => {
    const m = parseMetadata(doc(''), 'db.t', '/t/v1.metadata.json');
    expect(m.currentSnapshotId).toBe('7920338123389347993');
    expect(m.snapshots[0].id).toBe('7920338123389347993');
  });

  it('refuses what it cannot read, naming the table', () => {
    expect(() => parseMetadata('{"format-version": 2', 'db.t', 'x.json')).toThrow(/db\.t: metadata file x\.json is not valid JSON/);
    expect(() => parseMetadata(doc('').replace('"format-version": 2', '"format-version": 3'), 'db.t', 'x')).toThrow(
      expect.objectContaining({ name: 'UnimplementedError' }),
    );
    expect(() => parseMetadata(doc('').replace('"type": "long"', '"type": "timestamp_ns"'), 'db.t', 'x')).toThrow(/db\.t column a: Iceberg type timestamp_ns/);
  });
});
