// S3 failures → Skein's typed errors (gRPC codes), each naming the object and S3's own reason.
import {
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  SkeinError,
  UnauthenticatedError,
  UnavailableError,
} from '../errors';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  BucketName?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

export function s3Error(e: unknown, uri: string): SkeinError {
  if (e instanceof SkeinError) return e;
  const err = (e ?? {}) as AwsLikeError;
  const name = err.name ?? '';
  const http = err.$metadata?.httpStatusCode;
  const bucket = /^s3:\/\/([^/]+)/.exec(uri)?.[1] ?? uri;
  const detail = err.message && err.message !== name && err.message !== 'UnknownError' ? `: ${err.message}` : '';
  const opts = { cause: e };
  switch (name) {
    case 'NoSuchBucket':
      return new NotFoundError(`bucket ${bucket} not found (reading ${uri})`, opts);
    case 'NoSuchKey':
    case 'NotFound':
      return new NotFoundError(`object ${uri} not found`, opts);
    case 'NoSuchUpload':
      return new NotFoundError(`multipart upload for ${uri} no longer exists${detail}`, opts);
    case 'AccessDenied':
    case 'Forbidden':
    case 'AllAccessDisabled':
      return new PermissionDeniedError(`access to ${uri} denied (S3 ${name})${detail}`, opts);
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'InvalidToken':
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return new PermissionDeniedError(`S3 refused the credentials for ${uri} (${name})${detail}`, opts);
    case 'CredentialsProviderError':
      return new UnauthenticatedError(`no S3 credentials for ${uri}${detail}`, opts);
    case 'PreconditionFailed':
    case 'ConditionalRequestConflict':
      return new FailedPreconditionError(`conditional write of ${uri} failed: the object changed or exists (S3 ${name})`, opts);
    case 'InvalidBucketName':
    case 'InvalidArgument':
    case 'KeyTooLongError':
      return new InvalidArgumentError(`S3 rejected ${uri} (${name})${detail}`, opts);
    case 'TimeoutError':
    case 'RequestTimeout':
      return new DeadlineExceededError(`S3 request for ${uri} timed out${detail}`, opts);
    case 'SlowDown':
    case 'ServiceUnavailable':
    case 'InternalError':
      return new UnavailableError(`S3 unavailable for ${uri} (${name})${detail}`, opts);
  }
  if (http === 404) return new NotFoundError(`object ${uri} not found`, opts);
  if (http === 403) return new PermissionDeniedError(`access to ${uri} denied (HTTP 403)${detail}`, opts);
  if (http === 412) return new FailedPreconditionError(`conditional write of ${uri} failed (HTTP 412)`, opts);
  if (http !== undefined && http >= 500) return new UnavailableError(`S3 unavailable for ${uri} (HTTP ${http})${detail}`, opts);
  if (http === undefined && (NETWORK_CODES.has(err.code ?? '') || /ECONNREFUSED|socket hang up|getaddrinfo/i.test(err.message ?? ''))) {
    return new UnavailableError(`cannot reach the object store for ${uri}: ${err.message ?? err.code}`, opts);
  }
  return new InternalError(`S3 request for ${uri} failed (${name || 'error'}${http ? `, HTTP ${http}` : ''})${detail}`, opts);
}
