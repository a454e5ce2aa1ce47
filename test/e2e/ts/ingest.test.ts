// Bulk ingest edge cases over real gRPC to the in-process server, with hand-made DoPut streams: what
// ADBC never sends (no schema, no options, a transaction id, an empty stream, a cancelled upload).
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { decodeFlightData, encodeFlightData, recordBatchParts } from '../../../src/flight/ipc';
import { CommandStatementIngest, sql } from '../../../src/flight/proto';
import { command, outcome, RawFlight, rowsOf } from './raw-flight';

const USER = { user: 'ingest', password: 'pw-ingest' };
const S = grpc.status;

function ingestDescriptor(table: string, extra: Partial<CommandStatementIngest> = {}): ReturnType<typeof command> {
  return command(
    'CommandStatementIngest',
    sql.CommandStatementIngest.encode({
      table_definition_options: { if_not_exist: 1, if_exists: 2 }, // CREATE, APPEND
      table,
      temporary: false,
      options: {},
      ...extra,
    }),
  );
}

/** The schema message and the record-batch messages of a table, as FlightData carries them. */
function ipcOf(table: A.Table): { header: Buffer; body?: Buffer }[] {
  const schema = { header: Buffer.from(A.Message.encode(A.Message.from(table.schema))) };
  const batches = table.batches.map((b) => {
    const m = decodeFlightData(encodeFlightData(recordBatchParts(b)));
    return { header: m.header!, body: m.body ?? Buffer.alloc(0) };
  });
  return [schema, ...batches];
}

describe('bulk ingest (CommandStatementIngest)', () => {
  let server: RunningServer;
  let c: RawFlight;

  beforeAll(async () => {
    server = await startServer(
      loadConfig({ env: {}, overrides: { port: 0, users: [{ username: USER.user, password: USER.password }] } }),
    );
    c = new RawFlight(server.port, USER.user, USER.password, 10_000);
    await c.authenticate();
  });

  afterAll(async () => {
    c.close();
    await server.close();
  });

  const count = async (table: string): Promise<number> =>
    Number(rowsOf(await c.query(`SELECT count(*) AS n FROM ${table}`))[0].n);

  it('answers DoPutUpdateResult with the rows ingested, over several batches', async () => {
    const t = new A.Table({
      a: A.vectorFromArray([1, 2, 3], new A.Int32()),
      s: A.vectorFromArray(['x', 'a string longer than twelve', null], new A.Utf8()),
    });
    const twice = new A.Table([...t.batches, ...t.batches]);
    const [meta] = await c.doPut(ingestDescriptor('ingest_ok'), ipcOf(twice));
    expect(Number(sql.DoPutUpdateResult.decode(meta).record_count)).toBe(6);
    expect(rowsOf(await c.query('SELECT a, s FROM ingest_ok ORDER BY a LIMIT 3'))).toEqual([
      { a: 1, s: 'x' },
      { a: 1, s: 'x' },
      { a: 2, s: 'a string longer than twelve' },
    ]);
    expect(await count('ingest_ok')).toBe(6);
  });

  it('creates an empty table from a schema without batches', async () => {
    const t = A.tableFromArrays({ a: Int32Array.from([]) });
    const [meta] = await c.doPut(ingestDescriptor('ingest_empty'), ipcOf(t).slice(0, 1));
    expect(Number(sql.DoPutUpdateResult.decode(meta).record_count)).toBe(0);
    expect(await count('ingest_empty')).toBe(0);
  });

  it('refuses a descriptor without Arrow data', async () => {
    const o = await outcome(c.doPut(ingestDescriptor('ingest_nodata')));
    expect([S[o.code], o.details]).toEqual([S[S.INVALID_ARGUMENT], expect.stringMatching(/Arrow stream/)]);
  });

  it('refuses unspecified table definition options', async () => {
    const t = A.tableFromArrays({ a: Int32Array.from([1]) });
    const o = await outcome(c.doPut(ingestDescriptor('ingest_noopts', { table_definition_options: null }), ipcOf(t)));
    expect([S[o.code], o.details]).toEqual([S[S.INVALID_ARGUMENT], expect.stringMatching(/if_not_exist/)]);
  });

  it('refuses a missing table name, and a temporary table with a schema', async () => {
    const t = A.tableFromArrays({ a: Int32Array.from([1]) });
    expect((await outcome(c.doPut(ingestDescriptor(''), ipcOf(t)))).code).toBe(S.INVALID_ARGUMENT);
    const o = await outcome(c.doPut(ingestDescriptor('ingest_tmp', { temporary: true, schema: 'main' }), ipcOf(t)));
    expect([S[o.code], o.details]).toEqual([S[S.INVALID_ARGUMENT], expect.stringMatching(/temporary/)]);
  });

  it('answers NOT_FOUND for a transaction that does not exist', async () => {
    const t = A.tableFromArrays({ a: Int32Array.from([1]) });
    const o = await outcome(c.doPut(ingestDescriptor('ingest_tx', { transaction_id: Buffer.from('t-1') }), ipcOf(t)));
    expect(S[o.code]).toBe(S[S.NOT_FOUND]);
  });

  it('refuses a schema without columns', async () => {
    const o = await outcome(c.doPut(ingestDescriptor('ingest_nocols'), ipcOf(new A.Table(new A.Schema([])))));
    expect([S[o.code], o.details]).toEqual([S[S.INVALID_ARGUMENT], expect.stringMatching(/at least one column/)]);
  });
});
