// Glue (Hive) column type strings → DuckDB type names: `int`, `decimal(10,2)`, `array<struct<a:int>>`,
// `map<string,bigint>`… Struct field names are always quoted here; the catalog asks DuckDB for its
// own spelling of the result (typeof), so ColumnInfo.type matches what duckdb_columns() shows.
import { quoteIdent } from '../../duckdb/sql';

/** A Glue type Skein cannot read (uniontype, an unknown name, a malformed string). */
export class GlueTypeError extends Error {}

const PRIMITIVES: Record<string, string> = {
  tinyint: 'TINYINT',
  smallint: 'SMALLINT',
  int: 'INTEGER',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  float: 'FLOAT',
  real: 'FLOAT',
  double: 'DOUBLE',
  'double precision': 'DOUBLE',
  boolean: 'BOOLEAN',
  string: 'VARCHAR',
  binary: 'BLOB',
  date: 'DATE',
  timestamp: 'TIMESTAMP',
  interval_year_month: 'INTERVAL',
  interval_day_time: 'INTERVAL',
};

/** Hive's decimal without arguments is decimal(10,0); DuckDB stops at precision 38, as Hive does. */
function decimal(args: number[], text: string): string {
  const [p = 10, s = 0] = args;
  if (args.length > 2 || p < 1 || p > 38 || s < 0 || s > p) throw new GlueTypeError(`${text}: not a decimal DuckDB can hold (precision 1..38, scale 0..precision)`);
  return `DECIMAL(${p},${s})`;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): string {
    const t = this.type();
    this.space();
    if (this.i !== this.text.length) this.fail(`unexpected "${this.text.slice(this.i)}"`);
    return t;
  }

  private fail(why: string): never {
    throw new GlueTypeError(`type "${this.text}": ${why}`);
  }

  private space(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i++;
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.i] !== ch) this.fail(`expected "${ch}" at position ${this.i}`);
    this.i++;
  }

  private peek(ch: string): boolean {
    this.space();
    return this.text[this.i] === ch;
  }

  /** A type name: letters, digits, underscores (and the space of `double precision`). */
  private word(): string {
    this.space();
    const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\s+precision\b)?/i.exec(this.text.slice(this.i));
    if (!m) this.fail(`expected a type name at position ${this.i}`);
    this.i += m[0].length;
    return m[0].toLowerCase().replace(/\s+/g, ' ');
  }

  /** A struct field name: anything up to the ':' (Hive allows backquoted names). */
  private fieldName(): string {
    this.space();
    if (this.text[this.i] === '`') {
      const end = this.text.indexOf('`', this.i + 1);
      if (end < 0) this.fail('unterminated `name`');
      const name = this.text.slice(this.i + 1, end);
      this.i = end + 1;
      return name;
    }
    const m = /^[^:<>,]+/.exec(this.text.slice(this.i));
    if (!m) this.fail(`expected a field name at position ${this.i}`);
    this.i += m[0].length;
    return m[0].trim();
  }

  private numbers(): number[] {
    if (!this.peek('(')) return [];
    this.i++;
    const out: number[] = [];
    for (;;) {
      this.space();
      const m = /^\d+/.exec(this.text.slice(this.i));
      if (!m) this.fail(`expected a number at position ${this.i}`);
      out.push(Number(m[0]));
      this.i += m[0].length;
      if (this.peek(',')) {
        this.i++;
        continue;
      }
      this.expect(')');
      return out;
    }
  }

  private type(): string {
    const name = this.word();
    switch (name) {
      case 'array': {
        this.expect('<');
        const element = this.type();
        this.expect('>');
        return `${element}[]`;
      }
      case 'map': {
        this.expect('<');
        const key = this.type();
        this.expect(',');
        const value = this.type();
        this.expect('>');
        return `MAP(${key}, ${value})`;
      }
      case 'struct': {
        this.expect('<');
        const fields: string[] = [];
        if (!this.peek('>')) {
          for (;;) {
            const field = this.fieldName();
            this.expect(':');
            fields.push(`${quoteIdent(field)} ${this.type()}`);
            if (!this.peek(',')) break;
            this.i++;
          }
        }
        this.expect('>');
        if (fields.length === 0) this.fail('a struct needs at least one field');
        return `STRUCT(${fields.join(', ')})`;
      }
      case 'decimal':
      case 'numeric':
        return decimal(this.numbers(), this.text);
      case 'varchar':
      case 'char':
        // DuckDB's VARCHAR has no length; Hive's char padding is not kept in Parquet either
        this.numbers();
        return 'VARCHAR';
      case 'uniontype':
        this.fail('uniontype columns are not supported');
    }
    const t = PRIMITIVES[name];
    if (!t) this.fail(`unknown type "${name}"`);
    return t;
  }
}

/** The DuckDB type for a Glue column type string; GlueTypeError when there is none. */
export function duckdbTypeOf(glueType: string): string {
  return new Parser(glueType).parse();
}
