// Pruning: which files (and row groups) of a table can hold rows that satisfy the conditions pushed
// into its scan, judged by hive partition values and min/max/null-count statistics. A file is
// dropped only when a condition provably excludes every row; anything not understood keeps it.
import { ColumnStats, DataFile, TableInfo } from '../catalog/catalog';
import { Node, walk } from './ast';

type Op = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Pred =
  | { kind: 'and' | 'or'; children: Pred[] }
  | { kind: 'cmp'; column: string; op: Op; constant: number }
  | { kind: 'between'; column: string; low: number; high: number }
  | { kind: 'in'; column: string; constants: number[] }
  | { kind: 'null'; column: string; isNull: boolean }
  | { kind: 'unknown' };

/** A constant the planner had DuckDB evaluate: its VARCHAR rendering and DuckDB type. */
export interface ConstantValue {
  text: string | null;
  type: string;
}

const COMPARISONS: Record<string, Op> = {
  COMPARE_EQUAL: '=',
  COMPARE_NOTEQUAL: '<>',
  COMPARE_LESSTHAN: '<',
  COMPARE_LESSTHANOREQUALTO: '<=',
  COMPARE_GREATERTHAN: '>',
  COMPARE_GREATERTHANOREQUALTO: '>=',
};
const FLIPPED: Record<Op, Op> = { '=': '=', '<>': '<>', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

function isConstantExpression(n: Node): boolean {
  let ok = true;
  walk(n, (x) => {
    if (x.class === 'COLUMN_REF' || x.class === 'SUBQUERY' || x.class === 'PARAMETER' || x.class === 'STAR') ok = false;
    if (x.class === 'FUNCTION' && /^(random|uuid|gen_random_uuid|nextval|currval)$/.test(String(x.function_name))) ok = false;
    return ok;
  });
  return ok;
}

/** Turns a pushed condition into a predicate over statistics; constants are collected for evaluation. */
export function toPred(n: Node, columnOf: (ref: Node) => string | null, constants: Node[]): Pred {
  const constant = (c: Node): number | null => {
    if (!isConstantExpression(c)) return null;
    constants.push(c);
    return constants.length - 1;
  };
  const col = (c: Node): string | null => (c.class === 'COLUMN_REF' ? columnOf(c) : null);
  if (n.class === 'CONJUNCTION') {
    const kind = n.type === 'CONJUNCTION_AND' ? 'and' : n.type === 'CONJUNCTION_OR' ? 'or' : null;
    if (!kind) return { kind: 'unknown' };
    return { kind, children: (n.children as Node[]).map((c) => toPred(c, columnOf, constants)) };
  }
  if (n.class === 'COMPARISON' && COMPARISONS[String(n.type)]) {
    const op = COMPARISONS[String(n.type)];
    const l = n.left as Node;
    const r = n.right as Node;
    const lc = col(l);
    if (lc) {
      const k = constant(r);
      return k === null ? { kind: 'unknown' } : { kind: 'cmp', column: lc, op, constant: k };
    }
    const rc = col(r);
    if (rc) {
      const k = constant(l);
      return k === null ? { kind: 'unknown' } : { kind: 'cmp', column: rc, op: FLIPPED[op], constant: k };
    }
    return { kind: 'unknown' };
  }
  if (n.class === 'BETWEEN') {
    const c = col(n.input as Node);
    if (!c) return { kind: 'unknown' };
    const low = constant(n.lower as Node);
    const high = constant(n.upper as Node);
    return low === null || high === null ? { kind: 'unknown' } : { kind: 'between', column: c, low, high };
  }
  if (n.class === 'OPERATOR' && n.type === 'COMPARE_IN') {
    const [first, ...rest] = n.children as Node[];
    const c = col(first);
    if (!c) return { kind: 'unknown' };
    const ks: number[] = [];
    for (const x of rest) {
      const k = constant(x);
      if (k === null) return { kind: 'unknown' };
      ks.push(k);
    }
    return { kind: 'in', column: c, constants: ks };
  }
  if (n.class === 'OPERATOR' && (n.type === 'OPERATOR_IS_NULL' || n.type === 'OPERATOR_IS_NOT_NULL')) {
    const c = col((n.children as Node[])[0]);
    return c ? { kind: 'null', column: c, isNull: n.type === 'OPERATOR_IS_NULL' } : { kind: 'unknown' };
  }
  return { kind: 'unknown' };
}

type Family = 'number' | 'time' | 'string' | 'boolean' | null;

function familyOf(type: string): Family {
  const t = type.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(t)) return 'number';
  if (t === 'DATE' || /^TIMESTAMP(_S|_MS|_NS)?$/.test(t)) return 'time';
  if (t === 'VARCHAR') return 'string';
  if (t === 'BOOLEAN') return 'boolean';
  return null;
}

