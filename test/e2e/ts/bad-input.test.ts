// Bad input of every kind, sent over real gRPC to the in-process server: each case must get its
// exact status (never INTERNAL or UNKNOWN, never a hang) and the server must keep serving.
import * as grpc from '@grpc/grpc-js';
import * as A from 'apache-arrow';
import {
  BufferRegion,
  FieldNode,
  Message as MessageMeta,
  RecordBatch as RecordBatchMeta,
} from 'apache-arrow/ipc/metadata/message';
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { decodeFlightData, encodeFlightData, recordBatchParts } from '../../../src/flight/ipc';
import { FlightDescriptor, packAny, sql } from '../../../src/flight/proto';
import { command, outcome, Outcome, queryDescriptor, RawFlight, rowsOf, ticketFor } from './raw-flight';

const USER = { user: 'bad-input', password: 'pw-bad-input' };
const OTHER = { user: 'someone-else', password: 'pw-someone-else' };
const MAX_RECEIVE = 1 << 20;
const S = grpc.status;

type Call = () => Promise<unknown>;

const handleOf = (h: Uint8Array): { prepared_statement_handle: Buffer } => ({ prepared_statement_handle: Buffer.from(h) });
const preparedQuery = (h: Uint8Array): FlightDescriptor =>
  command('CommandPreparedStatementQuery', sql.CommandPreparedStatementQuery.encode(handleOf(h)));
const preparedUpdate = (h: Uint8Array): FlightDescriptor =>
  command('CommandPreparedStatementUpdate', sql.CommandPreparedStatementUpdate.encode(handleOf(h)));
const pollOf = (id: string): FlightDescriptor =>
  command('TicketStatementQuery', sql.TicketStatementQuery.encode({ statement_handle: Buffer.from(id) }));
const endTransaction = (id: Uint8Array, action: number): Buffer =>
  packAny(
    'ActionEndTransactionRequest',
    sql.ActionEndTransactionRequest.encode({ transaction_id: Buffer.from(id), action }),
  );

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One Arrow IPC message as FlightData carries it. */
interface IpcMessage {
  header: Buffer;
  body?: Buffer;
}

