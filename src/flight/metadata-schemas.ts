// The fixed result schemas of the Flight SQL metadata commands. Clients compare them exactly
// (names, types, nullability, order), so they live in one place, as the Flight SQL reference
// implementations define them (note key_sequence before key_name in primary keys).
import * as A from 'apache-arrow';

const utf8 = (name: string, nullable = true): A.Field => new A.Field(name, new A.Utf8(), nullable);
const int32 = (name: string, nullable = true): A.Field => new A.Field(name, new A.Int32(), nullable);
const bool = (name: string, nullable = true): A.Field => new A.Field(name, new A.Bool(), nullable);

export const CATALOGS_SCHEMA = new A.Schema([utf8('catalog_name', false)]);

export const DB_SCHEMAS_SCHEMA = new A.Schema([utf8('catalog_name'), utf8('db_schema_name', false)]);

const TABLES_FIELDS = [utf8('catalog_name'), utf8('db_schema_name'), utf8('table_name', false), utf8('table_type', false)];
export const TABLES_SCHEMA = new A.Schema(TABLES_FIELDS);
export const TABLES_WITH_SCHEMA_SCHEMA = new A.Schema([
  ...TABLES_FIELDS,
  new A.Field('table_schema', new A.Binary(), false),
]);

export const TABLE_TYPES_SCHEMA = new A.Schema([utf8('table_type', false)]);

export const PRIMARY_KEYS_SCHEMA = new A.Schema([
  utf8('catalog_name'),
  utf8('db_schema_name'),
  utf8('table_name', false),
  utf8('column_name', false),
  int32('key_sequence', false),
  utf8('key_name'),
]);

/** Imported keys, exported keys and cross references share one schema. */
export const FOREIGN_KEYS_SCHEMA = new A.Schema([
  utf8('pk_catalog_name'),
  utf8('pk_db_schema_name'),
  utf8('pk_table_name', false),
  utf8('pk_column_name', false),
  utf8('fk_catalog_name'),
  utf8('fk_db_schema_name'),
  utf8('fk_table_name', false),
  utf8('fk_column_name', false),
  int32('key_sequence', false),
  utf8('fk_key_name'),
  utf8('pk_key_name'),
  new A.Field('update_rule', new A.Uint8(), false),
  new A.Field('delete_rule', new A.Uint8(), false),
]);

export const XDBC_TYPE_INFO_SCHEMA = new A.Schema([
  utf8('type_name', false),
  int32('data_type', false),
  int32('column_size'),
  utf8('literal_prefix'),
  utf8('literal_suffix'),
  new A.Field('create_params', new A.List(new A.Field('item', new A.Utf8(), false)), true),
  int32('nullable', false),
  bool('case_sensitive', false),
  int32('searchable', false),
  bool('unsigned_attribute'),
  bool('fixed_prec_scale', false),
  bool('auto_increment'),
  utf8('local_type_name'),
  int32('minimum_scale'),
  int32('maximum_scale'),
  int32('sql_data_type', false),
  int32('datetime_subcode'),
  int32('num_prec_radix'),
  int32('interval_precision'),
]);

/** One record batch of `schema` from column arrays (in field order). */
export function batchOf(schema: A.Schema, columns: unknown[][]): A.RecordBatch {
  const length = columns[0]?.length ?? 0;
  const children = schema.fields.map((f, i) => A.vectorFromArray(columns[i] as never[], f.type).data[0]);
  const data = A.makeData({ type: new A.Struct(schema.fields), length, nullCount: 0, children });
  return new A.RecordBatch(schema, data);
}
