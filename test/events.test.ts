// The live event stream: delivery to every device, authorization, resume without gap
// or duplicate, SSE transport, and slow consumers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';

let t: TestApp;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let eve: { id: string; token: string };

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', SUBSCRIPTION_QUEUE: '10' });
  ({ alice, bob, eve } = await users(t, 'alice', 'bob', 'eve'));
});
afterAll(() => t?.close());

const EVENTS = `subscription($since:String){ events(since:$since){ cursor __typename
  ... on MessageAddedEvent { message { id body from { username } to { username } } }
  ... on MessageStateEvent { messageIds state by { username } } } }`;
const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id conversationId } }';
const send = (token: string, to: string, body: string) => t.ok(SEND, { i: { to, body } }, token).then((d) => d.sendMessage);
const cursorNow = async (token: string) => (await t.ok('{ eventCursor }', {}, token)).eventCursor as string;
const bodiesOf = (items: any[]) => items.filter((e) => e.events.message).map((e) => e.events.message.body);

describe('events subscription', () => {
  it("delivers a message to the recipient and to the sender's other devices, not to others", async () => {
    const bobPhone = collect(t.ws(bob.token), EVENTS);
    const bobDesk = collect(t.ws(bob.token), EVENTS);
    const aliceOther = collect(t.ws(alice.token), EVENTS);
    const eveSub = collect(t.ws(eve.token), EVENTS);
    await sleep(200); // subscriptions are set up
    await send(alice.token, 'bob', 'hi bob');
    for (const s of [bobPhone, bobDesk, aliceOther]) {
      const [ev] = await s.waitFor(1);
      expect(ev.events).toMatchObject({
        __typename: 'MessageAddedEvent', message: { body: 'hi bob', from: { username: 'alice' }, to: { username: 'bob' } },
      });
    }
    await sleep(200);
    expect(eveSub.items).toEqual([]);
    for (const s of [bobPhone, bobDesk, aliceOther, eveSub]) s.stop();
  });

  it('refuses a subscription without a valid token', async () => {
    const anon = collect(t.ws(), EVENTS);
    await anon.waitFor(1, 2000);
    expect(JSON.stringify(anon.errors)).toContain('UNAUTHENTICATED');
    const forged = collect(t.ws('stn_forged'), EVENTS);
    await forged.waitFor(1, 2000);
    expect(forged.done).toBe(true);
    expect(forged.items).toEqual([]);
  });

  it('read marks reach the peer and the reader\'s other devices', async () => {
    const m = await send(bob.token, 'alice', 'read me');
    const bobSub = collect(t.ws(bob.token), EVENTS);
    const aliceDesk = collect(t.ws(alice.token), EVENTS);
    await sleep(200);
    await t.ok('mutation($c:ID!,$ids:[ID!]!){ markMessages(conversationId:$c,messageIds:$ids,state:READ){ changedIds } }',
      { c: m.conversationId, ids: [m.id] }, alice.token);
    for (const s of [bobSub, aliceDesk]) {
      const [ev] = await s.waitFor(1);
      expect(ev.events).toMatchObject({ __typename: 'MessageStateEvent', messageIds: [m.id], state: 'READ', by: { username: 'alice' } });
    }
    bobSub.stop();
    aliceDesk.stop();
  });

  it('resumes after a disconnect with every missed event, in order, without duplicates', async () => {
    const start = await cursorNow(bob.token);
    const first = collect(t.ws(bob.token), EVENTS, { since: start });
    await sleep(100);
    for (let i = 0; i < 5; i++) await send(alice.token, 'bob', `r${i}`);
    const got = await first.waitFor(5);
    expect(bodiesOf(got)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    const last = got[got.length - 1].events.cursor;
    first.stop(); // the phone goes offline
    await sleep(50);
    // missed while offline, from both directions, and a state change
    const sent: string[] = [];
    for (let i = 5; i < 12; i++) {
      await send(i % 2 ? alice.token : eve.token, 'bob', `r${i}`);
      sent.push(`r${i}`);
    }
    const resumed = collect(t.ws(bob.token), EVENTS, { since: last });
    const replay = await resumed.waitFor(7);
    expect(bodiesOf(replay)).toEqual(sent);
    // then it continues live, still without duplicates
    await send(alice.token, 'bob', 'live-after-resume');
    const all = await resumed.waitFor(8);
    expect(bodiesOf(all)).toEqual([...sent, 'live-after-resume']);
    const cursors = all.map((e) => e.events.cursor);
    expect(new Set(cursors).size).toBe(cursors.length);
    resumed.stop();
  });

  it('resumes without gap while messages keep arriving during the replay', async () => {
    const since = await cursorNow(bob.token);
    const expected: string[] = [];
    for (let i = 0; i < 30; i++) expected.push((await send(alice.token, 'bob', `c${i}`), `c${i}`));
    const sub = collect(t.ws(bob.token), EVENTS, { since });
    const concurrent = (async () => {
      for (let i = 30; i < 60; i++) await send(alice.token, 'bob', `c${i}`);
    })();
    for (let i = 30; i < 60; i++) expected.push(`c${i}`);
    await concurrent;
    const got = await sub.waitFor(60);
    expect(bodiesOf(got)).toEqual(expected);
    await sleep(200);
    expect(bodiesOf(sub.items)).toHaveLength(60);
    sub.stop();
  });

  it('a slow consumer beyond its buffer still gets everything, from the log', async () => {
    // SUBSCRIPTION_QUEUE is 10 here. A subscriber that does not read while 50 messages
    // arrive overflows its live buffer; it must fall back to the log, losing nothing.
    const since = (await t.app.core.hub.position());
    const iter = t.app.core.hub.subscribe(bob.id, since, { sessionId: 'test', expiresAt: new Date(Date.now() + 60_000) });
    const overflowsBefore = t.app.core.hub.stats.overflows;
    const expected = Array.from({ length: 50 }, (_, i) => `burst${i}`);
    for (const b of expected) await send(alice.token, 'bob', b);
    expect(t.app.core.hub.stats.overflows).toBeGreaterThan(overflowsBefore);
    const got: string[] = [];
    const seqs: bigint[] = [];
    while (got.length < 50) {
      const { value } = await iter.next();
      if (value?.kind === 'message.added') got.push(value.message.body), seqs.push(BigInt(value.seq));
    }
    await iter.return!();
    expect(got).toEqual(expected);
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('logout ends the live subscriptions of that session only', async () => {
    const phone = await t.login('eve', 'password-123');
    const phoneSub = collect(t.ws(phone), EVENTS);
    const deskSub = collect(t.ws(eve.token), EVENTS);
    await sleep(200);
    await t.ok('mutation { logout }', {}, phone);
    await sleep(200);
    expect(phoneSub.done).toBe(true);
    expect(deskSub.done).toBe(false);
    await send(alice.token, 'eve', 'after logout');
    expect(bodiesOf(await deskSub.waitFor(1))).toEqual(['after logout']);
    expect(phoneSub.items).toEqual([]);
    deskSub.stop();
  });

  it('limits live subscriptions per user', async () => {
    const t2 = await startTestApp({ MAX_SUBSCRIPTIONS_PER_USER: '2' });
    try {
      const u = await t2.createUser('u');
      const client = t2.ws(u.token);
      const subs = [collect(client, EVENTS), collect(client, EVENTS), collect(client, EVENTS)];
      await subs[2]!.waitFor(1, 2000);
      expect(JSON.stringify(subs[2]!.errors)).toContain('RATE_LIMITED');
      expect(subs[0]!.done || subs[1]!.done).toBe(false);
    } finally {
      await t2.close();
    }
  });

  it('refuses a malformed cursor', async () => {
    const s = collect(t.ws(bob.token), EVENTS, { since: 'nope' });
    await s.waitFor(1, 2000);
    expect(JSON.stringify(s.errors)).toContain('BAD_USER_INPUT');
  });

  it('works over Server-Sent Events for clients without WebSocket', async () => {
    const ctrl = new AbortController();
    const res = await fetch(t.url, {
      method: 'POST',
      signal: ctrl.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${eve.token}` },
      body: JSON.stringify({ query: EVENTS }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    await sleep(200);
    await send(alice.token, 'eve', 'over sse');
    let text = '';
    const until = Date.now() + 5000;
    while (!text.includes('over sse') && Date.now() < until) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    expect(text).toContain('"body":"over sse"');
  });
});
