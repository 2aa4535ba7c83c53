// clients/js against the real server: login, a send whose answer is lost (retried with the same
// msgId, stored once), and an event stream that resumes from its last cursor after its socket
// is cut, with nothing missed or repeated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createStartalkClient, type StartalkEvent } from '../clients/js/src/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { eventually } from './helpers/wait.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0' });
  await users(t, 'alice', 'bob');
});
afterAll(() => t?.close());

/** waits up to `ms` for `cond`, and says whether it held (some callers only wait, others assert) */
const until = (cond: () => boolean, ms = 10_000) =>
  eventually(cond, { timeoutMs: ms, intervalMs: 25 }).then(() => true, () => false);

describe('clients/js', () => {
  it('signs in and sends; a send whose answer was lost is retried with its msgId and stored once', async () => {
    let lost = 0;
    // the first send reaches the server, but its answer never reaches the client
    const flaky: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(init?.body).includes('mutation Send') && lost++ === 0) throw new TypeError('connection reset');
      return res;
    };
    const c = createStartalkClient({ url: t.url, fetch: flaky, retryBaseMs: 10 });
    const me = await c.login('alice', 'password-123');
    expect(me.user.username).toBe('alice');
    const m = await c.send({ to: 'bob', body: 'once only' });
    expect(lost).toBe(2);
    expect(m.body).toBe('once only');
    const rows = await t.db.query('SELECT count(*)::int AS n, min(msg_id) AS id FROM messages WHERE body = $1', ['once only']);
    expect(rows.rows[0]).toEqual({ n: 1, id: m.msgId });
    await expect(createStartalkClient({ url: t.url }).send({ to: 'bob', body: 'x' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('resumes its event stream from the last cursor after the socket is cut', async () => {
    const sockets: WebSocket[] = [];
    class Tracked extends WebSocket {
      constructor(...args: ConstructorParameters<typeof WebSocket>) {
        super(...args);
        sockets.push(this);
      }
    }
    const bob = createStartalkClient({ url: t.url, webSocketImpl: Tracked, retryBaseMs: 50 });
    await bob.login('bob', 'password-123');
    const alice = createStartalkClient({ url: t.url });
    await alice.login('alice', 'password-123');
    const got: string[] = [];
    let reconnects = 0;
    const sub = bob.events({
      onEvent: (e: StartalkEvent) => void (e.__typename === 'MessageAddedEvent' && got.push(e.message.body)),
      onReconnect: () => reconnects++,
    });
    await until(() => sockets.length > 0);
    // the first message may be sent before the subscription is live: it is replayed from the cursor
    await alice.send({ to: 'bob', body: 'm1' });
    expect(await until(() => got.length === 1)).toBe(true);
    sockets.at(-1)!.terminate();
    await alice.send({ to: 'bob', body: 'm2' });
    await alice.send({ to: 'bob', body: 'm3' });
    expect(await until(() => got.length >= 3)).toBe(true);
    await alice.send({ to: 'bob', body: 'm4' });
    expect(await until(() => got.length >= 4)).toBe(true);
    expect(got).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(reconnects).toBeGreaterThan(0);
    expect(sockets.length).toBeGreaterThan(1);
    await sub.stop();
    await bob.close();
  });
});