/** The schema message and one record-batch message of a one-column INTEGER table. */
function ipcOf(values: number[], name = 'parameter_1'): { schema: IpcMessage; batch: IpcMessage } {
  const table = A.tableFromArrays({ [name]: Int32Array.from(values) });
  const schema = { header: Buffer.from(A.Message.encode(A.Message.from(table.schema))) };
  const encoded = decodeFlightData(encodeFlightData(recordBatchParts(table.batches[0])));
  return { schema, batch: { header: encoded.header!, body: encoded.body ?? Buffer.alloc(0) } };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GARBAGE_ARROW: Record<string, (v: { schema: IpcMessage; batch: IpcMessage }) => IpcMessage[]> = {
  'a header that is not a flatbuffer': () => [{ header: Buffer.from('not an arrow message, not at all') }],
  'a truncated header': (v) => [{ header: v.schema.header.subarray(0, v.schema.header.length >> 1) }],
  'a record batch before any schema': (v) => [v.batch],
  'a body shorter than its header says': (v) => [v.schema, { header: v.batch.header, body: v.batch.body!.subarray(0, 4) }],
  'a batch header that is garbage after a schema': (v) => [v.schema, { header: Buffer.alloc(24, 0xab), body: v.batch.body }],
  'a batch claiming more rows than its buffers hold': (v) => [v.schema, { header: moreRowsThanData(v.batch.header), body: v.batch.body }],
  'a batch whose buffers lie past its body': (v) => [v.schema, { header: buffersPastBody(v.batch.header), body: v.batch.body }],
};

/** The header of `batch` re-encoded to claim 1000 rows while the body still holds its few. */
function moreRowsThanData(header: Buffer): Buffer {
  const m = MessageMeta.decode(header);
  const rb = m.header() as RecordBatchMeta;
  const forged = new RecordBatchMeta(1000, rb.nodes.map(() => new FieldNode(1000, 0)), rb.buffers, null);
  return Buffer.from(MessageMeta.encode(MessageMeta.from(forged, m.bodyLength)));
}

/** The header of `batch` with its data buffer moved a kilobyte past the end of the body. */
function buffersPastBody(header: Buffer): Buffer {
  const m = MessageMeta.decode(header);
  const rb = m.header() as RecordBatchMeta;
  const moved = rb.buffers.map((b) => new BufferRegion(b.offset + 1024, b.length));
  const forged = new RecordBatchMeta(rb.length, rb.nodes, moved, null);
  return Buffer.from(MessageMeta.encode(MessageMeta.from(forged, m.bodyLength)));
}

describe('bad input gets the right gRPC status and the server keeps serving', () => {
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
            { username: OTHER.user, password: OTHER.password },
          ],
          maxReceiveBytes: MAX_RECEIVE,
          maxStatementsPerUser: 0,
        },
      }),
    );
    c = new RawFlight(server.port, USER.user, USER.password, 10_000);
    await c.authenticate();
    await c.update('CREATE TABLE bad_t(a INTEGER)');
  });

  afterAll(async () => {
    c.close();
    await server.close();
  });

  const expectCode = (o: Outcome<unknown>, code: number, details?: RegExp): void => {
    expect({ code: S[o.code], details: o.details }).toEqual({
      code: S[code],
      details: details ? expect.stringMatching(details) : expect.any(String),
    });
  };

  describe('unknown commands and actions → UNIMPLEMENTED', () => {
    const unknown = command('CommandNoSuchThing', Buffer.alloc(0));
    it.each<[string, Call]>([
      ['GetFlightInfo', () => c.getFlightInfo(unknown)],
      ['GetSchema', () => c.getSchema(unknown)],
      ['PollFlightInfo', () => c.pollFlightInfo(unknown)],
      ['DoPut', () => c.doPut(unknown, [ipcOf([1]).schema])],
    ])('%s', async (_name, call) => {
      expectCode(await outcome(call()), S.UNIMPLEMENTED, /CommandNoSuchThing/);
    });

    it('an unknown action type', async () => {
      expectCode(await outcome(c.action('NoSuchAction', Buffer.alloc(0))), S.UNIMPLEMENTED, /NoSuchAction/);
    });

    it('a path descriptor', async () => {
      expectCode(await outcome(c.getFlightInfo({ type: 1, cmd: Buffer.alloc(0), path: ['x'] })), S.UNIMPLEMENTED);
    });
  });

  describe('malformed commands → INVALID_ARGUMENT', () => {
    const notAny = { type: 2, cmd: Buffer.from('SELECT 1'), path: [] };
    // a command a client forgot to pack into an Any: its field 1 would read as the type URL
    const unpacked = { type: 2, cmd: Buffer.from(sql.CommandStatementQuery.encode({ query: 'SELECT 1' })), path: [] };
    const badValue = command('CommandStatementQuery', Buffer.from([0x0a, 0x7f, 0x41]));
    const wrongWireType = command('CommandStatementQuery', Buffer.from([0x0f, 0x01]));

    it.each<[string, (d: typeof notAny) => Promise<unknown>]>([
      ['GetFlightInfo', (d: typeof notAny) => c.getFlightInfo(d)],
      ['GetSchema', (d: typeof notAny) => c.getSchema(d)],
      ['PollFlightInfo', (d: typeof notAny) => c.pollFlightInfo(d)],
      ['DoPut', (d: typeof notAny) => c.doPut(d)],
    ])('%s of a cmd that is not a protobuf Any', async (_name, call) => {
      expectCode(await outcome(call(notAny)), S.INVALID_ARGUMENT, /not a protobuf Any/);
      expectCode(await outcome(call(unpacked)), S.INVALID_ARGUMENT, /not a protobuf Any/);
    });

    it.each<[string, Call]>([
      ['GetFlightInfo', () => c.getFlightInfo(badValue)],
      ['GetSchema', () => c.getSchema(badValue)],
      ['PollFlightInfo', () => c.pollFlightInfo(badValue)],
      ['GetFlightInfo (wrong wire type)', () => c.getFlightInfo(wrongWireType)],
      ['DoPut', () => c.doPut(command('CommandStatementUpdate', Buffer.from([0x0a, 0x7f, 0x41])))],
      [
        'DoPut prepared',
        () => c.doPut(command('CommandPreparedStatementQuery', Buffer.from([0x0a, 0x7f])), [ipcOf([1]).schema]),
      ],
      ['CreatePreparedStatement', () => c.action('CreatePreparedStatement', packAny('ActionCreatePreparedStatementRequest', Buffer.from([0x0a, 0x50])))],
      ['CreatePreparedStatement (not an Any)', () => c.action('CreatePreparedStatement', Buffer.from('SELECT 1'))],
      ['BeginTransaction', () => c.action('BeginTransaction', Buffer.from([0xff, 0xff]))],
      ['CancelFlightInfo', () => c.action('CancelFlightInfo', Buffer.from([0x0a, 0x09, 0x01]))],
      ['CancelQuery', () => c.action('CancelQuery', packAny('ActionCancelQueryRequest', Buffer.from([0x0a, 0x05, 0x0a, 0x40])))],
    ])('%s of an Any whose value is malformed', async (_name, call) => {
      expectCode(await outcome(call()), S.INVALID_ARGUMENT, /malformed/);
    });

    it.each([
      ['SetSessionOptions', Buffer.from([0x0a, 0x10, 0x01])],
      ['GetSessionOptions', Buffer.from([0x0f])],
      ['CloseSession', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    ])('%s with a garbage body', async (name, body) => {
      expectCode(await outcome(c.action(name, body)), S.INVALID_ARGUMENT, new RegExp(`malformed ${name}Request`));
    });

    it.each<[string, Call]>([
      ['GetFlightInfo', () => c.unaryRaw('GetFlightInfo', Buffer.from('SELECT 1'))],
      ['PollFlightInfo', () => c.unaryRaw('PollFlightInfo', Buffer.from([0x0a, 0x40]))],
      ['GetSchema', () => c.unaryRaw('GetSchema', Buffer.from([0x0f]))],
      ['DoGet', () => c.doGetRaw(Buffer.from([0x0a, 0x40, 0x01]))],
      ['DoAction', () => c.doActionRaw(Buffer.from([0x0a, 0xff]))],
    ])('%s of a request message that is not protobuf', async (_name, call) => {
      expectCode(await outcome(call()), S.INVALID_ARGUMENT, /malformed/);
    });

    it('a DoPut whose first message is not FlightData, or has no descriptor', async () => {
      expectCode(await outcome(c.doPutRaw([Buffer.from([0x12, 0x40, 0x00])])), S.INVALID_ARGUMENT, /malformed FlightData/);
      expectCode(await outcome(c.doPutRaw([encodeFlightData({ header: ipcOf([1]).schema.header })])), S.INVALID_ARGUMENT, /FlightDescriptor/);
      expectCode(await outcome(c.doPutRaw([])), S.INVALID_ARGUMENT, /without any message/);
    });

    it('DoGet of a ticket that is not a protobuf Any', async () => {
      expectCode(await outcome(c.doGet(Buffer.from('SELECT 1'))), S.INVALID_ARGUMENT, /not a protobuf Any/);
    });
  });

  describe('garbage Arrow IPC in DoPut → INVALID_ARGUMENT', () => {
    const v = ipcOf([1, 2, 3]);

    it('binding valid parameters works (the baseline)', async () => {
      const handle = await c.prepare('SELECT CAST(? AS INTEGER) + 1 AS v');
      const one = ipcOf([41]);
      await c.doPut(preparedQuery(handle), [
        one.schema,
        one.batch,
      ]);
      const info = await c.getFlightInfo(
        preparedQuery(handle),
      );
      expect(rowsOf(await c.doGet(info.endpoint[0].ticket.ticket))).toEqual([{ v: 42 }]);
    });

    it.each(Object.entries(GARBAGE_ARROW))('CommandPreparedStatementQuery with %s', async (_name, messages) => {
      const handle = await c.prepare('SELECT CAST(? AS INTEGER) + 1 AS v');
      const d = preparedQuery(handle);
      expectCode(await outcome(c.doPut(d, messages(v))), S.INVALID_ARGUMENT, /Arrow IPC/);
    });

    it.each(Object.entries(GARBAGE_ARROW))('CommandPreparedStatementUpdate with %s', async (_name, messages) => {
      const handle = await c.prepare('INSERT INTO bad_t VALUES (?)');
      const d = preparedUpdate(handle);
      expectCode(await outcome(c.doPut(d, messages(v))), S.INVALID_ARGUMENT, /Arrow IPC/);
      expect(rowsOf(await c.query('SELECT count(*) AS n FROM bad_t'))).toEqual([{ n: 0 }]);
    });

    it.each(Object.entries(GARBAGE_ARROW))('CommandStatementIngest with %s', async (name, messages) => {
      const table = `ingest_bad_${name.replace(/\W+/g, '_')}`;
      const d = command(
        'CommandStatementIngest',
        sql.CommandStatementIngest.encode({
          table_definition_options: { if_not_exist: 1, if_exists: 2 },
          table,
          temporary: false,
          options: {},
        }),
      );
      expectCode(await outcome(c.doPut(d, messages(ipcOf([1, 2, 3], 'a')))), S.INVALID_ARGUMENT, /Arrow IPC/);
    });
  });

  describe('oversized messages → RESOURCE_EXHAUSTED', () => {
    it('a DoPut message larger than maxReceiveBytes', async () => {
      const handle = await c.prepare('INSERT INTO bad_t VALUES (?)');
      const big = ipcOf(Array.from({ length: (MAX_RECEIVE >> 2) + 1024 }, (_, i) => i));
      const d = preparedUpdate(handle);
      expectCode(await outcome(c.doPut(d, [big.schema, big.batch])), S.RESOURCE_EXHAUSTED, /larger than/);
    });

    it('a GetFlightInfo whose query is larger than maxReceiveBytes', async () => {
      const q = `SELECT '${'x'.repeat(MAX_RECEIVE)}' AS s`;
      expectCode(await outcome(c.getFlightInfo(queryDescriptor(q))), S.RESOURCE_EXHAUSTED, /larger than/);
    });

    it('parameters adding up to more than maxReceiveBytes, in messages each under it', async () => {
      const handle = await c.prepare('INSERT INTO bad_t VALUES (?)');
      const part = ipcOf(Array.from({ length: MAX_RECEIVE >> 3 }, (_, i) => i));
      const d = preparedUpdate(handle);
      expectCode(await outcome(c.doPut(d, [part.schema, part.batch, part.batch, part.batch])), S.RESOURCE_EXHAUSTED, /exceeds/);
      expect(rowsOf(await c.query('SELECT count(*) AS n FROM bad_t'))).toEqual([{ n: 0 }]);
    });
  });

  describe('things that do not exist → NOT_FOUND', () => {
    it('DoGet of a ticket for an unknown statement', async () => {
      expectCode(await outcome(c.doGet(ticketFor('q-nope'))), S.NOT_FOUND, /unknown or expired ticket/);
    });

    it('DoGet of a ticket already redeemed', async () => {
      const info = await c.getFlightInfo(queryDescriptor('SELECT 7 AS x'));
      const ticket = info.endpoint[0].ticket.ticket;
      expect(rowsOf(await c.doGet(ticket))).toEqual([{ x: 7 }]);
      expectCode(await outcome(c.doGet(ticket)), S.NOT_FOUND, /fetched once/);
    });

    it('DoGet of an expired ticket', async () => {
      const short = await startServer(
        loadConfig({
          env: {},
          overrides: { port: 0, users: [{ username: USER.user, password: USER.password }], resultTtlSeconds: 1 },
        }),
      );
      const s = new RawFlight(short.port, USER.user, USER.password);
      try {
        await s.authenticate();
        const info = await s.getFlightInfo(queryDescriptor('SELECT 8 AS x'));
        await sleep(1500);
        expectCode(await outcome(s.doGet(info.endpoint[0].ticket.ticket)), S.NOT_FOUND, /expired/);
        expect(rowsOf(await s.query('SELECT 9 AS x'))).toEqual([{ x: 9 }]);
      } finally {
        s.close();
        await short.close();
      }
    });

    it('a ticket of another user is unknown to this one', async () => {
      const info = await c.getFlightInfo(queryDescriptor('SELECT 10 AS x'));
      const other = new RawFlight(server.port, OTHER.user, OTHER.password);
      try {
        await other.authenticate();
        expectCode(await outcome(other.doGet(info.endpoint[0].ticket.ticket)), S.NOT_FOUND, /unknown or expired ticket/);
      } finally {
        other.close();
      }
      expect(rowsOf(await c.doGet(info.endpoint[0].ticket.ticket))).toEqual([{ x: 10 }]);
    });

    it('an unknown prepared statement handle', async () => {
      const handle = Buffer.from('p-nope');
      const q = preparedQuery(handle);
      const u = preparedUpdate(handle);
      for (const o of [
        await outcome(c.getFlightInfo(q)),
        await outcome(c.getSchema(q)),
        await outcome(c.pollFlightInfo(q)),
        await outcome(c.doPut(q, [ipcOf([1]).schema, ipcOf([1]).batch])),
        await outcome(c.doPut(u)),
      ]) {
        expectCode(o, S.NOT_FOUND, /unknown prepared statement/);
      }
    });

    it('EndTransaction and statements with an unknown transaction_id', async () => {
      const tx = Buffer.from('t-nope');
      expectCode(await outcome(c.action('EndTransaction', endTransaction(tx, 1))), S.NOT_FOUND, /unknown transaction/);
      expectCode(await outcome(c.getFlightInfo(queryDescriptor('SELECT 1', tx))), S.NOT_FOUND, /unknown transaction/);
      const upd = command('CommandStatementUpdate', sql.CommandStatementUpdate.encode({ query: 'INSERT INTO bad_t VALUES (1)', transaction_id: tx }));
      expectCode(await outcome(c.doPut(upd)), S.NOT_FOUND, /unknown transaction/);
      const prep = packAny('ActionCreatePreparedStatementRequest', sql.ActionCreatePreparedStatementRequest.encode({ query: 'SELECT 1', transaction_id: tx }));
      expectCode(await outcome(c.action('CreatePreparedStatement', prep)), S.NOT_FOUND, /unknown transaction/);
    });

    it('PollFlightInfo of an unknown poll descriptor', async () => {
      const d = pollOf('poll-nope');
      expectCode(await outcome(c.pollFlightInfo(d)), S.NOT_FOUND, /poll descriptor/);
    });
  });

  it('answers a thousand bad messages without INTERNAL, UNKNOWN or a hang, then still serves', async () => {
    const rand = prng(20261129);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const junk = (): Buffer => Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 48) }, () => Math.floor(rand() * 256)));
    const v = ipcOf([1, 2]);
    const handles = {
      query: await c.prepare('SELECT CAST(? AS INTEGER) AS v'),
      update: await c.prepare('INSERT INTO bad_t VALUES (?)'),
    };
    const garbage = Object.values(GARBAGE_ARROW);
    const commandNames = [
      'CommandStatementQuery',
      'CommandStatementUpdate',
      'CommandPreparedStatementQuery',
      'CommandGetTables',
      'TicketStatementQuery',
      'CommandNoSuchThing',
    ];
    const actions = [
      ...['CreatePreparedStatement', 'ClosePreparedStatement', 'BeginTransaction', 'EndTransaction'],
      ...['SetSessionOptions', 'GetSessionOptions', 'CloseSession', 'CancelFlightInfo', 'CancelQuery', 'NoSuchAction'],
    ];
    const kinds: { expect?: number; run: () => Promise<unknown> }[] = [];
    const add = (n: number, make: () => { expect?: number; run: () => Promise<unknown> }): void => {
      for (let i = 0; i < n; i++) kinds.push(make());
    };
    const garbageKinds: (() => { expect?: number; run: () => Promise<unknown> })[] = [
      () => ({ expect: S.UNIMPLEMENTED, run: () => c.getFlightInfo(command('CommandNoSuchThing', junk())) }),
      () => ({ expect: S.UNIMPLEMENTED, run: () => c.pollFlightInfo(command('CommandNoSuchThing', junk())) }),
      () => ({ expect: S.UNIMPLEMENTED, run: () => c.action(`NoSuch${Math.floor(rand() * 99)}`, junk()) }),
      () => ({ expect: S.INVALID_ARGUMENT, run: () => c.getFlightInfo({ type: 2, cmd: Buffer.from('SELECT 1'), path: [] }) }),
      () => {
        const g = pick(garbage);
        const d = rand() < 0.5 ? preparedQuery(handles.query) : preparedUpdate(handles.update);
        return { expect: S.INVALID_ARGUMENT, run: () => c.doPut(d, g(v)) };
      },
      () => ({ expect: S.NOT_FOUND, run: () => c.doGet(ticketFor(`q-${Math.floor(rand() * 1e6)}`)) }),
      () => ({ expect: S.NOT_FOUND, run: () => c.pollFlightInfo(pollOf('poll-nope')) }),
      () => ({
        expect: S.NOT_FOUND,
        run: () => c.action('EndTransaction', endTransaction(junk(), 2)),
      }),
      () => {
        const action = pick(['SetSessionOptions', 'GetSessionOptions', 'CloseSession']);
        return { expect: S.INVALID_ARGUMENT, run: () => c.action(action, Buffer.from([0x0a, 0x10, 0x01])) };
      },
      () => {
        const method = pick(['GetFlightInfo', 'PollFlightInfo', 'GetSchema'] as const);
        return { expect: S.INVALID_ARGUMENT, run: () => c.unaryRaw(method, Buffer.from([0x0a, 0x40])) };
      },
      () => ({
        expect: S.NOT_FOUND,
        run: () => c.getFlightInfo(preparedQuery(junk())),
      }),
      () => {
        const tx = Buffer.from(`t-${Math.floor(rand() * 1e6)}`);
        return { expect: S.NOT_FOUND, run: () => c.getFlightInfo(queryDescriptor('SELECT 1', tx)) };
      },
      () => ({
        expect: S.NOT_FOUND,
        run: async () => {
          const info = await c.getFlightInfo(queryDescriptor('SELECT 1 AS x'));
          await c.doGet(info.endpoint[0].ticket.ticket);
          return c.doGet(info.endpoint[0].ticket.ticket);
        },
      }),
      () => {
        const huge = queryDescriptor(`SELECT '${'y'.repeat(MAX_RECEIVE)}'`);
        return { expect: S.RESOURCE_EXHAUSTED, run: () => c.getFlightInfo(huge) };
      },
      // random bytes in random places: the exact code depends on the bytes, never INTERNAL
      () => ({ run: () => c.getFlightInfo(command(pick(commandNames), junk())) }),
      () => ({ run: () => c.getSchema(command(pick(commandNames), junk())) }),
      () => ({ run: () => c.pollFlightInfo(command(pick(commandNames), junk())) }),
      () => ({ run: () => c.doGet(rand() < 0.5 ? junk() : packAny(pick(commandNames), junk())) }),
      () => ({ run: () => c.action(pick(actions), rand() < 0.5 ? junk() : packAny(pick(commandNames), junk())) }),
      () => ({ run: () => c.unaryRaw(pick(['GetFlightInfo', 'PollFlightInfo', 'GetSchema'] as const), junk()) }),
      () => ({ run: () => c.doActionRaw(junk()) }),
      () => ({ run: () => c.doPutRaw([junk(), junk()]) }),
      () => ({ run: () => c.doPut(command(pick(commandNames), junk()), [{ header: junk(), body: junk() }]) }),
      () => ({
        run: () =>
          c.doPut(preparedUpdate(handles.update), [
            v.schema,
            { header: junk(), body: junk() },
          ]),
      }),
    ];
    add(1000, () => pick(garbageKinds)());
    const seen = new Map<string, number>();
    const wrong: string[] = [];
    // a few calls in flight at once, as real clients do
    for (let i = 0; i < kinds.length; i += 8) {
      const results = await Promise.all(kinds.slice(i, i + 8).map((k) => outcome(k.run()).then((o) => ({ o, k }))));
      for (const { o, k } of results) {
        seen.set(S[o.code], (seen.get(S[o.code]) ?? 0) + 1);
        const broken = o.code === S.INTERNAL || o.code === S.UNKNOWN || o.code === S.DEADLINE_EXCEEDED;
        if (broken) wrong.push(`${S[o.code]}: ${o.details}`);
        else if (k.expect !== undefined && o.code !== k.expect) {
          wrong.push(`expected ${S[k.expect]}, got ${S[o.code]}: ${o.details}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(100);
    expect(seen.get('UNIMPLEMENTED')).toBeGreaterThan(50);
    expect(seen.get('NOT_FOUND')).toBeGreaterThan(50);
    expect(rowsOf(await c.query('SELECT count(*) AS n FROM bad_t'))).toEqual([{ n: 0 }]);
    expect(rowsOf(await c.query('SELECT a, CAST(sum(a) OVER (ORDER BY a) AS BIGINT) AS s FROM range(4) t(a) ORDER BY a'))).toEqual([
      { a: 0, s: 0 },
      { a: 1, s: 1 },
      { a: 2, s: 3 },
      { a: 3, s: 6 },
    ]);
    expect(rowsOf(await c.query('SELECT 42 AS x'))).toEqual([{ x: 42 }]);
  });
});
