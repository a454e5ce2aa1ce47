// Requests whose protobuf does not decode. grpc-js answers INTERNAL when a request deserializer
// throws; wrapping the deserializers hands the failure to the handler instead, which answers it
// INVALID_ARGUMENT after authenticating the call like any other.
import { ServiceDefinition } from '@grpc/grpc-js';
import { InvalidArgumentError, SkeinError } from '../errors';

export class MalformedRequest {
  constructor(readonly error: unknown) {}
}

/** The service definition with request deserializers that never throw. */
export function lenientRequests<S extends ServiceDefinition>(service: S): S {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(service)) {
    out[name] = {
      ...m,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return m.requestDeserialize(bytes);
        } catch (e) {
          return new MalformedRequest(e);
        }
      },
    };
  }
  return out as S;
}

/** A request as decoded, or the INVALID_ARGUMENT its decoding failed with. */
export function decodedRequest<T>(request: T | MalformedRequest): T {
  if (!(request instanceof MalformedRequest)) return request;
  const e = request.error;
  if (e instanceof SkeinError) throw e;
  throw new InvalidArgumentError(`malformed request message: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
