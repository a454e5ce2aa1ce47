import * as A from 'apache-arrow';
import {
  decodeFlightData,
  encodeFlightData,
  readBatches,
  recordBatchFlightData,
  schemaFlightData,
  schemaFromBytes,
  schemaToBytes,
} from '../../../src/flight/ipc';

describe('FlightData and Arrow IPC', () => {
  const table = new A.Table({
    id: A.vectorFromArray([1, 2, 3], new A.Int32()),
    name: A.vectorFromArray(['north', 'a string longer than twelve bytes', 'x'], new A.Utf8()),
    score: A.vectorFromArray([1.5, -2, 1e300], new A.Float64()),
  });

  it('round-trips a schema through encapsulated bytes', () => {
    const bytes = schemaToBytes(table.schema);
    expect(bytes.readUInt32LE(0)).toBe(0xffffffff);
    const back = schemaFromBytes(bytes);
    expect(back.fields.map((f) => `${f.name}:${f.type}`)).toEqual(table.schema.fields.map((f) => `${f.name}:${f.type}`));
  });

  it('encodes FlightData fields 1, 2, 3 and 1000 and decodes them back', () => {
    const buf = encodeFlightData({
      descriptor: Buffer.from('d'),
      header: Buffer.from('hh'),
      appMetadata: Buffer.from('m'),
      body: [{ offset: 0, data: Buffer.from('body-bytes') }],
    });
    const d = decodeFlightData(buf);
    expect(d.descriptor?.toString()).toBe('d');
    expect(d.header?.toString()).toBe('hh');
    expect(d.appMetadata?.toString()).toBe('m');
    expect(d.body?.toString()).toBe('body-bytes');
  });

  it('writes record batches that apache-arrow reads back unchanged', () => {
    const messages = [schemaFlightData(table.schema), ...table.batches.map((b) => recordBatchFlightData(b))].map(
      (m) => {
        const d = decodeFlightData(m);
        return { header: d.header as Buffer, body: d.body };
      },
    );
    const { schema, batches } = readBatches(messages);
    expect(schema.fields.length).toBe(3);
    const back = new A.Table(batches);
    expect(back.toArray().map((r) => r.toJSON())).toEqual(table.toArray().map((r) => r.toJSON()));
  });

  it('rejects garbage as INVALID_ARGUMENT', () => {
    expect(() => readBatches([{ header: Buffer.from([1, 2, 3, 4]), body: null }])).toThrow(/malformed Arrow IPC/);
    expect(() => decodeFlightData(Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/malformed FlightData/);
  });
});
