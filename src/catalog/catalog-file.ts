// The catalog config file: tables listed explicitly, `{"tables": [{"schema", "name", "location",
// "format"?, "metadata"?}]}`, locations relative to the file (or URIs). A format of 'iceberg' or
// 'delta' makes the location a table-format root (served by FormatCatalog); otherwise it is a
// directory of files (DirectoryCatalog). Checked at start-up like the main config.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { FileFormat } from './catalog';
import { FormatTableSource, TableFormatName } from './table-formats';

const fileSchema = z
  .object({
    tables: z.array(
      z
        .object({
          schema: z.string().min(1),
          name: z.string().min(1),
          location: z.string().min(1),
          format: z.enum(['parquet', 'csv', 'json', 'iceberg', 'delta']).optional(),
          /** Iceberg only: the metadata JSON to read (else the newest under <location>/metadata/). */
          metadata: z.string().min(1).optional(),
        })
        .strict()
        .refine((t) => t.metadata === undefined || t.format === 'iceberg', {
          message: '"metadata" is for format "iceberg" only',
          path: ['metadata'],
        }),
    ),
  })
  .strict();

export interface TableSource {
  schema: string;
  name: string;
  /** Absolute: a directory of files or one file; or an object-store prefix/object (s3://…). */
  location: string;
  /** Given: every file is read as this format; absent: chosen by extension. */
  format?: FileFormat;
}

/** A table-format entry of the catalog file. */
export interface FormatEntry extends FormatTableSource {
  format: TableFormatName;
}

const isFormat = (f: string | undefined): f is TableFormatName => f === 'iceberg' || f === 'delta';

/** A location as written, or resolved against the catalog file's directory when it is a plain path. */
function located(base: string, where: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(where) ? where : resolve(base, where);
}

/** The directory-of-files tables of a catalog file. */
export function readCatalogFile(path: string): TableSource[] {
  return readCatalogEntries(path).files;
}

/** Every entry of a catalog file: directory-of-files tables and table-format tables. */
export function readCatalogEntries(path: string): { files: TableSource[]; formats: FormatEntry[] } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`catalog file ${path}: ${(e as Error).message}`);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid catalog file ${path}:\n${lines.join('\n')}`);
  }
  const seen = new Set<string>();
  const files: TableSource[] = [];
  const formats: FormatEntry[] = [];
  for (const t of parsed.data.tables) {
    const key = JSON.stringify([t.schema, t.name]);
    if (seen.has(key)) throw new ConfigError(`catalog file ${path}: table ${t.schema}.${t.name} is listed twice`);
    seen.add(key);
    const base = dirname(path);
    const { format, metadata, ...rest } = t;
    if (isFormat(format)) {
      const entry: FormatEntry = { ...rest, format, location: located(base, t.location) };
      if (metadata) entry.metadata = located(base, metadata);
      formats.push(entry);
    } else {
      files.push({ ...rest, ...(format ? { format } : {}), location: located(base, t.location) });
    }
  }
  return { files, formats };
}
