// PollFlightInfo (long queries run in the background, reporting DuckDB's progress) and
// CancelFlightInfo / CancelQuery, through raw gRPC against the in-process server.
import * as grpc from '@grpc/grpc-js';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { codecs, FlightInfo, packAny, sql, unpackAny } from '../../../src/flight/proto';
import { command, outcome, PollInfo, queryDescriptor, RawFlight, rowsOf } from './raw-flight';

const USER = { user: 'poller', password: 'pw-poller' };
const INTRUDER = { user: 'intruder', password: 'pw-intruder' };
const S = grpc.status;
const CANCELLED = 1;
const NOT_CANCELLABLE = 3;

/** A few seconds of work on two cores: a scan of 50M rows, md5 of an eighth of them, in 7 groups. */
const SLOW =
  'SELECT a % 7 AS k, count(*) AS n, sum(length(md5(CAST(a AS VARCHAR)))) AS s FROM big WHERE a % 8 = 0 GROUP BY k ORDER BY k';
/** Minutes of work: only ever cancelled. */
const ENDLESS = 'SELECT sum(length(md5(CAST(a AS VARCHAR) || CAST(b AS VARCHAR)))) AS s FROM big, range(100) r(b)';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU time the whole process (DuckDB's threads included) spends per wall-clock second over `ms`. */
async function coresBusy(ms: number): Promise<number> {
  const before = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const used = process.cpuUsage(before);
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  return (used.user + used.system) / wall;
}

describe('PollFlightInfo and CancelFlightInfo', () => {
  let server: RunningServer;
  let c: RawFlight;

  beforeAll(async () => {
    server = await startServer(
      loadConfig({
        env: {},
        overrides: {
          port: 0,
          users: [
            { username: USER.user, password: USER.password },
            { username: INTRUDER.user, password: INTRUDER.password },
          ],
        },
      }),
    );
    c = new RawFlight(server.port, USER.user, USER.password, 60_000);
    await c.authenticate();
    await c.update('CREATE TABLE big AS SELECT range a FROM range(50000000)');
  }, 120_000);

  afterAll(async () => {
    c.close();
    await server.close();
  });

  const cancel = async (info: FlightInfo | null): Promise<number> => {
    const [body] = await c.action('CancelFlightInfo', codecs.CancelFlightInfoRequest.encode({ info }));
    return codecs.CancelFlightInfoResult.decode(body).status;
  };

  /** Polls until the query is done; returns every PollInfo seen, the final one last. */
  const pollToEnd = async (first: PollInfo): Promise<PollInfo[]> => {
    const seen = [first];
    for (let p = first; p.flight_descriptor; ) {
      await sleep(50);
      p = await c.pollFlightInfo(p.flight_descriptor);
      seen.push(p);
    }
    return seen;
  };

  it('polls a slow query to its result, with progress that never goes backwards', async () => {
    const descriptor = queryDescriptor(SLOW);
    const started = Date.now();
    const first = await c.pollFlightInfo(descriptor);
    expect(Date.now() - started).toBeLessThan(1000); // answered at once, not when the query is done
    expect(first.flight_descriptor).not.toBeNull();
    expect(first.info?.endpoint).toEqual([]);
    expect(Number(first.expiration_time?.seconds)).toBeGreaterThan(Date.now() / 1000);

    const seen = await pollToEnd(first);
    const running = seen.slice(0, -1);
    const progress = running.map((p) => p.progress).filter((v): v is number => typeof v === 'number');
    expect(progress.some((v) => v > 0 && v < 1)).toBe(true);
    for (const v of progress) expect(v >= 0 && v <= 1).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);

    const last = seen[seen.length - 1];
    expect(last.progress).toBe(1);
    expect(last.info?.flight_descriptor?.cmd).toEqual(descriptor.cmd);
    expect(last.info?.endpoint).toHaveLength(1);
    const polled = rowsOf(await c.doGet(last.info!.endpoint[0].ticket.ticket));
    expect(polled).toHaveLength(7);
    expect(polled).toEqual(rowsOf(await c.query(SLOW)));
    expect(polled.reduce((n, r) => n + (r.n as number), 0)).toBe(6_250_000);
  }, 120_000);

  it('polls a prepared statement with its bound parameters', async () => {
    const handle = await c.prepare('SELECT count(*) AS n, max(a) AS m FROM big WHERE a < 1000');
    const d = command('CommandPreparedStatementQuery', sql.CommandPreparedStatementQuery.encode({ prepared_statement_handle: handle }));
    const seen = await pollToEnd(await c.pollFlightInfo(d));
    const last = seen[seen.length - 1];
    expect(rowsOf(await c.doGet(last.info!.endpoint[0].ticket.ticket))).toEqual([{ n: 1000, m: 999 }]);
  });

  it('reports a failing polled query on the next poll', async () => {
    const first = await outcome(c.pollFlightInfo(queryDescriptor('SELECT * FROM no_such_table')));
    const failure =
      first.code !== S.OK ? first : await outcome(pollToEnd(first.value!).then((seen) => seen[seen.length - 1]));
    expect({ code: S[failure.code], details: failure.details }).toEqual({
      code: 'NOT_FOUND',
      details: expect.stringMatching(/no_such_table/),
    });
  });

  it('answers a metadata command complete at once', async () => {
    const p = await c.pollFlightInfo(command('CommandGetCatalogs', sql.CommandGetCatalogs.encode({})));
    expect(p.flight_descriptor).toBeNull();
    expect(p.progress).toBe(1);
    const catalogs = rowsOf(await c.doGet(p.info!.endpoint[0].ticket.ticket)).map((r) => r.catalog_name);
    expect(catalogs).toContain('memory');
  });

  it('cancels a running polled query: CANCELLED, then the poll is gone, then NOT_CANCELLABLE', async () => {
    const first = await c.pollFlightInfo(queryDescriptor(ENDLESS));
    await sleep(300);
    const again = await c.pollFlightInfo(first.flight_descriptor!);
    expect(again.flight_descriptor).not.toBeNull();
    expect(await cancel(again.info)).toBe(CANCELLED);
    const gone = await outcome(c.pollFlightInfo(first.flight_descriptor!));
    expect({ code: S[gone.code], details: gone.details }).toEqual({ code: 'NOT_FOUND', details: expect.stringMatching(/poll/) });
    expect(await cancel(again.info)).toBe(NOT_CANCELLABLE);
    expect(rowsOf(await c.query('SELECT 42 AS x'))).toEqual([{ x: 42 }]);
  });

  it('a cancelled polled query stops using CPU at once', async () => {
    const first = await c.pollFlightInfo(queryDescriptor(ENDLESS));
    // DuckDB is at work on the polled query (other processes may share the cores: allow a few tries)
    let busy = 0;
    for (let i = 0; i < 10 && busy < 0.5; i++) busy = await coresBusy(500);
    expect(busy).toBeGreaterThanOrEqual(0.5);
    const t0 = Date.now();
    expect(await cancel(first.info)).toBe(CANCELLED);
    // within a second of the cancel, the process is back to (near) idle
    await sleep(Math.max(0, 300 - (Date.now() - t0)));
    const after = await coresBusy(1000);
    expect(after).toBeLessThan(0.25);
    expect(rowsOf(await c.query('SELECT 42 AS x'))).toEqual([{ x: 42 }]);
  }, 30_000);

  it('cancels a result from GetFlightInfo whose ticket was not fetched', async () => {
    const info = await c.getFlightInfo(queryDescriptor('SELECT a FROM big'));
    expect(await cancel(info)).toBe(CANCELLED);
    const fetched = await outcome(c.doGet(info.endpoint[0].ticket.ticket));
    expect(S[fetched.code]).toBe('NOT_FOUND');
    expect(await cancel(info)).toBe(NOT_CANCELLABLE);
  });

  it('a fetched result and an empty FlightInfo are not cancellable', async () => {
    const info = await c.getFlightInfo(queryDescriptor('SELECT 1 AS x'));
    expect(rowsOf(await c.doGet(info.endpoint[0].ticket.ticket))).toEqual([{ x: 1 }]);
    expect(await cancel(info)).toBe(NOT_CANCELLABLE);
    expect(await cancel(null)).toBe(NOT_CANCELLABLE);
  });

  it('the deprecated CancelQuery action cancels too', async () => {
    const cancelQuery = async (info: FlightInfo): Promise<number> => {
      const request = sql.ActionCancelQueryRequest.encode({ info: Buffer.from(codecs.FlightInfo.encode(info)) });
      const [body] = await c.action('CancelQuery', packAny('ActionCancelQueryRequest', request));
      const any = unpackAny(body);
      expect(any.typeUrl).toBe('type.googleapis.com/arrow.flight.protocol.sql.ActionCancelQueryResult');
      return sql.ActionCancelQueryResult.decode(any.value).result;
    };
    const info = await c.getFlightInfo(queryDescriptor('SELECT a FROM big'));
    expect(await cancelQuery(info)).toBe(CANCELLED);
    expect(S[(await outcome(c.doGet(info.endpoint[0].ticket.ticket))).code]).toBe('NOT_FOUND');
    expect(await cancelQuery(info)).toBe(NOT_CANCELLABLE);

    const polled = await c.pollFlightInfo(queryDescriptor(ENDLESS));
    expect(await cancelQuery(polled.info!)).toBe(CANCELLED);
    expect(S[(await outcome(c.pollFlightInfo(polled.flight_descriptor!))).code]).toBe('NOT_FOUND');
  });

  it('another user can neither poll nor cancel my query', async () => {
    const first = await c.pollFlightInfo(queryDescriptor(ENDLESS));
    const other = new RawFlight(server.port, INTRUDER.user, INTRUDER.password);
    try {
      await other.authenticate();
      expect(S[(await outcome(other.pollFlightInfo(first.flight_descriptor!))).code]).toBe('NOT_FOUND');
      const [body] = await other.action('CancelFlightInfo', codecs.CancelFlightInfoRequest.encode({ info: first.info }));
      expect(codecs.CancelFlightInfoResult.decode(body).status).toBe(NOT_CANCELLABLE);
    } finally {
      other.close();
    }
    expect(await cancel(first.info)).toBe(CANCELLED);
  });

  it('leaves nothing running: every query cancelled above (some at once after starting) has stopped', async () => {
    await sleep(300);
    expect(await coresBusy(1000)).toBeLessThan(0.25);
  });
});
