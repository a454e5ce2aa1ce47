// Maps DuckDB's error messages ("<Kind> Error: …") to typed Skein errors with the right gRPC code,
// keeping DuckDB's own message text for the client.
import {
  AlreadyExistsError,
  CancelledError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SkeinError,
} from '../errors';

type Make = (msg: string, cause: unknown) => SkeinError;

const invalid: Make = (m, cause) => new InvalidArgumentError(m, { cause });

const byKind: Record<string, Make> = {
  Parser: invalid,
  Syntax: invalid,
  Binder: invalid,
  Conversion: invalid,
  'Invalid Input': invalid,
  'Out of Range': invalid,
  'Mismatch Type': invalid,
  'Invalid Type': invalid,
  'Not implemented': invalid,
  Parameter: invalid,
  Sequence: invalid,
  Serialization: invalid,
  Catalog: (m, cause) =>
    /does not exist/i.test(m)
      ? new NotFoundError(m, { cause })
      : /already exists/i.test(m)
        ? new AlreadyExistsError(m, { cause })
        : new InvalidArgumentError(m, { cause }),
  Constraint: (m, cause) => new FailedPreconditionError(m, { cause }),
  Dependency: (m, cause) => new FailedPreconditionError(m, { cause }),
  Transaction: (m, cause) => new FailedPreconditionError(m, { cause }),
  TransactionContext: (m, cause) => new FailedPreconditionError(m, { cause }),
  INTERRUPT: (m, cause) => new CancelledError(m, { cause }),
  Interrupt: (m, cause) => new CancelledError(m, { cause }),
  'Out of Memory': (m, cause) => new ResourceExhaustedError(m, { cause }),
  Permission: (m, cause) => new PermissionDeniedError(m, { cause }),
  IO: (m, cause) =>
    /no files found|does not exist|no such file/i.test(m)
      ? new NotFoundError(m, { cause })
      : new FailedPreconditionError(m, { cause }),
  HTTP: (m, cause) => new FailedPreconditionError(m, { cause }),
  INTERNAL: (m, cause) => new InternalError(firstLines(m), { cause }),
  Fatal: (m, cause) => new InternalError(firstLines(m), { cause }),
};

function firstLines(m: string): string {
  return m.split('\n').slice(0, 3).join('\n');
}

/** The message of anything thrown (native errors may come from another realm, so no instanceof). */
export function messageOf(e: unknown): string {
  const m = (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : String(e);
}

export function duckdbError(e: unknown): SkeinError {
  if (e instanceof SkeinError) return e;
  const message = messageOf(e);
  const kind = /^([A-Za-z ]+?) Error:/.exec(message)?.[1];
  if (kind !== undefined) {
    const make = byKind[kind];
    if (make) return make(message, e);
    return new InvalidArgumentError(message, { cause: e });
  }
  return new InternalError(firstLines(message), { cause: e });
}