/** Exact comparison of two decimal numbers written as text ('-12.50', '3', '1e5' is refused). */
export function compareNumbers(a: string, b: string): number | null {
  const re = /^(-?)(\d+)(?:\.(\d+))?$/;
  const x = re.exec(a.trim());
  const y = re.exec(b.trim());
  if (!x || !y) return null;
  const sign = (m: RegExpExecArray): number => (m[1] === '-' && /[1-9]/.test(m[2] + (m[3] ?? '')) ? -1 : 1);
  const sx = sign(x);
  const sy = sign(y);
  if (sx !== sy) return sx < sy ? -1 : 1;
  const ix = x[2].replace(/^0+(?=\d)/, '');
  const iy = y[2].replace(/^0+(?=\d)/, '');
  let c = ix.length !== iy.length ? (ix.length < iy.length ? -1 : 1) : ix < iy ? -1 : ix > iy ? 1 : 0;
  if (c === 0) {
    const fx = (x[3] ?? '').replace(/0+$/, '');
    const fy = (y[3] ?? '').replace(/0+$/, '');
    const n = Math.max(fx.length, fy.length);
    const px = fx.padEnd(n, '0');
    const py = fy.padEnd(n, '0');
    c = px < py ? -1 : px > py ? 1 : 0;
  }
  return c * sx;
}

/** Dates and timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' (years 0001–9999 only). */
function normalTime(v: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?)?$/.exec(v.trim());
  if (!m) return null;
  return `${m[1]} ${m[2] ?? '00:00:00'}.${(m[3] ?? '').padEnd(9, '0')}`;
}

const floatKind = (type: string): string | null => /^(FLOAT|DOUBLE|REAL|FLOAT4|FLOAT8)$/i.exec(type.trim())?.[1].toUpperCase() ?? null;

/** The decimal text is a double exactly, and is that double's shortest spelling (as DuckDB renders stats). */
function exactDouble(text: string): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return false;
  const frac = m[2] ?? '';
  let n = BigInt(m[1] + frac);
  // text = n / 10^f = n / (2^f 5^f): a binary fraction only if 5^f divides n; then its odd part must fit 53 bits
  const five = 5n ** BigInt(frac.length);
  if (n % five !== 0n) return false;
  n /= five;
  while (n !== 0n && n % 2n === 0n) n /= 2n;
  if (n >= 1n << 53n) return false;
  return compareNumbers(String(Number(text)), text) === 0;
}

/**
 * Numbers compare exactly as decimal text only when DuckDB compares them exactly too: both exact
 * types (integers, decimals), or both the same floating type (stats and constant are then both
 * shortest spellings of floats). A DOUBLE column against an exact constant is compared in DOUBLE,
 * which is exact when the constant is a double itself. Anything else (an exact column against a
 * DOUBLE constant, FLOAT against DOUBLE or DECIMAL) is rounded by DuckDB's cast: no pruning.
 */
function comparableNumbers(columnType: string, c: ConstantValue): boolean {
  const col = floatKind(columnType);
  const constant = floatKind(c.type);
  if (col === null && constant === null) return true;
  if (col === constant) return true;
  return col === 'DOUBLE' && constant === null && c.text !== null && exactDouble(c.text);
}

