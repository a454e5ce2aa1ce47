// Typed errors for the whole server. Every failure a client can see is a SkeinError with a gRPC
// status code; anything else is an internal fault, reported without its stack (see toGrpcError).
import { status } from '@grpc/grpc-js';

export class SkeinError extends Error {
  readonly code: status;
  constructor(code: status, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.INVALID_ARGUMENT, message, options);
  }
}

export class NotFoundError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.NOT_FOUND, message, options);
  }
}

export class AlreadyExistsError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.ALREADY_EXISTS, message, options);
  }
}

export class UnauthenticatedError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.UNAUTHENTICATED, message, options);
  }
}

export class PermissionDeniedError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.PERMISSION_DENIED, message, options);
  }
}

export class UnimplementedError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.UNIMPLEMENTED, message, options);
  }
}

export class CancelledError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.CANCELLED, message, options);
  }
}

export class DeadlineExceededError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.DEADLINE_EXCEEDED, message, options);
  }
}

export class ResourceExhaustedError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.RESOURCE_EXHAUSTED, message, options);
  }
}

export class FailedPreconditionError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.FAILED_PRECONDITION, message, options);
  }
}

export class UnavailableError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.UNAVAILABLE, message, options);
  }
}

export class InternalError extends SkeinError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(status.INTERNAL, message, options);
  }
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
