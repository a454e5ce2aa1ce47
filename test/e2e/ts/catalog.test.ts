// Lake tables from a catalog root, served in-process: queries over `schema.table` give DuckDB's own
// answer on the same files, GetTables lists them with their Arrow schema, and new files show up.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RunningServer } from '../../../src/cli/serve';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { FlightSqlClient } from '../../../src/flight/client';
import { schemaFromBytes } from '../../../src/flight/ipc';
import { sql } from '../../../src/flight/proto';
import { closeAll, duckRows, flightClient, plain, rawFlight, skeinRows, startLakeServer } from './lake-helpers';
import { command, RawFlight } from './raw-flight';

const USER = { user: 'lake', password: 'pw-lake' };

let dir: string;
let root: string;
let duck: DuckDBInstance;
let conn: DuckDBConnection;
let server: RunningServer;
let client: FlightSqlClient;
let raw: RawFlight;

const events = (): string => join(root, 'sales', 'events');

const viaSkein = (query: string): Promise<unknown[][]> => skeinRows(client, query);
const viaDuckDB = (query: string): Promise<unknown[][]> => duckRows(conn, query);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skein-lake-'));
  root = join(dir, 'lake');
  mkdirSync(join(root, 'sales', 'single'), { recursive: true });
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();
  await conn.run(`COPY (SELECT i AS id, 2020 + i % 2 AS year, 1 + i % 3 AS month, (i * 1.5)::DECIMAL(12,2) AS amount
                        FROM range(600) t(i)) TO ${quoteLiteral(events())} (FORMAT parquet, PARTITION_BY (year, month))`);
  await conn.run(`COPY (SELECT i AS k, 'v' || i AS v FROM range(10) t(i))
                  TO ${quoteLiteral(join(root, 'sales', 'single', 'data.parquet'))} (FORMAT parquet)`);
  server = await startLakeServer(USER, { catalog: { root, refreshSeconds: 0.2 } });
  client = await flightClient(server, USER);
  raw = await rawFlight(server, USER);
});

afterAll(async () => {
  await closeAll(client, server, conn, duck);
  rmSync(dir, { recursive: true, force: true });
});

describe('lake tables through Flight SQL', () => {
  it('answers queries over schema.table exactly as DuckDB does over the files', async () => {
    const files = `read_parquet(${quoteLiteral(join(events(), '**', '*.parquet'))}, hive_partitioning = true)`;
    const q = (from: string) =>
      `SELECT year, month, count(*) AS n, sum(amount)::VARCHAR AS total, min(id) AS lo FROM ${from}
       WHERE amount > 10 GROUP BY ALL ORDER BY ALL`;
    const mine = await viaSkein(q('sales.events'));
    expect(mine).toHaveLength(6);
    expect(plain(mine)).toBe(plain(await viaDuckDB(q(files))));
    expect(plain(await viaSkein('SELECT count(*), sum(k)::BIGINT FROM sales.single'))).toBe(plain([[10n, 45n]]));
  });

  it('lists lake tables in GetTables with their schema', async () => {
    const info = await raw.getFlightInfo(
      command('CommandGetTables', sql.CommandGetTables.encode({ db_schema_filter_pattern: 'sales', include_schema: true, table_types: [] })),
    );
    const table = await raw.doGet(info.endpoint[0].ticket.ticket);
    const rows = table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    expect(rows.map((r) => [r.db_schema_name, r.table_name, r.table_type])).toEqual([
      ['sales', 'events', 'BASE TABLE'],
      ['sales', 'single', 'BASE TABLE'],
    ]);
    const schema = schemaFromBytes(rows[0].table_schema as Uint8Array);
    expect(schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['id', String(new A.Int64())],
      ['amount', String(new A.Decimal(2, 12, 128))],
      ['month', String(new A.Int64())],
      ['year', String(new A.Int64())],
    ]);
    expect(schema.fields[0].metadata.get('ARROW:FLIGHT:SQL:SCHEMA_NAME')).toBe('sales');
  });

  it('picks up a new file and a new table without a restart', async () => {
    mkdirSync(join(events(), 'year=2022', 'month=1'), { recursive: true });
    await conn.run(`COPY (SELECT 10000 AS id, 100.00::DECIMAL(12,2) AS amount)
                    TO ${quoteLiteral(join(events(), 'year=2022', 'month=1', 'late.parquet'))} (FORMAT parquet)`);
    mkdirSync(join(root, 'ops', 'fresh'), { recursive: true });
    await conn.run(`COPY (SELECT 7 AS x) TO ${quoteLiteral(join(root, 'ops', 'fresh', 'f.parquet'))} (FORMAT parquet)`);
    const deadline = Date.now() + 15_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = plain(await viaSkein('SELECT count(*), max(year) FROM sales.events'));
      if (seen === plain([[601n, 2022n]])) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen).toBe(plain([[601n, 2022n]]));
    expect(plain(await viaSkein('SELECT x FROM ops.fresh'))).toBe(plain([[7]]));
  });

  it('drops the view (and its emptied schema) when the table directory goes', async () => {
    rmSync(join(root, 'ops'), { recursive: true });
    const deadline = Date.now() + 15_000;
    let schemas: unknown[][] = [];
    while (Date.now() < deadline) {
      schemas = await viaSkein(`SELECT schema_name FROM duckdb_schemas() WHERE schema_name IN ('ops', 'sales') ORDER BY 1`);
      if (schemas.length === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(schemas).toEqual([['sales']]);
    await expect(viaSkein('SELECT * FROM ops.fresh')).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: expect.stringContaining('fresh'),
    });
  });
});
