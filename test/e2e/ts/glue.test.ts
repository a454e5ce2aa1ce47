// Lake tables from the AWS Glue Data Catalog (moto in server mode: Glue and S3), served by an
// in-process Skein with 2 in-process executors: Hive tables on S3 (files written locally by DuckDB,
// uploaded) and Iceberg tables (written by pyiceberg, registered in Glue) give DuckDB's answer on the
// same data; GetDbSchemas/GetTables list Glue databases and tables with Glue's declared schemas; a
// table added to (or dropped from) Glue, or an Iceberg commit, shows after the TTL; a missing table
// is NOT_FOUND.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import {
  Column,
  CreateDatabaseCommand,
  CreatePartitionCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GlueClient,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RunningServer } from '../../../src/cli/serve';
import { quoteLiteral } from '../../../src/duckdb/sql';
import { FlightSqlClient } from '../../../src/flight/client';
import { schemaFromBytes } from '../../../src/flight/ipc';
import { sql } from '../../../src/flight/proto';
import { MOTO_CREDENTIALS, runPython, Service, startMoto } from '../../services/services';
import { IcebergFixture, writeIcebergTables } from './fixtures/iceberg-fixture';
import { closeAll, duckRows, flightClient, plain, rawFlight, skeinRows, startLakeServer } from './lake-helpers';
import { command, RawFlight } from './raw-flight';

const USER = { user: 'glue', password: 'pw-glue' };
const REGION = 'us-east-1';
const PARQUET = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};
const TEXT = {
  InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', Parameters: { 'field.delim': '|' } },
};

let moto: Service;
let glue: GlueClient;
let s3: S3Client;
let fx: IcebergFixture;
/** Delta tables written by deltalake (fixtures/delta_tables.py build). */
let deltaDir: string;
const DELTA_SCRIPT = join(__dirname, 'fixtures', 'delta_tables.py');
let dir: string;
let duck: DuckDBInstance;
let conn: DuckDBConnection;
let server: RunningServer;
let client: FlightSqlClient;
let raw: RawFlight;

const local = (...parts: string[]): string => join(dir, 'lake', ...parts);
/** Where the local copy of `local(...parts)` lives on S3. */
const remote = (...parts: string[]): string => ['s3://lake/glue', ...parts].join('/');

