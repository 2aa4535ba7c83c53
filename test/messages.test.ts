// 1:1 sending, idempotency, history paging, authorization and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';

let t: TestApp;
let alice: { id: string; token: string };
let bob: { id: string; token: string };
let eve: { id: string; token: string };

beforeAll(async () => {
  t = await startTestApp({ MAX_MESSAGE_BYTES: '1024', SEND_RATE_PER_SEC: '0' });
  ({ alice, bob, eve } = await users(t, 'alice', 'bob', 'eve'));
});
afterAll(() => t?.close());

const SEND = `mutation($i:SendMessageInput!){ sendMessage(input:$i){ id msgId conversationId body msgType createdAt state from{username} to{username} } }`;
const send = (token: string, input: Record<string, unknown>) => t.gql(SEND, { i: input }, token);
const count = async () => (await t.db.query('SELECT count(*)::int AS n FROM messages')).rows[0].n as number;

const HISTORY = `query($with:String,$cid:ID,$first:Int,$after:String,$last:Int,$before:String,$order:MessageOrder){
  messages(with:$with,conversationId:$cid,first:$first,after:$after,last:$last,before:$before,order:$order){
    edges{ cursor node{ body } } pageInfo{ hasNextPage hasPreviousPage startCursor endCursor } } }`;

