// Protobuf codecs for the Flight and Flight SQL messages (loaded from proto/ with protobufjs),
// plus the google.protobuf.Any packing Flight SQL uses for commands and action bodies.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { InvalidArgumentError } from '../errors';

function protoDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'Flight.proto'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find the proto/ directory next to the Skein installation');
}

const root = new protobuf.Root();
const dir = protoDir();
root.resolvePath = (_origin, target) =>
  target.startsWith('google/') || isAbsolute(target) ? target : join(dir, target);
root.loadSync([join(dir, 'Flight.proto'), join(dir, 'FlightSql.proto')], { keepCase: true });
root.resolveAll();

export const SQL_PREFIX = 'type.googleapis.com/arrow.flight.protocol.sql.';

/** A typed codec for one message; decoded objects keep proto field names (snake_case). */
export interface Codec<T> {
  readonly name: string;
  encode(msg: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function codec<T>(fullName: string): Codec<T> {
  const type = root.lookupType(fullName);
  return {
    name: type.name,
    encode: (msg: T) => type.encode(type.fromObject(msg as Record<string, unknown>)).finish(),
    decode: (bytes: Uint8Array) => {
      try {
        return type.toObject(type.decode(bytes), {
          longs: String,
          bytes: Buffer,
          defaults: true,
          oneofs: true,
        }) as T;
      } catch (e) {
        throw new InvalidArgumentError(`malformed ${type.name} message: ${(e as Error).message}`);
      }
    },
  };
}

const F = 'arrow.flight.protocol.';
const S = 'arrow.flight.protocol.sql.';

// Flight messages ------------------------------------------------------------------------------
export interface FlightDescriptor {
  type: number | string;
  cmd: Buffer;
  path: string[];
}
export interface Ticket {
  ticket: Buffer;
}
export interface Action {
  type: string;
  body: Buffer;
}
export interface FlightEndpoint {
  ticket: Ticket;
  location: { uri: string }[];
  app_metadata?: Uint8Array;
}
export interface FlightInfo {
  schema: Uint8Array;
  flight_descriptor: FlightDescriptor | null;
  endpoint: FlightEndpoint[];
  total_records: number | string;
  total_bytes: number | string;
  ordered: boolean;
  app_metadata?: Uint8Array;
}

export const codecs = {
  HandshakeRequest: codec<{ protocol_version: string; payload: Buffer }>(F + 'HandshakeRequest'),
  HandshakeResponse: codec<{ protocol_version?: number; payload: Uint8Array }>(F + 'HandshakeResponse'),
  BasicAuth: codec<{ username: string; password: string }>(F + 'BasicAuth'),
  Empty: codec<Record<string, never>>(F + 'Empty'),
  ActionType: codec<{ type: string; description: string }>(F + 'ActionType'),
  Criteria: codec<{ expression: Buffer }>(F + 'Criteria'),
  Action: codec<Action>(F + 'Action'),
  Result: codec<{ body: Uint8Array }>(F + 'Result'),
  SchemaResult: codec<{ schema: Uint8Array }>(F + 'SchemaResult'),
  FlightDescriptor: codec<FlightDescriptor>(F + 'FlightDescriptor'),
  FlightInfo: codec<FlightInfo>(F + 'FlightInfo'),
  PollInfo: codec<Record<string, unknown>>(F + 'PollInfo'),
  Ticket: codec<Ticket>(F + 'Ticket'),
  PutResult: codec<{ app_metadata: Uint8Array }>(F + 'PutResult'),
  SetSessionOptionsRequest: codec<{ session_options: Record<string, SessionOptionValue> }>(
    F + 'SetSessionOptionsRequest',
  ),
  SetSessionOptionsResult: codec<{ errors: Record<string, { value: number }> }>(F + 'SetSessionOptionsResult'),
  GetSessionOptionsRequest: codec<Record<string, never>>(F + 'GetSessionOptionsRequest'),
  GetSessionOptionsResult: codec<{ session_options: Record<string, SessionOptionValue> }>(
    F + 'GetSessionOptionsResult',
  ),
  CloseSessionRequest: codec<Record<string, never>>(F + 'CloseSessionRequest'),
  CloseSessionResult: codec<{ status: number }>(F + 'CloseSessionResult'),
  CancelFlightInfoRequest: codec<{ info: FlightInfo | null }>(F + 'CancelFlightInfoRequest'),
  CancelFlightInfoResult: codec<{ status: number }>(F + 'CancelFlightInfoResult'),
};

/** One session option value as protobufjs decodes it (oneof name in `option_value`). */
export interface SessionOptionValue {
  option_value?: 'string_value' | 'bool_value' | 'int64_value' | 'double_value' | 'string_list_value';
  string_value?: string;
  bool_value?: boolean;
  int64_value?: string | number;
  double_value?: number;
  string_list_value?: { values: string[] };
}

// Flight SQL messages ------------------------------------------------------------------------
export interface CommandStatementQuery {
  query: string;
  transaction_id?: Buffer;
}
export interface CommandStatementIngest {
  table_definition_options: { if_not_exist: number; if_exists: number } | null;
  table: string;
  schema?: string;
  catalog?: string;
  temporary: boolean;
  transaction_id?: Buffer;
  options: Record<string, string>;
}
export interface CommandPreparedStatementQuery {
  prepared_statement_handle: Buffer;
}
export interface ActionCreatePreparedStatementResult {
  prepared_statement_handle: Uint8Array;
  dataset_schema: Uint8Array;
  parameter_schema: Uint8Array;
  is_update?: boolean;
}

export interface CommandGetDbSchemas {
  catalog?: string;
  db_schema_filter_pattern?: string;
}
export interface CommandGetTables extends CommandGetDbSchemas {
  table_name_filter_pattern?: string;
  table_types: string[];
  include_schema: boolean;
}
export interface TableRef {
  catalog?: string;
  db_schema?: string;
  table: string;
}
export interface CommandGetCrossReference {
  pk_catalog?: string;
  pk_db_schema?: string;
  pk_table: string;
  fk_catalog?: string;
  fk_db_schema?: string;
  fk_table: string;
}

export const sql = {
  CommandGetCatalogs: codec<Record<string, never>>(S + 'CommandGetCatalogs'),
  CommandGetDbSchemas: codec<CommandGetDbSchemas>(S + 'CommandGetDbSchemas'),
  CommandGetTables: codec<CommandGetTables>(S + 'CommandGetTables'),
  CommandGetTableTypes: codec<Record<string, never>>(S + 'CommandGetTableTypes'),
  CommandGetPrimaryKeys: codec<TableRef>(S + 'CommandGetPrimaryKeys'),
  CommandGetExportedKeys: codec<TableRef>(S + 'CommandGetExportedKeys'),
  CommandGetImportedKeys: codec<TableRef>(S + 'CommandGetImportedKeys'),
  CommandGetCrossReference: codec<CommandGetCrossReference>(S + 'CommandGetCrossReference'),
  CommandGetXdbcTypeInfo: codec<{ data_type?: number }>(S + 'CommandGetXdbcTypeInfo'),
  CommandGetSqlInfo: codec<{ info: number[] }>(S + 'CommandGetSqlInfo'),
  CommandStatementQuery: codec<CommandStatementQuery>(S + 'CommandStatementQuery'),
  CommandStatementUpdate: codec<CommandStatementQuery>(S + 'CommandStatementUpdate'),
  CommandPreparedStatementQuery: codec<CommandPreparedStatementQuery>(S + 'CommandPreparedStatementQuery'),
  CommandPreparedStatementUpdate: codec<CommandPreparedStatementQuery>(S + 'CommandPreparedStatementUpdate'),
  TicketStatementQuery: codec<{ statement_handle: Buffer }>(S + 'TicketStatementQuery'),
  ActionCreatePreparedStatementRequest: codec<{ query: string; transaction_id?: Buffer }>(
    S + 'ActionCreatePreparedStatementRequest',
  ),
  ActionCreatePreparedStatementResult: codec<ActionCreatePreparedStatementResult>(
    S + 'ActionCreatePreparedStatementResult',
  ),
  ActionClosePreparedStatementRequest: codec<{ prepared_statement_handle: Buffer }>(
    S + 'ActionClosePreparedStatementRequest',
  ),
  DoPutUpdateResult: codec<{ record_count: number | string }>(S + 'DoPutUpdateResult'),
  CommandStatementIngest: codec<CommandStatementIngest>(S + 'CommandStatementIngest'),
  ActionCancelQueryRequest: codec<{ info: Buffer }>(S + 'ActionCancelQueryRequest'),
  ActionCancelQueryResult: codec<{ result: number }>(S + 'ActionCancelQueryResult'),
  ActionBeginTransactionRequest: codec<Record<string, never>>(S + 'ActionBeginTransactionRequest'),
  ActionBeginTransactionResult: codec<{ transaction_id: Uint8Array }>(S + 'ActionBeginTransactionResult'),
  ActionEndTransactionRequest: codec<{ transaction_id: Buffer; action: number | string }>(
    S + 'ActionEndTransactionRequest',
  ),
  DoPutPreparedStatementResult: codec<{ prepared_statement_handle?: Uint8Array }>(
    S + 'DoPutPreparedStatementResult',
  ),
};

/** google.protobuf.Any: field 1 type_url, field 2 value. Small enough to hand-code. */
export function packAny(typeName: string, value: Uint8Array): Buffer {
  const url = Buffer.from(SQL_PREFIX + typeName, 'utf8');
  const w = protobuf.Writer.create();
  w.uint32(10).bytes(url);
  w.uint32(18).bytes(value);
  return Buffer.from(w.finish());
}

export function unpackAny(bytes: Uint8Array): { typeUrl: string; value: Buffer } {
  const r = protobuf.Reader.create(bytes);
  let typeUrl = '';
  let value: Buffer = Buffer.alloc(0);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      switch (tag >>> 3) {
        case 1:
          typeUrl = r.string();
          break;
        case 2:
          value = Buffer.from(r.bytes());
          break;
        default:
          r.skipType(tag & 7);
      }
    }
  } catch (e) {
    throw new InvalidArgumentError(`malformed command: not a protobuf Any (${(e as Error).message})`);
  }
  if (typeUrl === '') throw new InvalidArgumentError('malformed command: Any without type_url');
  // an Any's type URL always has a '/': without one this is most likely a command sent unpacked
  if (!typeUrl.includes('/')) {
    throw new InvalidArgumentError(
      `malformed command: not a protobuf Any (type_url ${JSON.stringify(typeUrl.slice(0, 80))} has no '/'); ` +
        'pack Flight SQL commands into google.protobuf.Any',
    );
  }
  return { typeUrl, value };
}

/** The message name after the last '/' of a type URL, as every Flight SQL implementation resolves it. */
export function typeNameOf(typeUrl: string): string {
  const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  return name.startsWith('arrow.flight.protocol.sql.') ? name.slice('arrow.flight.protocol.sql.'.length) : name;
}