function filesUnder(root: string): string[] {
  return readdirSync(root).flatMap((n) => {
    const p = join(root, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The table's metadata JSON files, oldest first (pyiceberg numbers them). */
function metadataFiles(location: string): string[] {
  const dirOf = join(location.replace(/^file:\/\//, ''), 'metadata');
  return readdirSync(dirOf)
    .filter((n) => n.endsWith('.metadata.json'))
    .sort()
    .map((n) => join(dirOf, n));
}

const viaSkein = (query: string): Promise<unknown[][]> => skeinRows(client, query);
const viaDuckDB = (query: string): Promise<unknown[][]> => duckRows(conn, query);

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let error: unknown;
  while (Date.now() < deadline) {
    try {
      last = await f();
      if (ok(last)) return last;
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not seen in ${ms} ms (last: ${plain([[last ?? null]])}, error: ${String(error)})`);
}

const cols = (spec: string): Column[] =>
  spec.split(/,(?![^<(]*[>)])/).map((c) => {
    const [name, ...type] = c.trim().split(' ');
    return { Name: name, Type: type.join(' ') };
  });

async function tableRows(schemaPattern: string): Promise<Record<string, unknown>[]> {
  const info = await raw.getFlightInfo(
    command('CommandGetTables', sql.CommandGetTables.encode({ db_schema_filter_pattern: schemaPattern, include_schema: true, table_types: [] })),
  );
  const table = await raw.doGet(info.endpoint[0].ticket.ticket);
  return table.toArray().map((r) => r.toJSON() as Record<string, unknown>);
}

beforeAll(async () => {
  moto = await startMoto();
  // a copy: the SDK marks the credentials object it is given
  glue = new GlueClient({ region: REGION, endpoint: moto.url, credentials: { ...MOTO_CREDENTIALS } });
  dir = mkdtempSync(join(tmpdir(), 'skein-glue-'));
  duck = await DuckDBInstance.create(':memory:');
  conn = await duck.connect();

  mkdirSync(local(), { recursive: true });
  // sales.events: Parquet partitioned by (year, month); one partition lives outside the hive layout
  await conn.run(`COPY (SELECT i AS id, 'n' || (i % 7) AS name, (i * 1.25)::DECIMAL(12,2) AS amount,
                               2020 + i % 2 AS year, 1 + i % 3 AS month
                        FROM range(900) t(i))
                  TO ${quoteLiteral(local('events'))} (FORMAT parquet, PARTITION_BY (year, month))`);
  mkdirSync(local('late', 'batch-7'), { recursive: true });
  await conn.run(`COPY (SELECT 5000 + i AS id, 'late' AS name, 1.00::DECIMAL(12,2) AS amount FROM range(40) t(i))
                  TO ${quoteLiteral(local('late', 'batch-7', 'part-0.parquet'))} (FORMAT parquet)`);
  // sales.notes: a '|'-separated text table without partitions
  mkdirSync(local('notes'), { recursive: true });
  await conn.run(`COPY (SELECT i AS k, CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || i END AS note, DATE '2024-01-01' + i::INTEGER AS day
                        FROM range(25) t(i))
                  TO ${quoteLiteral(local('notes', 'notes.txt'))} (FORMAT csv, DELIMITER '|', HEADER false, NULLSTR '\\N')`);

  s3 = new S3Client({ endpoint: moto.url, region: REGION, forcePathStyle: true, credentials: { ...MOTO_CREDENTIALS } });
  await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
  for (const f of filesUnder(local())) {
    await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: `glue/${relative(local(), f)}`, Body: readFileSync(f) }));
  }
  fx = writeIcebergTables();
  deltaDir = mkdtempSync(join(tmpdir(), 'skein-glue-delta-'));
  runPython(DELTA_SCRIPT, ['build', deltaDir]);
  const deltaTables = (JSON.parse(readFileSync(join(deltaDir, 'manifest.json'), 'utf8')) as { tables: Record<string, string> }).tables;

  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'sales' } }));
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'hidden' } }));
  await glue.send(
    new CreateTableCommand({
      DatabaseName: 'sales',
      TableInput: {
        Name: 'events',
        TableType: 'EXTERNAL_TABLE',
        Parameters: { classification: 'parquet' },
        PartitionKeys: cols('year int, month int'),
        StorageDescriptor: { ...PARQUET, Columns: cols('id bigint, name string, amount decimal(12,2)'), Location: remote('events') },
      },
    }),
  );
  for (const year of [2020, 2021]) {
    for (const month of [1, 2, 3]) {
      await glue.send(
        new CreatePartitionCommand({
          DatabaseName: 'sales',
          TableName: 'events',
          PartitionInput: {
            Values: [String(year), String(month)],
            StorageDescriptor: { ...PARQUET, Columns: cols('id bigint, name string, amount decimal(12,2)'), Location: remote('events', `year=${year}`, `month=${month}`) },
          },
        }),
      );
    }
  }
  await glue.send(
    new CreatePartitionCommand({
      DatabaseName: 'sales',
      TableName: 'events',
      PartitionInput: { Values: ['2022', '12'], StorageDescriptor: { ...PARQUET, Location: remote('late', 'batch-7') } },
    }),
  );
  await glue.send(
    new CreateTableCommand({
      DatabaseName: 'sales',
      TableInput: {
        Name: 'notes',
        TableType: 'EXTERNAL_TABLE',
        StorageDescriptor: { ...TEXT, Columns: cols('k int, note string, day date'), Location: remote('notes') },
      },
    }),
  );
  await glue.send(
    new CreateTableCommand({
      DatabaseName: 'hidden',
      TableInput: { Name: 'secret', StorageDescriptor: { ...PARQUET, Columns: cols('x int'), Location: local('events') } },
    }),
  );

  // Iceberg tables as pyiceberg's Glue catalog registers them: table_type and metadata_location
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'lakehouse' } }));
  for (const [name, metadata] of [
    ['events', fx.tables.events.metadata],
    ['legacy', metadataFiles(fx.tables.legacy.location)[1]], // an older commit; moved forward in a test
  ]) {
    await glue.send(
      new CreateTableCommand({
        DatabaseName: 'lakehouse',
        TableInput: {
          Name: name,
          TableType: 'EXTERNAL_TABLE',
          Parameters: { table_type: 'ICEBERG', metadata_location: metadata },
          StorageDescriptor: { Location: fx.tables[name as 'events' | 'legacy'].location },
        },
      }),
    );
  }
  // a Delta table as Glue crawlers and Spark register one
  await glue.send(
    new CreateTableCommand({
      DatabaseName: 'lakehouse',
      TableInput: {
        Name: 'orders',
        TableType: 'EXTERNAL_TABLE',
        Parameters: { 'spark.sql.sources.provider': 'delta' },
        StorageDescriptor: { Location: deltaTables.events },
      },
    }),
  );

  server = await startLakeServer(USER, {
    catalog: {
      refreshSeconds: 0.3,
      glue: { region: REGION, endpoint: moto.url, ttlSeconds: 1, databases: ['sales', 'ops', 'lakehouse'],
              accessKeyId: MOTO_CREDENTIALS.accessKeyId, secretAccessKey: MOTO_CREDENTIALS.secretAccessKey },
    },
    executors: { count: 2, mode: 'in-process' },
    store: {
      s3: { endpoint: moto.url, region: REGION, forcePathStyle: true, accessKeyId: MOTO_CREDENTIALS.accessKeyId, secretAccessKey: MOTO_CREDENTIALS.secretAccessKey },
    },
    sandbox: { enabled: true, allowedDirectories: [join(dir, 'lake'), fx.warehouse, deltaDir] },
  });
  client = await flightClient(server, USER);
  raw = await rawFlight(server, USER);
}, 120_000);

afterAll(async () => {
  await closeAll(client, server, conn, duck);
  glue?.destroy();
  s3?.destroy();
  if (fx) rmSync(fx.warehouse, { recursive: true, force: true });
  if (deltaDir) rmSync(deltaDir, { recursive: true, force: true });
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Glue tables through Flight SQL', () => {
  const events = (): string =>
    `(SELECT id, name, amount, year::INTEGER AS year, month::INTEGER AS month
        FROM read_parquet(${quoteLiteral(local('events', '**', '*.parquet'))}, hive_partitioning = true)
      UNION ALL
      SELECT id, name, amount, 2022 AS year, 12 AS month FROM read_parquet(${quoteLiteral(local('late', 'batch-7', '*.parquet'))}))`;

  it('answers queries over a partitioned Parquet table as DuckDB does over the files', async () => {
    await until('sales.events registered', () => viaSkein('SELECT count(*) FROM sales.events'), (r) => plain(r) === plain([[940n]]));
    const queries = [
      (t: string) => `SELECT year, month, count(*) AS n, sum(amount)::VARCHAR AS total, min(id) AS lo, max(name) AS hi FROM ${t} GROUP BY ALL ORDER BY ALL`,
      (t: string) => `SELECT id, name, amount::VARCHAR, year, month FROM ${t} WHERE year = 2022 OR (month = 2 AND id < 100) ORDER BY id`,
      (t: string) => `SELECT name, count(DISTINCT id) AS n FROM ${t} WHERE amount > 100 GROUP BY name ORDER BY name`,
      (t: string) => `SELECT id, amount::VARCHAR FROM ${t} ORDER BY amount DESC, id LIMIT 5`,
    ];
    for (const q of queries) expect(plain(await viaSkein(q('sales.events')))).toBe(plain(await viaDuckDB(q(events()))));
  });

  it('takes partition values from Glue (the late partition is not under year=/month= directories)', async () => {
    expect(plain(await viaSkein('SELECT DISTINCT year, month FROM sales.events WHERE id >= 5000'))).toBe(plain([[2022, 12]]));
  });

  it('runs the partitioned table on the executors, pruning partitions by Glue values', async () => {
    const plan = (await viaSkein('EXPLAIN SELECT count(*) FROM sales.events WHERE year = 2021 AND month = 3')).map((r) => r.join('\n')).join('\n');
    expect(plan).toMatch(/stage s0 \(partial-aggregate\) over sales\.events/);
    expect(plan).toMatch(/files: 1 of 7 kept/);
    expect(plan).toMatch(/pruned: \("year" = 2021\) excludes 4 files/);
  });

  it('reads a text (LazySimpleSerDe) table with its delimiter and \\N nulls', async () => {
    const q = (t: string) => `SELECT k, note, day::VARCHAR FROM ${t} ORDER BY k`;
    const file = `read_csv(${quoteLiteral(local('notes', 'notes.txt'))}, delim = '|', header = false, nullstr = '\\N',
                  columns = {'k': 'INTEGER', 'note': 'VARCHAR', 'day': 'DATE'})`;
    await until('sales.notes registered', () => viaSkein('SELECT count(*) FROM sales.notes'), (r) => plain(r) === plain([[25n]]));
    expect(plain(await viaSkein(q('sales.notes')))).toBe(plain(await viaDuckDB(q(file))));
  });

  it('lists Glue databases in GetDbSchemas and tables with their Glue schemas in GetTables', async () => {
    const info = await raw.getFlightInfo(command('CommandGetDbSchemas', sql.CommandGetDbSchemas.encode({})));
    const schemas = (await raw.doGet(info.endpoint[0].ticket.ticket)).toArray().map((r) => (r.toJSON() as Record<string, unknown>).db_schema_name);
    expect(schemas).toContain('sales');
    expect(schemas).not.toContain('hidden'); // not in catalog.glue.databases

    const rows = await tableRows('sales');
    expect(rows.map((r) => [r.db_schema_name, r.table_name, r.table_type])).toEqual([
      ['sales', 'events', 'BASE TABLE'],
      ['sales', 'notes', 'BASE TABLE'],
    ]);
    const schema = schemaFromBytes(rows[0].table_schema as Uint8Array);
    expect(schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['id', String(new A.Int64())],
      ['name', String(new A.Utf8())],
      ['amount', String(new A.Decimal(2, 12, 128))],
      ['year', String(new A.Int32())],
      ['month', String(new A.Int32())],
    ]);
    const notes = schemaFromBytes(rows[1].table_schema as Uint8Array);
    expect(notes.fields.map((f) => [f.name, String(f.type)])).toEqual([
      ['k', String(new A.Int32())],
      ['note', String(new A.Utf8())],
      ['day', String(new A.DateDay())],
    ]);
  });

  it('shows a table created in Glue after the TTL, and forgets a dropped one', async () => {
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'ops' } }));
    await glue.send(
      new CreateTableCommand({
        DatabaseName: 'ops',
        TableInput: {
          Name: 'fresh',
          StorageDescriptor: { ...PARQUET, Columns: cols('id bigint, name string'), Location: local('late', 'batch-7') },
        },
      }),
    );
    await until('ops.fresh listed', () => tableRows('ops'), (r) => r.some((t) => t.table_name === 'fresh'));
    expect(plain(await viaSkein('SELECT count(*), min(id) FROM ops.fresh'))).toBe(plain([[40n, 5000n]]));

    await glue.send(new DeleteTableCommand({ DatabaseName: 'ops', Name: 'fresh' }));
    await until('ops.fresh dropped', () => tableRows('ops'), (r) => r.length === 0);
    await expect(viaSkein('SELECT * FROM ops.fresh')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringContaining('fresh') });
  });

  it('reads Iceberg tables registered in Glue as pyiceberg does, AT older snapshots too', async () => {
    const rowsOf = (q: string) => `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (${q}) ORDER BY ALL`;
    const events = fx.tables.events;
    const current = events.snapshots[events.snapshots.length - 1];
    await until('lakehouse.events registered', () => viaSkein('SELECT count(*) FROM lakehouse.events'), (r) => r.length === 1);
    expect(plain(await viaSkein(rowsOf('SELECT * FROM lakehouse.events')))).toBe(
      plain(await viaDuckDB(rowsOf(`SELECT * FROM read_parquet(${quoteLiteral(current.expected)})`))),
    );
    const first = events.snapshots[0];
    expect(plain(await viaSkein(rowsOf(`SELECT * FROM lakehouse.events AT (VERSION => ${first.id})`)))).toBe(
      plain(await viaDuckDB(rowsOf(`SELECT * FROM read_parquet(${quoteLiteral(first.expected)})`))),
    );
  });

  it('follows an Iceberg commit (a new metadata_location in Glue) after the TTL', async () => {
    const legacy = fx.tables.legacy;
    const files = metadataFiles(legacy.location);
    const count = (path: string) => viaDuckDB(`SELECT count(*) FROM read_parquet(${quoteLiteral(path)})`);
    // the registered metadata file holds the table's first snapshot; the newest one its last
    const before = await count(legacy.snapshots[0].expected);
    const after = await count(legacy.snapshots[legacy.snapshots.length - 1].expected);
    expect(plain(before)).not.toBe(plain(after));
    await until('lakehouse.legacy at its first commit', () => viaSkein('SELECT count(*) FROM lakehouse.legacy'), (r) => plain(r) === plain(before));
    await glue.send(
      new UpdateTableCommand({
        DatabaseName: 'lakehouse',
        TableInput: {
          Name: 'legacy',
          TableType: 'EXTERNAL_TABLE',
          Parameters: { table_type: 'ICEBERG', metadata_location: files[files.length - 1], previous_metadata_location: files[1] },
          StorageDescriptor: { Location: legacy.location },
        },
      }),
    );
    await until('lakehouse.legacy at its last commit', () => viaSkein('SELECT count(*) FROM lakehouse.legacy'), (r) => plain(r) === plain(after));
  });

  it('reads a Delta table registered in Glue as deltalake does', async () => {
    const q = `SELECT region, count(*)::VARCHAR, sum(id)::VARCHAR, max(amount)::VARCHAR FROM t GROUP BY ALL ORDER BY ALL`;
    const spec = join(deltaDir, 'glue-spec.json');
    writeFileSync(spec, JSON.stringify([{ table: 'events', sql: q }]));
    const [want] = JSON.parse(runPython(DELTA_SCRIPT, ['query', deltaDir, spec])) as unknown[][][];
    const got = await until('lakehouse.orders registered', () => viaSkein(q.replace(/\bFROM t\b/, 'FROM lakehouse.orders')), (r) => r.length > 0);
    expect(plain(got.map((r) => r.map((v) => (v === null ? null : String(v)))))).toBe(plain(want));
  });

  it('a table missing from Glue is NOT_FOUND, naming it', async () => {
    await expect(viaSkein('SELECT * FROM sales.nope')).rejects.toMatchObject({ code: grpc.status.NOT_FOUND, details: expect.stringContaining('nope') });
  });

  // last: it stops this moto
  it("with Glue unreachable, DuckDB's own tables still answer and Glue tables are UNAVAILABLE", async () => {
    await client.update('CREATE TABLE main.mine AS SELECT 41 + 1 AS x');
    await moto.stop();
    await new Promise((r) => setTimeout(r, 1200)); // past the TTL of the database list
    expect(plain(await viaSkein('SELECT x FROM main.mine'))).toBe(plain([[42]]));
    await expect(viaSkein('SELECT count(*) FROM sales.events')).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('cannot reach Glue'),
    });
  });
});

describe('Glue access denied', () => {
  let guarded: Service;
  let denied: RunningServer;
  let deniedClient: FlightSqlClient;

  /** One unsigned IAM query-protocol call (moto takes the first few actions without credentials). */
  async function iam(params: Record<string, string>): Promise<string> {
    const r = await fetch(`${guarded.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        // moto routes by the credential scope's service; the signature is not checked yet
        authorization: 'AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`IAM ${params.Action}: ${r.status} ${text}`);
    return text;
  }

  beforeAll(async () => {
    // moto enforces IAM after this many actions: the 5 of the setup below, made before any
    // credentials exist, and the server's first GetDatabases
    guarded = await startMoto({ INITIAL_NO_AUTH_ACTION_COUNT: '6' });
    const setup = new GlueClient({ region: REGION, endpoint: guarded.url, credentials: { ...MOTO_CREDENTIALS } });
    try {
      await setup.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'secure' } }));
      await setup.send(
        new CreateTableCommand({
          DatabaseName: 'secure',
          TableInput: { Name: 'ledger', StorageDescriptor: { ...PARQUET, Columns: cols('x int'), Location: local('late', 'batch-7') } },
        }),
      );
    } finally {
      setup.destroy();
    }
    await iam({ Action: 'CreateUser', UserName: 'analyst' });
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['glue:GetDatabases', 'glue:GetDatabase'], Resource: '*' },
        { Effect: 'Deny', Action: ['glue:GetTables', 'glue:GetTable', 'glue:GetPartitions'], Resource: '*' },
      ],
    };
    await iam({ Action: 'PutUserPolicy', UserName: 'analyst', PolicyName: 'no-tables', PolicyDocument: JSON.stringify(policy) });
    const key = await iam({ Action: 'CreateAccessKey', UserName: 'analyst' });
    const accessKeyId = /<AccessKeyId>([^<]+)</.exec(key)![1];
    const secretAccessKey = /<SecretAccessKey>([^<]+)</.exec(key)![1];
    denied = await startLakeServer(USER, {
      catalog: { refreshSeconds: 600, glue: { region: REGION, endpoint: guarded.url, ttlSeconds: 1, accessKeyId, secretAccessKey } },
    });
    deniedClient = await flightClient(denied, USER);
  }, 60_000);

  afterAll(async () => {
    deniedClient?.close();
    await denied?.close();
    await guarded?.stop();
  });

  it('a table Glue will not show is PERMISSION_DENIED, naming it', async () => {
    let error: unknown = null;
    try {
      for await (const batch of await deniedClient.query('SELECT * FROM secure.ledger')) void batch;
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: grpc.status.PERMISSION_DENIED, details: expect.stringContaining('glue table secure.ledger') });
  });
});
