// DuckDB's sandbox as Skein configures it: no file access outside the configured directories, no
// extension installs or loads, and no changes to settings other than the ones users may change for
// their own session. DuckDB enforces the first two itself (enable_external_access = false with
// allowed_directories); this module refuses the statements that would weaken them or reach past them.
import { DuckDBPreparedStatement, StatementType } from '@duckdb/node-api';
import { PermissionDeniedError } from '../errors';

export interface SandboxPolicy {
  /** Directories queries may read and write (DuckDB's allowed_directories). */
  allowedDirectories: string[];
  /** Settings a statement may SET or RESET for its own connection (lower case; names are case-insensitive). */
  settable: ReadonlySet<string>;
  settableNames: readonly string[];
}

export function sandboxPolicy(allowedDirectories: string[], settable: readonly string[]): SandboxPolicy {
  return { allowedDirectories, settable: new Set(settable.map((s) => s.toLowerCase())), settableNames: settable };
}

/** The SQL text with comments and string literals blanked out, so keywords are found reliably. */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''");
}

/**
 * Settings DuckDB changes for the connection alone when SET names no scope. For the others (e.g.
 * default_order, default_collation, preserve_insertion_order) a scope-less SET, or PRAGMA x = y,
 * changes the setting for the whole server, so users must write SET SESSION.
 */
const SESSION_WITHOUT_SCOPE = new Set([
  'timezone',
  'calendar',
  'search_path',
  'integer_division',
  'max_expression_depth',
  'ordered_aggregate_threshold',
  'errors_as_json',
  'enable_progress_bar',
]);

const SET_CLAUSE =
  /(?:^|;)\s*(SET|RESET|PRAGMA(?=\s+"?[A-Za-z_][A-Za-z0-9_.]*"?\s*=))\s+(?:(GLOBAL|SESSION|LOCAL)\s+)?(VARIABLE\s+)?("?)([A-Za-z_][A-Za-z0-9_.]*)\4/gi;

/** Throws PERMISSION_DENIED for a statement the sandbox does not allow. */
export function checkSandbox(policy: SandboxPolicy | null, stmt: DuckDBPreparedStatement, sql: string): void {
  if (!policy) return;
  const kind = stmt.statementType;
  if (kind === StatementType.LOAD) {
    throw new PermissionDeniedError('installing or loading DuckDB extensions is disabled on this server');
  }
  if (kind !== StatementType.SET) return;
  const code = codeOnly(sql);
  // USE (also a SET statement to DuckDB) changes only the current catalog/schema
  let found = /(?:^|;)\s*USE\s/i.test(code);
  for (const m of code.matchAll(SET_CLAUSE)) {
    found = true;
    const [, verb, scope, variable, , name] = m;
    if (variable) continue; // SET VARIABLE: a user variable, not a setting
    if (scope?.toUpperCase() === 'GLOBAL') {
      throw new PermissionDeniedError(`${verb.toUpperCase()} GLOBAL is not allowed: server settings belong to its configuration`);
    }
    if (!policy.settable.has(name.toLowerCase())) {
      throw new PermissionDeniedError(
        `${verb.toUpperCase()} ${name} is not allowed; settings users may change: ${policy.settableNames.join(', ')}`,
      );
    }
    if (!scope && !SESSION_WITHOUT_SCOPE.has(name.toLowerCase())) {
      const form = verb.toUpperCase() === 'RESET' ? 'RESET SESSION' : 'SET SESSION';
      throw new PermissionDeniedError(
        `${verb.toUpperCase()} ${name} without SESSION would change it for every user of the server; write ${form} ${name}`,
      );
    }
  }
  if (!found) throw new PermissionDeniedError('this form of changing settings is not allowed on this server');
}
