// PostgreSQL stops answering (a partition: connections stay open, nothing comes back).
// Sends must fail fast with the retryable UNAVAILABLE on every edge, /readyz must say 503,
// and a retry with the same msgId after recovery must store exactly one message, even
// when the first attempt did commit and only its answer was lost.
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, createDatabase, dropDatabase, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { FreezeProxy } from './helpers/freeze-proxy.js';
import { xmppLogin, type XmppClient } from './helpers/xmpp.js';

const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id msgId body } }';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const EVENTS = 'subscription($since:String){ events(since:$since){ cursor ... on MessageAddedEvent { message { body } } } }';

describe('PostgreSQL unresponsive', () => {
  let t: TestApp;
  let proxy: FreezeProxy;
  let dbUrl: string;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let xmpp: XmppClient;

  const count = async (msgId: string) =>
    Number((await t.db.query('SELECT count(*) AS n FROM messages WHERE sender_id = $1 AND msg_id = $2', [alice.id, msgId])).rows[0].n);
  const send = (msgId: string) => t.gql(SEND, { i: { to: 'bob', msgId, body: `hello ${msgId}` } }, alice.token);

  beforeAll(async () => {
    dbUrl = await createDatabase();
    const u = new URL(dbUrl);
    proxy = new FreezeProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    t = await startTestApp({
      DATABASE_URL: u.toString(), DB_CONNECT_TIMEOUT_MS: '300', DB_QUERY_TIMEOUT_MS: '800', READY_TIMEOUT_MS: '500',
      XMPP_PORT: '0', PB_PORT: 'off', ADMIN_API_KEY: ADMIN_KEY, SEND_RATE_PER_SEC: '0',
    }, dbUrl);
    ({ alice, bob } = await users(t, 'alice', 'bob'));
    expect((await send('warm-up')).errors).toBeUndefined(); // caches warm, as on a running server
    xmpp = await xmppLogin(t.app.bridgePort!, 'alice');
  });

  afterAll(async () => {
    proxy?.thaw();
    await xmpp?.c.stop().catch(() => {});
    await t?.close();
    await proxy?.close();
    if (dbUrl) await dropDatabase(dbUrl);
  });

  it('answers sends, /readyz, XMPP and legacy HTTP while frozen, and the retry stores one message', async () => {
    // bob's phone has a cursor (and a cached session); it resumes while the database is away
    const live = collect(t.ws(bob.token), EVENTS);
    await new Promise((r) => setTimeout(r, 200));
    expect((await send('before-freeze')).errors).toBeUndefined();
    const [first] = await live.waitFor(1);
    live.stop();
    let resumed!: ReturnType<typeof collect<any>>;
    proxy.freeze();
    try {
      resumed = collect(t.ws(bob.token), EVENTS, { since: first.events.cursor });

      const r = await send('frozen-1');
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

      // a sign-in reads through Prisma, not raw SQL
      const login = await t.gql('mutation{ login(username:"bob", password:"password-123"){ token } }');
      expect(login.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

      const ready = await fetch(t.url.replace('/graphql', '/readyz'));
      expect(ready.status).toBe(503);

      await xmpp.c.send(xml('message', { to: 'bob@localhost', type: 'chat', id: 'x-frozen-1' }, xml('body', { id: 'x-frozen-1' }, 'hi')));
      const err = await xmpp.waitFor((s) => s.attrs.type === 'error' && s.attrs.id === 'x-frozen-1', 10_000);
      expect(err.getChild('error')?.attrs.type).toBe('wait');

      const legacy = await fetch(t.url.replace('/graphql', '/qtalk/send_message'), {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
        body: JSON.stringify({ From: 'alice', To: [{ User: 'bob' }], Body: 'hi' }),
      });
      expect(legacy.status).toBe(503);
      expect(await legacy.json()).toMatchObject({ ret: false });
    } finally {
      proxy.thaw();
    }
    // the client retries with the same id once the database is back
    const retry = await send('frozen-1');
    expect(retry.errors).toBeUndefined();
    expect(await count('frozen-1')).toBe(1);
    expect((await fetch(t.url.replace('/graphql', '/readyz'))).status).toBe(200);
    // the resumed subscription waited for the database instead of failing, and goes on
    const got = await resumed.waitFor(1);
    expect(resumed.errors).toEqual([]);
    expect(got.map((e) => e.events.message.body)).toEqual(['hello frozen-1']);
    resumed.stop();
  });

  it('a send whose COMMIT went through but whose answer was lost is stored once after the retry', async () => {
    proxy.freezeRepliesAfter('INSERT INTO messages', 'COMMIT');
    let first;
    try {
      first = await send('ambiguous-1');
    } finally {
      proxy.thaw();
    }
    expect(first.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(await count('ambiguous-1')).toBe(1); // it did commit
    const retry = await send('ambiguous-1');
    expect(retry.errors).toBeUndefined();
    expect(retry.data.sendMessage).toMatchObject({ msgId: 'ambiguous-1', body: 'hello ambiguous-1' });
    expect(await count('ambiguous-1')).toBe(1);
  });
});
