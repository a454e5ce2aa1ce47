#!/usr/bin/env node
// Transport ceiling for the doget bench: a bare @grpc/grpc-js server that serves Flight DoGet as a
// server stream of pre-encoded FlightData messages (~1 MiB each). Nothing is computed per request:
// the table is built and IPC-encoded once at start-up, then every DoGet just writes the same Buffers.
//
// It also answers GetFlightInfo(CommandStatementQuery, any SQL) with one endpoint on itself, so a Flight SQL client
// such as ADBC can read it too (ADBC's CreatePreparedStatement gets UNIMPLEMENTED and falls back to
// GetFlightInfo(CommandStatementQuery) + DoGet).
//
// Usage: node bench/raw-grpc-server.mjs [--host 127.0.0.1] [--port 0] [--rows 10000000] [--batch-rows N]
// Prints `listening on grpc://HOST:PORT` when ready; SIGTERM/SIGINT stop it.

import grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { buildTable, encodeTableAsFlightData, pbLenFields, pbVarintField, rowsPerMiB } from './lib/bench-table.mjs';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const host = arg('host', '127.0.0.1');
const port = Number(arg('port', '0'));
const rows = Number(arg('rows', '10000000'));
const batchRows = Number(arg('batch-rows', String(rowsPerMiB())));

const t0 = performance.now();
const table = buildTable(rows, batchRows);
const enc = encodeTableAsFlightData(table);
const prepMs = performance.now() - t0;

// FlightInfo{schema=1, flight_descriptor=2 (echo of the request), endpoint=3 {ticket=1 {ticket=1}},
// total_records=4, total_bytes=5}. pyarrow.flight rejects a FlightInfo without flight_descriptor
// ("Client sent UNKNOWN descriptor type"), so the request's descriptor is echoed back.
const ticket = Buffer.from('bench10m');
const flightInfoTail = Buffer.concat([
  pbLenFields([[3, pbLenFields([[1, pbLenFields([[1, ticket]])]])]]),
  pbVarintField(4, rows),
  pbVarintField(5, enc.arrowBytes),
]);
const flightInfoHead = pbLenFields([[1, enc.schemaIpc]]);
const flightInfo = (descriptor) => Buffer.concat([flightInfoHead, pbLenFields([[2, descriptor]]), flightInfoTail]);

const identity = (x) => x;
const method = (name, responseStream) => ({
  path: `/arrow.flight.protocol.FlightService/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

const service = {
  DoGet: method('DoGet', true),
  GetFlightInfo: method('GetFlightInfo', false),
};

async function doGet(call) {
  try {
    for (const m of enc.messages) {
      if (call.cancelled) return;
      if (!call.write(m)) await once(call, 'drain');
    }
    call.end();
  } catch (err) {
    call.destroy(err);
  }
}

// Only statement queries get the table; anything else (e.g. ADBC's GetSqlInfo probe at connect,
// which ADBC ignores when it fails) gets UNIMPLEMENTED.
const statementQueryType = Buffer.from('CommandStatementQuery');
function getFlightInfo(call, callback) {
  if (call.request.includes(statementQueryType) || call.request.includes(ticket)) callback(null, flightInfo(call.request));
  else callback({ code: grpc.status.UNIMPLEMENTED, details: 'raw bench server: only CommandStatementQuery' });
}

const server = new grpc.Server({
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': -1,
});
server.addService(service, { DoGet: doGet, GetFlightInfo: getFlightInfo });
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, boundPort) => {
  if (err) {
    console.error(`raw-grpc-server: bind failed: ${err.message}`);
    process.exit(1);
  }
  console.error(
    `raw-grpc-server: ${rows} rows, ${enc.batches} batches of ${batchRows} rows, ` +
      `${enc.arrowBytes} Arrow body bytes, ${enc.wireBytes} FlightData bytes, prepared in ${prepMs.toFixed(0)} ms`,
  );
  console.log(`listening on grpc://${host}:${boundPort}`);
});

function stop() {
  server.tryShutdown(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
