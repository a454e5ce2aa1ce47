// The shape of a DoAction handler. Flight SQL actions take and return Any-wrapped messages; the
// Flight-level ones (sessions, CancelFlightInfo) use raw messages. Each handler knows its own.
import { CallContext } from './context';

export interface ActionHandler {
  description: string;
  /** Returns the Result bodies to stream back (possibly none). */
  run(ctx: CallContext, body: Buffer): Promise<Uint8Array[]>;
}

export type ActionTable = Readonly<Record<string, ActionHandler>>;
