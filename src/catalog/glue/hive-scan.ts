// How a Glue (Hive-style) table's files are read: the file format and reader options from its
// StorageDescriptor (SerDe, InputFormat, parameters), and the TableInfo.scan hook that reads a
// subset of its files with Glue's declared columns and types. Partition values come from Glue's
// partitions, not from paths: files of one partition share one read and get them as typed constants.
import { Table } from '@aws-sdk/client-glue';
import { quoteIdent, quoteLiteral } from '../../duckdb/sql';
import { UnimplementedError } from '../../errors';
import { ColumnInfo, FileFormat, TableScan } from '../catalog';

/** Reader options of a Hive text table (LazySimpleSerDe or OpenCSVSerde). */
export interface TextOptions {
  delim: string;
  quote: string;
  escape: string;
  header: boolean;
  /** The text that stands for NULL (LazySimpleSerDe's `\N`); null: none. */
  nullstr: string | null;
}

export interface HiveFormat {
  format: FileFormat;
  /** CSV-like tables only. */
  text?: TextOptions;
}

const lower = (s: string | undefined): string => (s ?? '').toLowerCase();

/** The format of a Glue table from its SerDe, InputFormat and `classification`; UNIMPLEMENTED for ORC, Avro… */
export function hiveFormatOf(table: Table, label: string): HiveFormat {
  const sd = table.StorageDescriptor ?? {};
  const serde = lower(sd.SerdeInfo?.SerializationLibrary);
  const input = lower(sd.InputFormat);
  const classification = lower(table.Parameters?.classification ?? sd.Parameters?.classification);
  const serdeParams = sd.SerdeInfo?.Parameters ?? {};
  if (serde.includes('parquet') || input.includes('parquet') || classification === 'parquet') return { format: 'parquet' };
  if (serde.includes('json') || classification === 'json') return { format: 'json' };
  const header = (table.Parameters?.['skip.header.line.count'] ?? sd.Parameters?.['skip.header.line.count']) === '1';
  if (serde.includes('opencsvserde')) {
    return {
      format: 'csv',
      text: {
        delim: serdeParams.separatorChar ?? ',',
        quote: serdeParams.quoteChar ?? '"',
        escape: serdeParams.escapeChar ?? '\\',
        header,
        nullstr: null,
      },
    };
  }
  if (serde.includes('lazysimpleserde') || input.includes('textinputformat') || classification === 'csv') {
    return {
      format: 'csv',
      text: {
        // Hive's default field separator is \x01 (^A); `serialization.format` is a fallback older writers set
        delim: serdeParams['field.delim'] ?? serdeParams['separatorChar'] ?? (classification === 'csv' ? ',' : '\x01'),
        quote: '',
        escape: serdeParams['escape.delim'] ?? '',
        header,
        nullstr: serdeParams['serialization.null.format'] ?? '\\N',
      },
    };
  }
  const what = serde || input || classification || 'unknown';
  throw new UnimplementedError(`${label}: tables stored as ${what} are not supported (Parquet, CSV/text and JSON are)`);
}

export interface HiveScanFile {
  /** Partition column → the value as DuckDB renders it; absent or null = NULL. */
  partition: Readonly<Record<string, string | null>>;
}

/**
 * The FROM item reading `files` as the raw file rows: the table's data columns (text formats: as
 * VARCHAR, by position), plus the file's path as column `filename` when asked (row counting).
 */
export function fileReadSql(format: HiveFormat, dataColumns: readonly ColumnInfo[], files: readonly string[], filename?: string): string {
  const list = `[${files.map((f) => quoteLiteral(f)).join(', ')}]`;
  const named = filename ? `, filename = ${quoteLiteral(filename)}` : '';
  if (format.format === 'parquet') return `read_parquet(${list}, union_by_name = true, hive_partitioning = false${named})`;
  const struct = (type: (c: ColumnInfo) => string): string =>
    `{${dataColumns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(type(c))}`).join(', ')}}`;
  if (format.format === 'json') {
    return `read_json(${list}, columns = ${struct((c) => c.type)}, format = 'newline_delimited', hive_partitioning = false${named})`;
  }
  const t = format.text!;
  const args = [
    list,
    `columns = ${struct(() => 'VARCHAR')}`,
    `header = ${t.header}`,
    `delim = ${quoteLiteral(t.delim)}`,
    `quote = ${quoteLiteral(t.quote)}`,
    `escape = ${quoteLiteral(t.escape)}`,
    ...(t.nullstr !== null ? [`nullstr = ${quoteLiteral(t.nullstr)}`] : []),
    'auto_detect = false',
    'null_padding = true',
    'hive_partitioning = false',
  ];
  if (filename) args.push(`filename = ${quoteLiteral(filename)}`);
  return `read_csv(${args.join(', ')})`;
}

export class HiveScan implements TableScan {
  private readonly partitionNames: Set<string>;

  constructor(
    private readonly format: HiveFormat,
    private readonly dataColumns: readonly ColumnInfo[],
    private readonly partitionColumns: readonly ColumnInfo[],
    private readonly files: ReadonlyMap<string, HiveScanFile>,
    private readonly label: string,
  ) {
    this.partitionNames = new Set(partitionColumns.map((c) => c.name.toLowerCase()));
  }

  sql(paths: readonly string[]): string {
    const all = [...this.dataColumns, ...this.partitionColumns];
    const shape = all.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
    const groups = this.groups(paths).map((g) => ` UNION ALL BY NAME (${g})`);
    // Parquet files bring their own types (checked by the cast); text values that do not parse are
    // NULL, as Hive reads them
    const cast = this.format.format === 'csv' ? 'TRY_CAST' : 'CAST';
    const outer = all
      .map((c) => `${this.partitionNames.has(c.name.toLowerCase()) ? 'CAST' : cast}(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`)
      .join(', ');
    return `(SELECT ${outer} FROM (SELECT ${shape} WHERE false${groups.join('')}))`;
  }

  /** One SELECT per partition among `paths`. */
  private groups(paths: readonly string[]): string[] {
    const byKey = new Map<string, { file: HiveScanFile; paths: string[] }>();
    for (const p of paths) {
      const file = this.files.get(p);
      if (!file) throw new RangeError(`${p} is not a data file of ${this.label}`);
      const key = JSON.stringify(this.partitionColumns.map((c) => file.partition[c.name] ?? null));
      const g = byKey.get(key) ?? { file, paths: [] };
      g.paths.push(p);
      byKey.set(key, g);
    }
    return [...byKey.values()].map(({ file, paths: ps }) => {
      // a copy of a partition column inside the files (some writers keep one) gives way to Glue's value
      const hidden = [...this.partitionNames];
      const data =
        this.format.format === 'parquet' && hidden.length > 0
          ? `COLUMNS(c -> lower(c) NOT IN (${hidden.map((h) => quoteLiteral(h)).join(', ')}))`
          : '*';
      const constants = this.partitionColumns.map((c) => {
        const v = file.partition[c.name];
        return `CAST(${v === null || v === undefined ? 'NULL' : quoteLiteral(v)} AS ${c.type}) AS ${quoteIdent(c.name)}`;
      });
      return `SELECT ${[data, ...constants].join(', ')} FROM ${fileReadSql(this.format, this.dataColumns, ps)}`;
    });
  }
}
