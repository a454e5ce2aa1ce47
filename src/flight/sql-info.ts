// CommandGetSqlInfo: server identity and SQL capabilities, as the dense-union table every client
// reads (ADBC at connect and in get_info, JDBC for DatabaseMetaData). Value kinds follow the
// reference implementations: ordinals in bigint_value, bitmasks in int32_bitmask.
import * as A from 'apache-arrow';
import { CallContext, staticSource } from './context';
import { metadataCommand, CommandTable } from './command-table';
import { sql } from './proto';
import { databaseSqlInfo, DatabaseSqlInfo } from './sql-info-database';
import { SQL_INFO_STATIC, SqlInfoValue } from './sql-info-values';

const STRING_LIST_ITEM = new A.Field('item', new A.Utf8(), true);
const INT_LIST = new A.List(new A.Field('item', new A.Int32(), true));
const MAP_TYPE = new A.Map_(
  new A.Field(
    'entries',
    new A.Struct([new A.Field('key', new A.Int32(), false), new A.Field('value', INT_LIST, true)] as never[]),
    false,
  ),
  false,
);

// Union children are declared non-nullable, as in the C++, Java and Go reference schemas (the
// deprecated C++ ADBC driver rejects any other schema).
const UNION_CHILDREN = [
  new A.Field('string_value', new A.Utf8(), false),
  new A.Field('bool_value', new A.Bool(), false),
  new A.Field('bigint_value', new A.Int64(), false),
  new A.Field('int32_bitmask', new A.Int32(), false),
  new A.Field('string_list', new A.List(STRING_LIST_ITEM), false),
  new A.Field('int32_to_int32_list_map', MAP_TYPE, false),
];
const UNION_TYPE = new A.DenseUnion([0, 1, 2, 3, 4, 5], UNION_CHILDREN);

export const SQL_INFO_SCHEMA = new A.Schema([
  new A.Field('info_name', new A.Uint32(), false),
  new A.Field('value', UNION_TYPE, false),
]);

const KIND_ID: Record<SqlInfoValue['kind'], number> = {
  string: 0,
  bool: 1,
  bigint: 2,
  bitmask: 3,
  strings: 4,
  map: 5,
};

export function sqlInfoBatch(values: Map<number, SqlInfoValue>, requested: number[]): A.RecordBatch {
  const ids = (requested.length > 0 ? requested : [...values.keys()].sort((a, b) => a - b)).filter((id) =>
    values.has(id),
  );
  const typeIds = new Int8Array(ids.length);
  const offsets = new Int32Array(ids.length);
  const perKind: unknown[][] = [[], [], [], [], [], []];
  ids.forEach((id, i) => {
    const v = values.get(id) as SqlInfoValue;
    const k = KIND_ID[v.kind];
    typeIds[i] = k;
    offsets[i] = perKind[k].length;
    if (v.kind === 'bigint') perKind[k].push(BigInt(v.value));
    else if (v.kind === 'map') perKind[k].push(new Map(Object.entries(v.value).map(([a, b]) => [Number(a), b])));
    else perKind[k].push(v.value);
  });
  const children = UNION_CHILDREN.map((f, k) => A.vectorFromArray(perKind[k] as never[], f.type).data[0]);
  const union = A.makeData({
    type: UNION_TYPE,
    length: ids.length,
    nullCount: 0,
    typeIds,
    valueOffsets: offsets,
    children,
  } as never);
  const names = A.makeData({ type: new A.Uint32(), length: ids.length, nullCount: 0, data: Uint32Array.from(ids) });
  const struct = A.makeData({
    type: new A.Struct(SQL_INFO_SCHEMA.fields),
    length: ids.length,
    nullCount: 0,
    children: [names, union],
  });
  return new A.RecordBatch(SQL_INFO_SCHEMA, struct);
}

/** Static capabilities plus what only the running server and its database know. */
export function sqlInfoValues(ctx: CallContext, fromDb: DatabaseSqlInfo): Map<number, SqlInfoValue> {
  const m = new Map<number, SqlInfoValue>(SQL_INFO_STATIC);
  m.set(1, { kind: 'string', value: ctx.state.version });
  m.set(507, { kind: 'bigint', value: fromDb.nullOrdering });
  m.set(508, { kind: 'strings', value: fromDb.keywords });
  m.set(509, { kind: 'strings', value: fromDb.numericFunctions });
  m.set(510, { kind: 'strings', value: fromDb.stringFunctions });
  m.set(511, { kind: 'strings', value: fromDb.systemFunctions });
  m.set(512, { kind: 'strings', value: fromDb.datetimeFunctions });
  m.set(517, { kind: 'map', value: fromDb.conversions });
  return m;
}

export const sqlInfoCommands: CommandTable = {
  CommandGetSqlInfo: metadataCommand(
    'CommandGetSqlInfo',
    () => SQL_INFO_SCHEMA,
    async (ctx, value) => {
      const cmd = sql.CommandGetSqlInfo.decode(value);
      const batch = sqlInfoBatch(sqlInfoValues(ctx, await databaseSqlInfo(ctx.state.db)), cmd.info ?? []);
      return staticSource(SQL_INFO_SCHEMA, [batch]);
    },
  ),
};
