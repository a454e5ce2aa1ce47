// The benchmark table, built in plain JS and encoded as Arrow IPC FlightData messages.
//
// Same values as the SQL the benches run in DuckDB / Skein:
//   SELECT i::BIGINT a, i::DOUBLE b, (i % 1000000)::INTEGER c, (i*0.5)::DOUBLE d FROM range(N) t(i)
// 28 bytes per row of Arrow buffers (8 + 8 + 4 + 8), no validity bitmaps (no nulls).

import {
  Field,
  Float64,
  Int32,
  Int64,
  Message,
  RecordBatch,
  Schema,
  Struct,
  Table,
  makeData,
  tableToIPC,
} from 'apache-arrow';

export const BYTES_PER_ROW = 28;

/** Rows per batch so that one FlightData body is just under 1 MiB (multiple of 64 rows). */
export function rowsPerMiB(target = 1 << 20) {
  return Math.floor(target / BYTES_PER_ROW / 64) * 64;
}

export function benchSchema() {
  // DuckDB exports every column as nullable.
  return new Schema([
    new Field('a', new Int64(), true),
    new Field('b', new Float64(), true),
    new Field('c', new Int32(), true),
    new Field('d', new Float64(), true),
  ]);
}

/** Build the columns (without BigInt conversions per row: write the int64 as two int32 words). */
export function buildColumns(rows) {
  const a = new BigInt64Array(rows);
  const aWords = new Int32Array(a.buffer);
  const b = new Float64Array(rows);
  const c = new Int32Array(rows);
  const d = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    aWords[2 * i] = i; // little-endian low word; rows < 2^31, high word stays 0
    b[i] = i;
    c[i] = i % 1000000;
    d[i] = i * 0.5;
  }
  return { a, b, c, d };
}

export function buildTable(rows, batchRows) {
  const schema = benchSchema();
  const cols = buildColumns(rows);
  const batches = [];
  for (let off = 0; off < rows; off += batchRows) {
    const len = Math.min(batchRows, rows - off);
    const children = schema.fields.map((f) =>
      makeData({ type: f.type, length: len, nullCount: 0, data: cols[f.name].subarray(off, off + len) }),
    );
    const structData = makeData({
      type: new Struct(schema.fields),
      length: len,
      nullCount: 0,
      children,
    });
    batches.push(new RecordBatch(schema, structData));
  }
  return new Table(schema, batches);
}

/**
 * Split an Arrow IPC stream into its messages.
 * Returns [{ header: Uint8Array (flatbuffer Message, no 8-byte prefix), body: Uint8Array, encapsulated: Uint8Array }]
 */
export function splitIpcStream(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  let off = 0;
  while (off + 8 <= bytes.byteLength) {
    let metaLen = view.getInt32(off, true);
    let prefix = 4;
    if (metaLen === -1) {
      metaLen = view.getInt32(off + 4, true);
      prefix = 8;
    }
    if (metaLen === 0) break; // end of stream
    const header = bytes.subarray(off + prefix, off + prefix + metaLen);
    const msg = Message.decode(header);
    const bodyStart = off + prefix + metaLen;
    const body = bytes.subarray(bodyStart, bodyStart + msg.bodyLength);
    out.push({ header, body, encapsulated: bytes.subarray(off, bodyStart + msg.bodyLength), headerType: msg.headerType });
    off = bodyStart + msg.bodyLength;
  }
  return out;
}

// ---- minimal protobuf writer ----

function varintLen(n) {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf, pos, n) {
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Encode a message made of length-delimited fields: fields = [[fieldNumber, Uint8Array], ...]. */
export function pbLenFields(fields) {
  let size = 0;
  for (const [num, bytes] of fields) {
    const tag = num * 8 + 2;
    size += varintLen(tag) + varintLen(bytes.byteLength) + bytes.byteLength;
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [num, bytes] of fields) {
    pos = writeVarint(buf, pos, num * 8 + 2);
    pos = writeVarint(buf, pos, bytes.byteLength);
    buf.set(bytes, pos);
    pos += bytes.byteLength;
  }
  return buf;
}

/** Encode a varint field (wire type 0). */
export function pbVarintField(num, value) {
  const buf = Buffer.allocUnsafe(varintLen(num * 8) + varintLen(value));
  let pos = writeVarint(buf, 0, num * 8);
  writeVarint(buf, pos, value);
  return buf;
}

/** FlightData{data_header = 2, data_body = 1000}. */
export function encodeFlightData(header, body) {
  const fields = [[2, header]];
  if (body && body.byteLength > 0) fields.push([1000, body]);
  return pbLenFields(fields);
}

/**
 * Pre-encode the whole table as FlightData protobuf messages (schema first, then one per batch).
 * Returns { messages: Buffer[], schemaIpc: Uint8Array (encapsulated schema message), arrowBytes, wireBytes, batches }.
 */
export function encodeTableAsFlightData(table) {
  const ipc = tableToIPC(table, 'stream');
  const msgs = splitIpcStream(ipc);
  const messages = msgs.map((m) => encodeFlightData(m.header, m.body));
  let arrowBytes = 0;
  for (const m of msgs) arrowBytes += m.body.byteLength;
  let wireBytes = 0;
  for (const m of messages) wireBytes += m.byteLength;
  return { messages, schemaIpc: msgs[0].encapsulated, arrowBytes, wireBytes, batches: msgs.length - 1 };
}