/** Compares a statistic with a constant of the same family; null when that cannot be done exactly. */
function compare(stat: string, columnType: string, c: ConstantValue): number | null {
  if (c.text === null) return null;
  const fam = familyOf(columnType);
  if (fam === null || fam !== familyOf(c.type)) return null;
  switch (fam) {
    case 'number':
      return comparableNumbers(columnType, c) ? compareNumbers(stat, c.text) : null;
    case 'time': {
      const a = normalTime(stat);
      const b = normalTime(c.text);
      if (!a || !b) return null;
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 'string':
      return Buffer.compare(Buffer.from(stat, 'utf8'), Buffer.from(c.text, 'utf8'));
    case 'boolean':
      return stat === c.text ? 0 : stat === 'false' ? -1 : 1;
  }
}

interface Range {
  min: string | null;
  max: string | null;
  nulls: number | null;
  rows: number;
  type: string;
}

/** True when no row with this column range can satisfy `p`. */
function excludes(p: Pred, range: (column: string) => Range | null, constants: ConstantValue[]): boolean {
  switch (p.kind) {
    case 'and':
      return p.children.some((c) => excludes(c, range, constants));
    case 'or':
      return p.children.length > 0 && p.children.every((c) => excludes(c, range, constants));
    case 'unknown':
      return false;
  }
  const r = range(p.column);
  if (!r) return false;
  if (p.kind === 'null') {
    if (r.nulls === null) return false;
    return p.isNull ? r.nulls === 0 : r.nulls === r.rows;
  }
  // every value NULL: no comparison is true
  if (r.nulls !== null && r.nulls === r.rows && r.rows > 0) return true;
  if (r.min === null || r.max === null) return false;
  const lo = (k: number): number | null => compare(r.min as string, r.type, constants[k]);
  const hi = (k: number): number | null => compare(r.max as string, r.type, constants[k]);
  const outside = (k: number): boolean => {
    const a = lo(k);
    const b = hi(k);
    return (a !== null && a > 0) || (b !== null && b < 0);
  };
  if (p.kind === 'between') {
    const b = hi(p.low);
    const a = lo(p.high);
    return (b !== null && b < 0) || (a !== null && a > 0);
  }
  if (p.kind === 'in') return p.constants.length > 0 && p.constants.every(outside);
  const a = lo(p.constant);
  const b = hi(p.constant);
  switch (p.op) {
    case '=':
      return outside(p.constant);
    case '<>':
      return a === 0 && b === 0 && r.nulls === 0;
    case '<':
      return a !== null && a >= 0;
    case '<=':
      return a !== null && a > 0;
    case '>':
      return b !== null && b <= 0;
    case '>=':
      return b !== null && b < 0;
  }
}

/** True when `path` sits under `key=__HIVE_DEFAULT_PARTITION__/` (the key compared lower-case, percent-decoded). */
function inNullPartition(path: string, key: string): boolean {
  return path
    .split(/[\\/]/)
    .slice(0, -1)
    .some((dir) => {
      const i = dir.indexOf('=');
      if (i <= 0 || dir.slice(i + 1) !== '__HIVE_DEFAULT_PARTITION__') return false;
      let k = dir.slice(0, i);
      try {
        k = decodeURIComponent(k);
      } catch {
        // not percent-encoded after all
      }
      return k.toLowerCase() === key;
    });
}

function statsRange(stats: ColumnStats | undefined, rows: number, type: string): Range | null {
  if (!stats) return null;
  return { min: stats.min, max: stats.max, nulls: stats.nullCount, rows, type };
}

export interface PruneResult {
  files: DataFile[];
  rowGroupsTotal: number;
  rowGroupsKept: number;
  reasons: string[];
}

/** The files of `table` that may hold rows satisfying every predicate. */
export function pruneFiles(table: TableInfo, preds: Pred[], constants: ConstantValue[], describe: (p: number) => string): PruneResult {
  const types = new Map(table.columns.map((c) => [c.name.toLowerCase(), c.type]));
  const partitionCols = new Set(table.partitionColumns.map((c) => c.toLowerCase()));
  const kept: DataFile[] = [];
  const dropped = new Map<number, number>();
  let rgTotal = 0;
  let rgKept = 0;
  for (const f of table.files) {
    const fileRange = (column: string): Range | null => {
      const key = column.toLowerCase();
      const type = types.get(key);
      if (!type) return null;
      if (partitionCols.has(key)) {
        const v = Object.entries(f.partition).find(([k]) => k.toLowerCase() === key)?.[1];
        // the catalog leaves a NULL partition (`key=__HIVE_DEFAULT_PARTITION__/`) out of `partition`
        if (v === undefined && !inNullPartition(f.path, key)) return null;
        const isNull = v === undefined || v === '__HIVE_DEFAULT_PARTITION__' || v === 'NULL';
        return { min: isNull ? null : v, max: isNull ? null : v, nulls: isNull ? f.rows : 0, rows: f.rows, type };
      }
      const stats = Object.entries(f.columns).find(([k]) => k.toLowerCase() === key)?.[1];
      return statsRange(stats, f.rows, type);
    };
    const why = preds.findIndex((p) => excludes(p, fileRange, constants));
    rgTotal += f.rowGroups.length;
    if (why >= 0) {
      dropped.set(why, (dropped.get(why) ?? 0) + 1);
      continue;
    }
    kept.push(f);
    for (const rg of f.rowGroups) {
      const rgRange = (column: string): Range | null => {
        const key = column.toLowerCase();
        if (partitionCols.has(key)) return fileRange(column);
        const type = types.get(key);
        const stats = Object.entries(rg.columns).find(([k]) => k.toLowerCase() === key)?.[1];
        return type ? statsRange(stats, rg.rows, type) : null;
      };
      if (!preds.some((p) => excludes(p, rgRange, constants))) rgKept++;
    }
  }
  const reasons = [...dropped].map(([i, n]) => `${describe(i)} excludes ${n} file${n === 1 ? '' : 's'}`);
  return { files: kept, rowGroupsTotal: rgTotal, rowGroupsKept: rgKept, reasons };
}

/** A stand-in row count for bounds over a group of files: larger than any null count, never all NULL. */
const GROUP_ROWS = Number.MAX_SAFE_INTEGER;

/**
 * Whether a group of files (an Iceberg manifest) whose columns have these bounds may hold rows
 * satisfying every predicate: pruneFiles' test on one pseudo-file carrying the bounds.
 */
export function boundsMayMatch(table: TableInfo, preds: Pred[], constants: ConstantValue[]): (columns: Readonly<Record<string, ColumnStats>>) => boolean {
  const shape = { ...table, partitionColumns: [] };
  return (columns) => {
    const file: DataFile = { path: '', bytes: 0, rows: GROUP_ROWS, partition: {}, columns, rowGroups: [] };
    return pruneFiles({ ...shape, files: [file] }, preds, constants, () => '').files.length > 0;
  };
}
