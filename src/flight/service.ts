// The gRPC definition of arrow.flight.protocol.FlightService, shared by the server and the CLI
// client. FlightData travels as raw bytes (encoded/decoded in ipc.ts) to avoid extra copies.
import { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import { OutgoingFlightData } from './ipc';
import { Codec, codecs } from './proto';

/** DoGet responses: ready bytes, or a message serialized straight into grpc-js's frame copy. */
const outgoing: Codec<Buffer | OutgoingFlightData> = {
  name: 'FlightData',
  encode: (m: Buffer | OutgoingFlightData) => (m instanceof OutgoingFlightData ? m.serialize() : m),
  decode: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
};

const raw: Codec<Buffer> = {
  name: 'FlightData',
  encode: (b: Buffer) => b,
  decode: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
};

function method<Req, Res>(
  name: string,
  req: Codec<Req>,
  res: Codec<Res>,
  requestStream: boolean,
  responseStream: boolean,
): MethodDefinition<Req, Res> {
  return {
    path: `/arrow.flight.protocol.FlightService/${name}`,
    requestStream,
    responseStream,
    requestSerialize: (m: Req) => Buffer.from(req.encode(m) as Uint8Array),
    requestDeserialize: (b: Buffer) => req.decode(b),
    responseSerialize: (m: Res) => Buffer.from(res.encode(m) as Uint8Array),
    responseDeserialize: (b: Buffer) => res.decode(b),
  } as MethodDefinition<Req, Res>;
}

export const FLIGHT_SERVICE = {
  Handshake: method('Handshake', codecs.HandshakeRequest, codecs.HandshakeResponse, true, true),
  ListFlights: method('ListFlights', codecs.Criteria, codecs.FlightInfo, false, true),
  GetFlightInfo: method('GetFlightInfo', codecs.FlightDescriptor, codecs.FlightInfo, false, false),
  PollFlightInfo: method('PollFlightInfo', codecs.FlightDescriptor, codecs.PollInfo, false, false),
  GetSchema: method('GetSchema', codecs.FlightDescriptor, codecs.SchemaResult, false, false),
  DoGet: method('DoGet', codecs.Ticket, outgoing, false, true),
  DoPut: method('DoPut', raw, codecs.PutResult, true, true),
  DoExchange: method('DoExchange', raw, raw, true, true),
  DoAction: method('DoAction', codecs.Action, codecs.Result, false, true),
  ListActions: method('ListActions', codecs.Empty, codecs.ActionType, false, true),
} satisfies ServiceDefinition;
