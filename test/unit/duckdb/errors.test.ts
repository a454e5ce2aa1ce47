import { status } from '@grpc/grpc-js';
import { duckdbError } from '../../../src/duckdb/errors';

describe('DuckDB error mapping', () => {
  const code = (m: string): status => duckdbError(new Error(m)).code;

  it('maps user errors to INVALID_ARGUMENT and keeps the message', () => {
    const e = duckdbError(new Error('Parser Error: syntax error at or near "SELEC"'));
    expect(e.code).toBe(status.INVALID_ARGUMENT);
    expect(e.message).toBe('Parser Error: syntax error at or near "SELEC"');
    expect(code('Binder Error: Referenced column "x" not found')).toBe(status.INVALID_ARGUMENT);
    expect(code('Conversion Error: Could not convert string')).toBe(status.INVALID_ARGUMENT);
  });

  it('maps missing and duplicate objects', () => {
    expect(code('Catalog Error: Table with name nope does not exist!')).toBe(status.NOT_FOUND);
    expect(code('Catalog Error: Table with name "t" already exists!')).toBe(status.ALREADY_EXISTS);
    expect(code('IO Error: No files found that match the pattern "x.parquet"')).toBe(status.NOT_FOUND);
  });

  it('maps interrupts, memory and internal faults', () => {
    expect(code('INTERRUPT Error: Interrupted!')).toBe(status.CANCELLED);
    expect(code('Out of Memory Error: could not allocate')).toBe(status.RESOURCE_EXHAUSTED);
    expect(code('Constraint Error: Duplicate key')).toBe(status.FAILED_PRECONDITION);
    expect(code('something without a kind')).toBe(status.INTERNAL);
  });
});
