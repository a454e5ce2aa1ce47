// The one helper that puts a name into SQL text: a double-quoted identifier with quotes doubled.
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
