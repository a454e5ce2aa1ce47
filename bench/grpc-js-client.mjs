#!/usr/bin/env node
// Raw grpc-js client for the transport ceiling: calls Flight DoGet on the raw server and receives the
// FlightData messages as opaque Buffers (no protobuf or Arrow decoding), counting bytes.
// This is the "grpc-js server → grpc-js client" figure of perf-anchors (0.81 GB/s at 1 MiB messages).
//
// Usage: node bench/grpc-js-client.mjs --uri grpc://127.0.0.1:PORT [--rounds 3] [--arrow-bytes N] [--out FILE]
// 1 warm-up, best of --rounds. bytes/s is reported both as FlightData wire bytes and as the table's
// Arrow bytes (--arrow-bytes, the numerator every other doget figure uses).

import grpc from '@grpc/grpc-js';
import { writeFileSync } from 'node:fs';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const uri = arg('uri', null);
if (!uri) {
  console.error('usage: grpc-js-client.mjs --uri grpc://HOST:PORT');
  process.exit(2);
}
const rounds = Number(arg('rounds', '3'));
const arrowBytes = Number(arg('arrow-bytes', '0'));
const target = uri.replace(/^grpc(\+tcp)?:\/\//, '');
const identity = (x) => x;

const windowBytes = Number(arg('window', '0'));
const channelOptions = { 'grpc.max_receive_message_length': -1 };
// grpc-js's client HTTP/2 flow-control window defaults to 64 KiB; --window raises it.
if (windowBytes > 0) channelOptions['grpc-node.flow_control_window'] = windowBytes;
const client = new grpc.Client(target, grpc.credentials.createInsecure(), channelOptions);

// Ticket{ticket = 1: "bench10m"}
const ticketMsg = Buffer.concat([Buffer.from([0x0a, 8]), Buffer.from('bench10m')]);

function readOnce() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let bytes = 0;
    let messages = 0;
    const call = client.makeServerStreamRequest(
      '/arrow.flight.protocol.FlightService/DoGet',
      identity,
      identity,
      ticketMsg,
    );
    call.on('data', (buf) => {
      bytes += buf.length;
      messages++;
    });
    call.on('error', reject);
    call.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes, messages }));
  });
}

await readOnce(); // warm-up
const runs = [];
for (let r = 0; r < rounds; r++) runs.push(await readOnce());
client.close();
const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const result = {
  bench: 'raw-grpcjs-client',
  messages: best.messages,
  wire_bytes: best.bytes,
  arrow_bytes: arrowBytes || null,
  times_ms: runs.map((r) => r.ms),
  best_ms: best.ms,
  wire_bytes_per_s: best.bytes / (best.ms / 1000),
  bytes_per_s: (arrowBytes || best.bytes) / (best.ms / 1000),
};
const out = arg('out', null);
if (out) writeFileSync(out, JSON.stringify(result) + '\n');
console.log(JSON.stringify(result));
