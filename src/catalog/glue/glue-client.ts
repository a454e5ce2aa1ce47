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
import { ErrorRule, ErrorTable, requestFailed, typedError } from '../../error-tables';
import * as E from '../../errors';

export interface GlueClientConfig {
  region: string;
  /** A Glue-compatible server (moto…); AWS's regional endpoint when absent. */
  endpoint?: string;
  /** The AWS account whose catalog is read; the caller's own when absent. */
  catalogId?: string;
  /** Static credentials; the SDK's default chain (env, profile, role) when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const denied: ErrorRule = [E.PermissionDeniedError, (f) => `access to ${f.what} denied (Glue ${f.name})${f.detail}`];
const badCredentials: ErrorRule = [E.PermissionDeniedError, (f) => `Glue refused the credentials reading ${f.what} (${f.name})${f.detail}`];
const rejected: ErrorRule = [E.InvalidArgumentError, (f) => `Glue rejected the request for ${f.what} (${f.name})${f.detail}`];
const timedOut: ErrorRule = [E.DeadlineExceededError, (f) => `Glue timed out reading ${f.what}${f.detail}`];
const unavailable: ErrorRule = [E.UnavailableError, (f) => `Glue unavailable reading ${f.what} (${f.name})${f.detail}`];

const GLUE_ERRORS: ErrorTable = {
  key: 'name',
  byName: {
    EntityNotFoundException: [E.NotFoundError, (f) => `${f.what} not found${f.detail}`],
    AccessDeniedException: denied,
    AccessDenied: denied,
    UnrecognizedClientException: badCredentials,
    InvalidSignatureException: badCredentials,
    SignatureDoesNotMatch: badCredentials,
    InvalidClientTokenId: badCredentials,
    ExpiredTokenException: badCredentials,
    ExpiredToken: badCredentials,
    CredentialsProviderError: [E.UnauthenticatedError, (f) => `no AWS credentials to read ${f.what} from Glue${f.detail}`],
    InvalidInputException: rejected,
    ValidationException: rejected,
    GlueEncryptionException: [E.FailedPreconditionError, (f) => `${f.what} cannot be decrypted (Glue ${f.name})${f.detail}`],
    OperationTimeoutException: timedOut,
    TimeoutError: timedOut,
    ThrottlingException: unavailable,
    InternalServiceException: unavailable,
    ServiceUnavailableException: unavailable,
  },
  byStatus: {
    404: [E.NotFoundError, (f) => `${f.what} not found (HTTP 404)${f.detail}`],
    403: [E.PermissionDeniedError, (f) => `access to ${f.what} denied (HTTP 403)${f.detail}`],
    '5xx': [E.UnavailableError, (f) => `Glue unavailable reading ${f.what} (HTTP ${f.http})${f.detail}`],
  },
  unreachable: (f) => `cannot reach Glue to read ${f.what}: ${f.reason}`,
  otherwise: requestFailed('Glue'),
  // a reply the SDK could not parse (a proxy's or an emulator's XML error page) says nothing useful
  quiet: (name) => name === 'SyntaxError',
};

/** A Glue failure as a Skein error; `what` names the object (`glue database sales`, `glue table sales.events`). */
export function glueError(e: unknown, what: string): E.SkeinError {
  return typedError(e, what, GLUE_ERRORS);
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
      if ((e as { name?: string }).name === 'EntityNotFoundException') return null;
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
