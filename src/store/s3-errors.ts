// S3 failures → Skein's typed errors (gRPC codes), each naming the object and S3's own reason.
import { ErrorRule, ErrorTable, requestFailed, typedError } from '../error-tables';
import * as E from '../errors';

const bucketOf = (uri: string): string => /^s3:\/\/([^/]+)/.exec(uri)?.[1] ?? uri;

const missing: ErrorRule = [E.NotFoundError, (f) => `object ${f.what} not found`];
const denied: ErrorRule = [E.PermissionDeniedError, (f) => `access to ${f.what} denied (S3 ${f.name})${f.detail}`];
const badCredentials: ErrorRule = [E.PermissionDeniedError, (f) => `S3 refused the credentials for ${f.what} (${f.name})${f.detail}`];
const conflict: ErrorRule = [E.FailedPreconditionError, (f) => `conditional write of ${f.what} failed: the object changed or exists (S3 ${f.name})`];
const rejected: ErrorRule = [E.InvalidArgumentError, (f) => `S3 rejected ${f.what} (${f.name})${f.detail}`];
const timedOut: ErrorRule = [E.DeadlineExceededError, (f) => `S3 request for ${f.what} timed out${f.detail}`];
const unavailable: ErrorRule = [E.UnavailableError, (f) => `S3 unavailable for ${f.what} (${f.name})${f.detail}`];

const S3_ERRORS: ErrorTable = {
  key: 'name',
  byName: {
    NoSuchBucket: [E.NotFoundError, (f) => `bucket ${bucketOf(f.what)} not found (reading ${f.what})`],
    NoSuchKey: missing,
    NotFound: missing,
    NoSuchUpload: [E.NotFoundError, (f) => `multipart upload for ${f.what} no longer exists${f.detail}`],
    AccessDenied: denied,
    Forbidden: denied,
    AllAccessDisabled: denied,
    InvalidAccessKeyId: badCredentials,
    SignatureDoesNotMatch: badCredentials,
    InvalidToken: badCredentials,
    ExpiredToken: badCredentials,
    TokenRefreshRequired: badCredentials,
    CredentialsProviderError: [E.UnauthenticatedError, (f) => `no S3 credentials for ${f.what}${f.detail}`],
    PreconditionFailed: conflict,
    ConditionalRequestConflict: conflict,
    InvalidBucketName: rejected,
    InvalidArgument: rejected,
    KeyTooLongError: rejected,
    TimeoutError: timedOut,
    RequestTimeout: timedOut,
    SlowDown: unavailable,
    ServiceUnavailable: unavailable,
    InternalError: unavailable,
  },
  byStatus: {
    404: missing,
    403: [E.PermissionDeniedError, (f) => `access to ${f.what} denied (HTTP 403)${f.detail}`],
    412: [E.FailedPreconditionError, (f) => `conditional write of ${f.what} failed (HTTP 412)`],
    '5xx': [E.UnavailableError, (f) => `S3 unavailable for ${f.what} (HTTP ${f.http})${f.detail}`],
  },
  unreachable: (f) => `cannot reach the object store for ${f.what}: ${f.reason}`,
  otherwise: requestFailed('S3'),
  quiet: (_name, message) => message === 'UnknownError',
};

export function s3Error(e: unknown, uri: string): E.SkeinError {
  return typedError(e, uri, S3_ERRORS);
}
