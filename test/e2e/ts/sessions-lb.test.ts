// Sessions behind a load balancer: two coordinators share the token secret; options a client sets on
// one come back in a re-issued bearer token, so the other applies them to the same session.
import { loadConfig } from '../../../src/config';
import { startServer, RunningServer } from '../../../src/cli/serve';
import { codecs } from '../../../src/flight/proto';
import { RawFlight } from './raw-flight';

const USER = { username: 'lb', password: 'pw-lb' };
const SECRET = 'a-shared-secret-of-enough-length';

function setOptions(values: Record<string, string>): Buffer {
  const session_options = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { string_value: v }]));
  return Buffer.from(codecs.SetSessionOptionsRequest.encode({ session_options }));
}

async function scalar(c: RawFlight, query: string): Promise<unknown> {
  const t = await c.query(query);
  return t.getChildAt(0)?.get(0);
}

describe('session options across coordinators that share the token secret', () => {
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    const config = loadConfig({ env: {}, overrides: { port: 0, users: [USER], tokenSecret: SECRET } });
    a = await startServer(config);
    b = await startServer(config);
  });

  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('follows the client to the other coordinator', async () => {
    const onA = new RawFlight(a.port, USER.username, USER.password);
    await onA.authenticate();
    const first = onA.bearer;
    await onA.action('SetSessionOptions', setOptions({ TimeZone: 'Asia/Tokyo', schema: 'main' }));
    expect(onA.bearer).not.toBe(first); // a new token, carrying the options
    expect(await scalar(onA, "SELECT current_setting('TimeZone')")).toBe('Asia/Tokyo');

    // the original token names the same session but carries no options: B, which has not seen the
    // session, cannot know them from it
    const stale = new RawFlight(b.port, USER.username, USER.password);
    stale.bearer = first;
    expect(await scalar(stale, "SELECT current_setting('TimeZone')")).not.toBe('Asia/Tokyo');

    const onB = new RawFlight(b.port, USER.username, USER.password);
    onB.bearer = onA.bearer;
    expect(await scalar(onB, "SELECT current_setting('TimeZone')")).toBe('Asia/Tokyo');
    const [got] = await onB.action('GetSessionOptions', Buffer.alloc(0));
    const opts = codecs.GetSessionOptionsResult.decode(got).session_options;
    expect(opts.TimeZone.string_value).toBe('Asia/Tokyo');
    expect(opts.schema.string_value).toBe('main');

    // closing the session hands back a token without options
    await onB.action('CloseSession', Buffer.alloc(0));
    const fresh = new RawFlight(a.port, USER.username, USER.password);
    fresh.bearer = onB.bearer;
    const [after] = await fresh.action('GetSessionOptions', Buffer.alloc(0));
    expect(codecs.GetSessionOptionsResult.decode(after).session_options.TimeZone).toBeUndefined();
    for (const c of [onA, onB, stale, fresh]) c.close();
  });

  it('refuses a token signed with another secret', async () => {
    const other = await startServer(loadConfig({ env: {}, overrides: { port: 0, users: [USER], tokenSecret: 'x'.repeat(32) } }));
    try {
      const onA = new RawFlight(a.port, USER.username, USER.password);
      await onA.authenticate();
      const c = new RawFlight(other.port, USER.username, USER.password);
      c.bearer = onA.bearer;
      await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: 16 });
      onA.close();
      c.close();
    } finally {
      await other.close();
    }
  });
});
