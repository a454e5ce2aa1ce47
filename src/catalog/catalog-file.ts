// The catalog config file: tables listed explicitly, `{"tables": [{"schema", "name", "location",
// "format"?}]}`, locations relative to the file. Checked at start-up like the main config.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { FileFormat } from './catalog';

const fileSchema = z
  .object({
    tables: z.array(
      z
        .object({
          schema: z.string().min(1),
          name: z.string().min(1),
          location: z.string().min(1),
          format: z.enum(['parquet', 'csv', 'json']).optional(),
        })
        .strict(),
    ),
  })
  .strict();

export interface TableSource {
  schema: string;
  name: string;
  /** Absolute: a directory of files or one file. */
  location: string;
  /** Given: every file is read as this format; absent: chosen by extension. */
  format?: FileFormat;
}

export function readCatalogFile(path: string): TableSource[] {
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
  return parsed.data.tables.map((t) => {
    const key = JSON.stringify([t.schema, t.name]);
    if (seen.has(key)) throw new ConfigError(`catalog file ${path}: table ${t.schema}.${t.name} is listed twice`);
    seen.add(key);
    return { ...t, location: resolve(dirname(path), t.location) };
  });
}