describe('sendMessage', () => {
  it('stores the message with server time, Startalk msgType and SENT state', async () => {
    const before = Date.now();
    const r = await send(alice.token, { to: 'bob', body: 'hello', msgType: 1, msgId: 'a-1' });
    expect(r.errors).toBeUndefined();
    const m = r.data.sendMessage;
    expect(m).toMatchObject({ msgId: 'a-1', body: 'hello', msgType: 1, state: 'SENT', from: { username: 'alice' }, to: { username: 'bob' } });
    expect(m.createdAt).toBeGreaterThanOrEqual(before);
    expect(m.createdAt).toBeLessThanOrEqual(Date.now());
    const row = await t.db.query('SELECT body, msg_type, state FROM messages WHERE msg_id = $1', ['a-1']);
    expect(row.rows).toEqual([{ body: 'hello', msg_type: 1, state: 0 }]);
  });

  it('a retry with the same msgId returns the stored message and stores nothing new', async () => {
    const first = (await send(alice.token, { to: 'bob', body: 'once', msgId: 'retry-1' })).data.sendMessage;
    const n = await count();
    const again = await Promise.all([1, 2, 3].map(() => send(alice.token, { to: 'bob', body: 'once', msgId: 'retry-1' })));
    for (const r of again) expect(r.data.sendMessage).toEqual(first);
    expect(await count()).toBe(n);
  });

  it('concurrent first sends of one msgId store it once', async () => {
    const n = await count();
    const rs = await Promise.all(Array.from({ length: 8 }, () => send(bob.token, { to: 'alice', body: 'race', msgId: 'race-1' })));
    const ids = new Set(rs.map((r) => r.data.sendMessage.id));
    expect(ids.size).toBe(1);
    expect(await count()).toBe(n + 1);
  });

  it('reusing a msgId for different content is a CONFLICT', async () => {
    await send(alice.token, { to: 'bob', body: 'original', msgId: 'reuse-1' });
    const r = await send(alice.token, { to: 'bob', body: 'different', msgId: 'reuse-1' });
    expect(r.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('the same msgId from two senders is two messages', async () => {
    const a = (await send(alice.token, { to: 'eve', body: 'x', msgId: 'shared-id' })).data.sendMessage;
    const e = (await send(eve.token, { to: 'alice', body: 'x', msgId: 'shared-id' })).data.sendMessage;
    expect(a.id).not.toBe(e.id);
  });

  it('bad input gets BAD_USER_INPUT / NOT_FOUND and stores nothing', async () => {
    const n = await count();
    const cases: [Record<string, unknown>, string][] = [
      [{ to: 'bob', body: 'x'.repeat(1025) }, 'BAD_USER_INPUT'],
      [{ to: 'bob', body: '' }, 'BAD_USER_INPUT'],
      [{ to: 'bob', body: 'nul\u0000byte' }, 'BAD_USER_INPUT'],
      [{ to: 'bob', body: 'x', msgId: 'bad id with spaces' }, 'BAD_USER_INPUT'],
      [{ to: 'bob', body: 'x', msgType: -1 }, 'BAD_USER_INPUT'],
      [{ to: 'alice', body: 'me' }, 'BAD_USER_INPUT'],
      [{ to: 'nobody', body: 'x' }, 'NOT_FOUND'],
      [{ to: 'nobody@elsewhere.org', body: 'x' }, 'NOT_FOUND'],
      [{ to: '!!', body: 'x' }, 'BAD_USER_INPUT'],
    ];
    for (const [input, code] of cases) {
      const r = await send(alice.token, input);
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(input).slice(0, 60)).toBe(code);
    }
    const wrongType = await t.gql(SEND, { i: { to: 'bob', body: 5 } }, alice.token);
    expect(wrongType.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await send('', { to: 'bob', body: 'anon' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await count()).toBe(n);
  });

  it('sending too fast is RATE_LIMITED', async () => {
    const t2 = await startTestApp({ SEND_RATE_PER_SEC: '1', SEND_BURST: '3' });
    try {
      const a = await t2.createUser('a');
      await t2.createUser('b');
      const codes = [];
      for (let i = 0; i < 5; i++) {
        const r = await t2.gql(SEND, { i: { to: 'b', body: `m${i}` } }, a.token);
        codes.push(r.errors?.[0]?.extensions?.code ?? 'OK');
      }
      expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    } finally {
      await t2.close();
    }
  });
});

describe('history', () => {
  let carol: { token: string };
  let dave: { token: string };
  beforeAll(async () => {
    ({ carol, dave } = await users(t, 'carol', 'dave'));
    for (let i = 1; i <= 25; i++) {
      const from = i % 2 ? carol : dave;
      const r = await send(from.token, { to: i % 2 ? 'dave' : 'carol', body: `m${i}` });
      expect(r.errors).toBeUndefined();
    }
  });
  const bodies = (r: any) => r.data.messages.edges.map((e: any) => e.node.body);

  it('pages newest first with first/after across page boundaries, without gap or overlap', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: any = await t.gql(HISTORY, { with: 'dave', first: 10, after }, carol.token);
      expect(r.errors).toBeUndefined();
      seen.push(...bodies(r));
      pages++;
      if (!r.data.messages.pageInfo.hasNextPage) break;
      after = r.data.messages.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `m${25 - i}`));
  });

  it('pages oldest first, and backward with last/before', async () => {
    const fwd: any = await t.gql(HISTORY, { with: 'carol', first: 10, order: 'OLDEST_FIRST' }, dave.token);
    expect(bodies(fwd)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    const next: any = await t.gql(HISTORY, { with: 'carol', first: 10, order: 'OLDEST_FIRST', after: fwd.data.messages.pageInfo.endCursor }, dave.token);
    expect(bodies(next)).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 11}`));
    // last 5 in newest-first order are the 5 oldest, displayed newest first
    const tail: any = await t.gql(HISTORY, { with: 'dave', last: 5 }, carol.token);
    expect(bodies(tail)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(tail.data.messages.pageInfo.hasPreviousPage).toBe(true);
    const prev: any = await t.gql(HISTORY, { with: 'dave', last: 5, before: tail.data.messages.pageInfo.startCursor }, carol.token);
    expect(bodies(prev)).toEqual(['m10', 'm9', 'm8', 'm7', 'm6']);
    expect(prev.data.messages.pageInfo.hasNextPage).toBe(true);
  });

  it('only the two participants can read a conversation', async () => {
    const r: any = await t.gql(HISTORY, { with: 'dave', first: 1 }, carol.token);
    const cid = (await t.ok('{ conversations { id peer { username } } }', {}, carol.token)).conversations
      .find((c: any) => c.peer.username === 'dave').id;
    expect(r.data.messages.edges).toHaveLength(1);
    const byId = await t.gql(HISTORY, { cid, first: 5 }, eve.token);
    expect(byId.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(byId.data).toBeNull();
    // eve's own "with carol" conversation is a different, empty one
    const own: any = await t.gql(HISTORY, { with: 'carol', first: 5 }, eve.token);
    expect(own.data.messages.edges).toEqual([]);
    const mark = await t.gql('mutation($c:ID!){ markMessages(conversationId:$c, messageIds:["1"], state:READ){ changedIds } }', { c: cid }, eve.token);
    expect(mark.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('malformed cursors and page sizes are BAD_USER_INPUT', async () => {
    for (const v of [{ after: 'garbage' }, { after: Buffer.from('e:5').toString('base64url') }, { first: 0 }, { first: 100000 }, { first: 2, last: 2 }]) {
      const r = await t.gql(HISTORY, { with: 'dave', ...v }, carol.token);
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(v)).toBe('BAD_USER_INPUT');
    }
  });
});

describe('conversations and delivery state', () => {
  it('lists conversations newest first with unread counts that follow read marks', async () => {
    const { frank, gina } = await users(t, 'frank', 'gina');
    const ids: string[] = [];
    for (const body of ['one', 'two', 'three']) ids.push((await send(frank.token, { to: 'gina', body })).data.sendMessage.id);
    await send(gina.token, { to: 'frank', body: 'reply' });
    const conv = async (token: string) => (await t.ok('{ conversations { id unreadCount lastMessage { body } peer { username } } }', {}, token)).conversations[0];
    const g = await conv(gina.token);
    expect(g).toMatchObject({ unreadCount: 3, lastMessage: { body: 'reply' }, peer: { username: 'frank' } });
    expect((await conv(frank.token)).unreadCount).toBe(1);

    const MARK = 'mutation($c:ID!,$ids:[ID!]!,$s:DeliveryState!){ markMessages(conversationId:$c, messageIds:$ids, state:$s){ changedIds } }';
    const d = await t.ok(MARK, { c: g.id, ids: ids.slice(0, 2), s: 'DELIVERED' }, gina.token);
    expect(d.markMessages.changedIds).toEqual(ids.slice(0, 2));
    expect((await conv(gina.token)).unreadCount).toBe(3); // delivered is not read
    await t.ok(MARK, { c: g.id, ids: ids.slice(0, 2), s: 'READ' }, gina.token);
    expect((await conv(gina.token)).unreadCount).toBe(1);
    // states only rise; marking your own messages changes nothing
    expect((await t.ok(MARK, { c: g.id, ids, s: 'DELIVERED' }, gina.token)).markMessages.changedIds).toEqual([ids[2]]);
    const own = await t.ok(MARK, { c: g.id, ids, s: 'READ' }, frank.token);
    expect(own.markMessages.changedIds).toEqual([]);
    const states = await t.db.query('SELECT state FROM messages WHERE seq = ANY($1::bigint[]) ORDER BY seq', [ids]);
    expect(states.rows.map((r) => r.state)).toEqual([3, 3, 1]);
  });
});

describe('query limits', () => {
  it('refuses deep, costly, aliased and oversized queries with BAD_USER_INPUT', async () => {
    const nested = '{ conversations { lastMessage { from { id } } } }';
    expect((await t.gql(nested, {}, alice.token)).errors).toBeUndefined();
    const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect((await t.gql(aliases, {}, alice.token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tokens = `{ me { ${'id '.repeat(3000)} } }`;
    expect((await t.gql(tokens, {}, alice.token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const depth = `{ conversations { lastMessage { from { id } to { id } } } }`;
    const t3 = await startTestApp({ MAX_QUERY_DEPTH: '3', MAX_QUERY_COST: '40' });
    try {
      const r = await t3.gql(depth, {}, t3.adminToken);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/depth/i);
      const costly = `{ ${Array.from({ length: 10 }, (_, i) => `c${i}: conversations { id unreadCount }`).join(' ')} }`;
      const c = await t3.gql(costly, {}, t3.adminToken);
      expect(c.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(c.errors?.[0]?.message).toMatch(/cost/i);
      expect((await t3.gql('{ me { id } }', {}, t3.adminToken)).errors).toBeUndefined();
    } finally {
      await t3.close();
    }
    const syntax = await t.gql('{ me { id ', {}, alice.token);
    expect(syntax.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses request bodies over the limit with 413 before reading them', async () => {
    const r = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ query: SEND, variables: { i: { to: 'bob', body: 'x'.repeat(300 * 1024) } } }),
    });
    expect(r.status).toBe(413);
    const body = await r.json();
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});
