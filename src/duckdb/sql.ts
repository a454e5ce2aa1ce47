// The one helper that puts a name into SQL text: a double-quoted identifier with quotes doubled.
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal; for values that cannot be bound as parameters (SET, USE). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new RangeError('a SQL literal cannot hold NUL');
  return `'${value.replace(/'/g, "''")}'`;
}
