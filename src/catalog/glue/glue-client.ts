// The few Glue Data Catalog calls Skein makes (GetDatabases, GetTables, GetTable, GetPartitions),
// every page followed, every failure turned into a typed Skein error naming the database/table.
import {
  Database,
  GetDatabasesCommand,
  GetPartitionsCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  Partition,
  Table,
} from '@aws-sdk/client-glue';
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
} from '../../errors';

export interface GlueClientConfig {
  region: string;
  /** A Glue-compatible server (moto…); AWS's regional endpoint when absent. */
  endpoint?: string;
  /** The AWS account whose catalog is read; the caller's own when absent. */
  catalogId?: string;
  /** Static credentials; the SDK's default chain (env, profile, role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK = /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|socket hang up/i;

/** A Glue failure as a Skein error; `what` names the object (`glue database sales`, `glue table sales.events`). */
export function glueError(e: unknown, what: string): SkeinError {
  if (e instanceof SkeinError) return e;
  const err = (e ?? {}) as AwsLikeError;
  const name = err.name ?? '';
  const http = err.$metadata?.httpStatusCode;
  // a reply the SDK could not parse (a proxy's or an emulator's XML error page) says nothing useful
  const detail = err.message && err.message !== name && name !== 'SyntaxError' ? `: ${err.message}` : '';
  const opts = { cause: e };
  switch (name) {
    case 'EntityNotFoundException':
      return new NotFoundError(`${what} not found${detail}`, opts);
    case 'AccessDeniedException':
    case 'AccessDenied':
      return new PermissionDeniedError(`access to ${what} denied (Glue ${name})${detail}`, opts);
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
    case 'InvalidClientTokenId':
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return new PermissionDeniedError(`Glue refused the credentials reading ${what} (${name})${detail}`, opts);
    case 'CredentialsProviderError':
      return new UnauthenticatedError(`no AWS credentials to read ${what} from Glue${detail}`, opts);
    case 'InvalidInputException':
    case 'ValidationException':
      return new InvalidArgumentError(`Glue rejected the request for ${what} (${name})${detail}`, opts);
    case 'GlueEncryptionException':
      return new FailedPreconditionError(`${what} cannot be decrypted (Glue ${name})${detail}`, opts);
    case 'OperationTimeoutException':
    case 'TimeoutError':
      return new DeadlineExceededError(`Glue timed out reading ${what}${detail}`, opts);
    case 'ThrottlingException':
    case 'InternalServiceException':
    case 'ServiceUnavailableException':
      return new UnavailableError(`Glue unavailable reading ${what} (${name})${detail}`, opts);
  }
  if (http === 404) return new NotFoundError(`${what} not found (HTTP 404)${detail}`, opts);
  if (http === 403) return new PermissionDeniedError(`access to ${what} denied (HTTP 403)${detail}`, opts);
  if (http !== undefined && http >= 500) return new UnavailableError(`Glue unavailable reading ${what} (HTTP ${http})${detail}`, opts);
  if (http === undefined && NETWORK.test(`${err.code ?? ''} ${err.message ?? ''}`)) {
    return new UnavailableError(`cannot reach Glue to read ${what}: ${err.message ?? err.code}`, opts);
  }
  return new InternalError(`Glue request for ${what} failed (${name || 'error'}${http ? `, HTTP ${http}` : ''})${detail}`, opts);
}

export class GlueCatalogClient {
  private readonly client: GlueClient;
  private readonly catalogId: string | undefined;

  constructor(config: GlueClientConfig) {
    this.client = new GlueClient({
      region: config.region,
      endpoint: config.endpoint,
      credentials: config.credentials,
      maxAttempts: 3,
    });
    this.catalogId = config.catalogId;
  }

  async databases(): Promise<Database[]> {
    const out: Database[] = [];
    let token: string | undefined;
    do {
      const r = await this.call('glue databases', () =>
        this.client.send(new GetDatabasesCommand({ CatalogId: this.catalogId, NextToken: token })),
      );
      out.push(...(r.DatabaseList ?? []));
      token = r.NextToken || undefined;
    } while (token);
    return out;
  }

  /** The database's tables; NotFoundError when the database does not exist. */
  async tables(database: string): Promise<Table[]> {
    const out: Table[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(`glue database ${database}`, () =>
        this.client.send(new GetTablesCommand({ CatalogId: this.catalogId, DatabaseName: database, NextToken: token })),
      );
      out.push(...(r.TableList ?? []));
      token = r.NextToken || undefined;
    } while (token);
    return out;
  }

  /** One table, or null when it (or its database) does not exist. */
  async table(database: string, name: string): Promise<Table | null> {
    try {
      const r = await this.client.send(new GetTableCommand({ CatalogId: this.catalogId, DatabaseName: database, Name: name }));
      return r.Table ?? null;
    } catch (e) {
      if ((e as AwsLikeError).name === 'EntityNotFoundException') return null;
      throw glueError(e, `glue table ${database}.${name}`);
    }
  }

  async partitions(database: string, name: string): Promise<Partition[]> {
    const out: Partition[] = [];
    let token: string | undefined;
    do {
      const r = await this.call(`glue table ${database}.${name}`, () =>
        this.client.send(
          new GetPartitionsCommand({ CatalogId: this.catalogId, DatabaseName: database, TableName: name, NextToken: token }),
        ),
      );
      out.push(...(r.Partitions ?? []));
      token = r.NextToken || undefined;
    } while (token);
    return out;
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (e) {
      throw glueError(e, what);
    }
  }
}
