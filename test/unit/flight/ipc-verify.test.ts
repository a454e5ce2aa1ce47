import * as A from 'apache-arrow';
import { InvalidArgumentError } from '../../../src/errors';
import { readBatches } from '../../../src/flight/ipc';
import { verifyBatchData, verifyIpcMessage } from '../../../src/flight/ipc-verify';

interface Msg {
  header: Uint8Array;
  body: Uint8Array;
}

/** The messages of an IPC stream (continuation, length, header, body), end marker dropped. */
function messagesOf(stream: Uint8Array): Msg[] {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const out: Msg[] = [];
  let at = 0;
  while (at + 8 <= stream.length) {
    const len = view.getInt32(at + 4, true);
    if (len === 0) break;
    const header = stream.subarray(at + 8, at + 8 + len);
    const bodyLength = Number(A.Message.decode(header).bodyLength);
    out.push({ header, body: stream.subarray(at + 8 + len, at + 8 + len + bodyLength) });
    at += 8 + len + bodyLength;
  }
  return out;
}

const dictionary = A.vectorFromArray(['red', 'green', 'red', null], new A.Dictionary(new A.Utf8(), new A.Int32()));
const table = new A.Table({
  i8: A.vectorFromArray([1, -2, null, 4], new A.Int8()),
  i64: A.vectorFromArray([1n, 2n, 3n, null], new A.Int64()),
  f: A.vectorFromArray([1.5, null, -3, 4], new A.Float64()),
  b: A.vectorFromArray([true, false, null, true], new A.Bool()),
  s: A.vectorFromArray(['a', '', null, 'a longer string'], new A.Utf8()),
  bin: A.vectorFromArray([new Uint8Array([1]), null, new Uint8Array(0), new Uint8Array([2, 3])], new A.Binary()),
  d: A.vectorFromArray([new Date(0), null, new Date(86400000), new Date(0)], new A.DateDay()),
  ts: A.vectorFromArray([1, 2, null, 4], new A.TimestampMicrosecond('UTC')),
  l: A.vectorFromArray([[1, 2], null, [], [3]], new A.List(new A.Field('item', new A.Int32(), true))),
  st: A.vectorFromArray(
    [{ x: 1, y: 'p' }, null, { x: 3, y: null }, { x: 4, y: 'q' }],
    new A.Struct([new A.Field('x', new A.Int32(), true), new A.Field('y', new A.Utf8(), true)]),
  ),
  fsl: A.vectorFromArray([[1, 2], [3, 4], null, [5, 6]], new A.FixedSizeList(2, new A.Field('v', new A.Int16(), true))),
  dict: dictionary,
});

describe('verifying Arrow IPC a client sent', () => {
  const messages = messagesOf(A.tableToIPC(table, 'stream'));

  it('accepts every message of a valid stream with many types, and its batches', () => {
    expect(messages.length).toBeGreaterThanOrEqual(3); // schema, dictionary, batch
    for (const m of messages) expect(() => verifyIpcMessage(m.header, m.body)).not.toThrow();
    // and says what each message is, as apache-arrow reads it
    expect(messages.map((m) => verifyIpcMessage(m.header, m.body))).toEqual(
      messages.map((m) => {
        const meta = A.Message.decode(m.header);
        const kind = meta.isSchema() ? 'schema' : meta.isRecordBatch() ? 'record batch' : 'dictionary batch';
        return { kind, bodyLength: Number(meta.bodyLength), rows: meta.isRecordBatch() ? 4 : null };
      }),
    );
    const { batches } = readBatches(messages);
    for (const b of batches) expect(() => verifyBatchData(b)).not.toThrow();
    expect(batches[0].numRows).toBe(4);
  });

  it('never reads a truncated header as something else: each prefix fails or decodes the same', () => {
    for (const m of messages) {
      const whole = JSON.stringify(meaningOf(m.header));
      for (let cut = 0; cut < m.header.length; cut++) {
        const prefix = m.header.subarray(0, cut);
        let ok = true;
        try {
          verifyIpcMessage(prefix, m.body);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidArgumentError);
          ok = false;
        }
        if (ok) expect(JSON.stringify(meaningOf(prefix))).toBe(whole);
      }
    }
  });

  it('refuses a body shorter than the header announces', () => {
    const batch = messages[messages.length - 1];
    expect(() => verifyIpcMessage(batch.header, batch.body.subarray(0, batch.body.length - 8))).toThrow(
      /announces a \d+-byte body/,
    );
  });

  it('refuses a header whose offsets loop or point anywhere', () => {
    const header = Uint8Array.from(messages[0].header);
    // the root offset pointing at itself, then at the far end
    new DataView(header.buffer).setInt32(0, 0, true);
    expect(() => verifyIpcMessage(header, null)).toThrow(InvalidArgumentError);
    new DataView(header.buffer).setInt32(0, 0x7ffffff0, true);
    expect(() => verifyIpcMessage(header, null)).toThrow(InvalidArgumentError);
  });

  it('refuses decoded columns whose buffers are shorter than their rows', () => {
    const ints = A.makeData({ type: new A.Int32(), length: 10, data: new Int32Array(3) });
    const strings = A.makeData({
      type: new A.Utf8(),
      length: 2,
      valueOffsets: new Int32Array([0, 5, 2]),
      data: new Uint8Array(5),
    });
    const schema = (t: A.DataType): A.Schema => new A.Schema([new A.Field('c', t, true)]);
    const batch = (d: A.Data): A.RecordBatch =>
      new A.RecordBatch(schema(d.type), A.makeData({ type: new A.Struct(schema(d.type).fields), length: d.length, children: [d] }));
    expect(() => verifyBatchData(batch(ints))).toThrow(/column "c": the values buffer is shorter than its 10 rows need/);
    expect(() => verifyBatchData(batch(strings))).toThrow(/offsets go backwards/);
  });
});

/** What a header says, as apache-arrow decodes it. */
function meaningOf(header: Uint8Array): unknown {
  const m = A.Message.decode(header);
  const h = m.header() as unknown;
  const plain = (v: unknown): unknown =>
    JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? [...x] : x)));
  return { type: m.headerType, bodyLength: String(m.bodyLength), header: plain(h) };
}
