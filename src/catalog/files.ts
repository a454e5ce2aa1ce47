// The file side of the directory catalog: which files make up a table (a cheap stat walk), their
// format by extension, and the hive partition values in their paths.
import { Dirent, Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { FileFormat } from './catalog';

/** What identifies one version of a file: a rewrite changes at least one of these. */
export interface FileStat {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Object-store files: the ETag, which changes with the content (mtime and ino say little there). */
  etag?: string;
}

export interface Listing {
  format: FileFormat | null;
  files: FileStat[];
}

const EXTENSIONS: [RegExp, FileFormat][] = [
  [/\.(parquet|parq|pq)$/i, 'parquet'],
  [/\.(csv|tsv)(\.gz|\.zst)?$/i, 'csv'],
  [/\.(json|jsonl|ndjson)(\.gz|\.zst)?$/i, 'json'],
];

export function formatOf(name: string): FileFormat | null {
  for (const [re, format] of EXTENSIONS) if (re.test(name)) return format;
  return null;
}

/** Hidden files and `_`-prefixed ones (`_SUCCESS`, `_delta_log`, `_temporary`) are not table data. */
export function skipped(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

function decoded(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v; // not percent-encoded after all: DuckDB keeps such values as written
  }
}

/** `year=1995/month=3/f.parquet` under `location` → {year: '1995', month: '3'}. */
export function hivePartition(location: string, path: string): Record<string, string> {
  const dirs = relative(location, path).split(sep).slice(0, -1);
  const out: Record<string, string> = {};
  for (const d of dirs) {
    const i = d.indexOf('=');
    if (i <= 0) continue;
    const value = d.slice(i + 1);
    if (value !== HIVE_NULL) out[decoded(d.slice(0, i))] = decoded(value);
  }
  return out;
}

/** Partition keys in path order (`year`, then `month`). */
export function hiveKeys(location: string, path: string): string[] {
  return relative(location, path)
    .split(sep)
    .slice(0, -1)
    .filter((d) => d.indexOf('=') > 0)
    .map((d) => decoded(d.slice(0, d.indexOf('='))));
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // removed while we walked
    throw e;
  }
}

/** Deep enough for any partitioning; stops a symlink loop. */
const MAX_DEPTH = 32;

async function walk(dir: string, out: FileStat[], depth = 0): Promise<void> {
  if (depth > MAX_DEPTH) return;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    if (skipped(entry.name)) continue;
    const path = join(dir, entry.name);
    const st = entry.isDirectory() || entry.isFile() ? null : await statOrNull(path); // symlinks
    if (entry.isDirectory() || st?.isDirectory()) {
      await walk(path, out, depth + 1);
    } else if (entry.isFile() || st?.isFile()) {
      const s = st ?? (await statOrNull(path));
      if (s) out.push({ path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino });
    }
  }
}

/**
 * The table's data files under `location` (a directory, or a single file), sorted by path. With no
 * `format` given, files are chosen by extension and the most common format wins (other files are
 * left out); with one, every file that is not hidden is read as that format.
 */
export async function listTable(location: string, format?: FileFormat): Promise<Listing> {
  const found: FileStat[] = [];
  const top = await statOrNull(location);
  if (top?.isFile()) found.push({ path: location, size: top.size, mtimeMs: top.mtimeMs, ino: top.ino });
  else if (top?.isDirectory()) await walk(location, found);
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return chooseFormat(found, format);
}

/**
 * `found` as a listing: all of it read as `format` when one is given, else the files of the most
 * common format by extension (ties go to parquet, then csv, then json).
 */
export function chooseFormat<F extends FileStat>(found: F[], format?: FileFormat): { format: FileFormat | null; files: F[] } {
  if (format) return { format, files: found };
  const counts = new Map<FileFormat, number>();
  for (const f of found) {
    const fmt = formatOf(f.path);
    if (fmt) counts.set(fmt, (counts.get(fmt) ?? 0) + 1);
  }
  let best: FileFormat | null = null;
  for (const fmt of ['parquet', 'csv', 'json'] as const) {
    if ((counts.get(fmt) ?? 0) > (best ? counts.get(best)! : 0)) best = fmt;
  }
  return { format: best, files: best ? found.filter((f) => formatOf(f.path) === best) : [] };
}

/** Names of the visible subdirectories of `dir` (following symlinks), sorted; none if it is gone. */
export async function subdirectories(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const entry of entries) {
    if (skipped(entry.name)) continue;
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await statOrNull(join(dir, entry.name)))?.isDirectory())) {
      out.push(entry.name);
    }
  }
  return out.sort();
}
