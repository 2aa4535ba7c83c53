// Legacy HTTP, part 2: a scripted Startalk client syncs history by time (PROTOCOL.md §6.2,
// §13 D) and sees the same messages GraphQL users see; pages never lose or repeat a
// message, even when many share a millisecond; nobody reads what is not theirs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { legacyCall, qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';

let t: TestApp;
let base: string;
let lena: { id: string; token: string };
let marc: { id: string; token: string };
let zack: { id: string; token: string };
let ls: SocketSession;
let zs: SocketSession;
const ck = () => qckey('lena', ls.key);
const call = (path: string, body: unknown, c = ck()) => legacyCall(base, path, body, c);

const send = (token: string, to: string, body: string, msgId?: string) =>
  t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id msgId createdAt } }', { i: { to, body, msgId } }, token);

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0', SEND_RATE_PER_SEC: '0' });
  base = t.url.replace(/\/graphql$/, '');
  ({ lena, marc, zack } = await users(t, 'lena', 'marc', 'zack'));
  ls = await socketLogin(t.app.bridgePort as number, 'lena', 'password-123');
  zs = await socketLogin(t.app.bridgePort as number, 'zack', 'password-123');
});
afterAll(async () => {
  await ls?.close();
  await zs?.close();
  await t?.close();
});

/** Follows `t` page by page the way clients do, until a short page. */
async function follow(path: string, body: Record<string, unknown>, num: number) {
  const seen: any[] = [];
  let time: unknown = body.time ?? 0;
  for (let i = 0; i < 200; i++) {
    const r = await call(path, { ...body, time, num });
    expect(r.body.ret, JSON.stringify(r.body)).toBe(true);
    seen.push(...r.body.data);
    if (r.body.data.length < num) return seen;
    time = r.body.data.at(-1).t;
  }
  throw new Error('did not end');
}

describe('1:1 history', () => {
  it('gethistory returns every message once, in Startalk shape, under both prefixes, across shared milliseconds', async () => {
    // Concurrent sends are group-committed: many land in the same millisecond.
    const sent = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      send(i % 2 ? lena.token : marc.token, i % 2 ? 'marc' : 'lena', `m${i}`, `h-${String(i).padStart(2, '0')}`)));
    const times = sent.map((s) => s.sendMessage.createdAt);
    expect(new Set(times).size).toBeLessThan(times.length); // the test means something only if they collide
    const all = await follow('/package/qtapi/gethistory.qunar', { user: 'lena', host: 'localhost', domain: 'localhost', f: 't' }, 3);
    const ids = all.map((x) => x.body.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    // the same messages, in the same order, as GraphQL history
    const gql = await t.ok('{ messages(with:"marc", first:100, order:OLDEST_FIRST){ edges { node { msgId } } } }', {}, lena.token);
    expect(ids).toEqual(gql.messages.edges.map((e: any) => e.node.msgId));
    const first = all.find((x) => x.body.id === 'h-01');
    expect(first).toMatchObject({
      message: { from: 'lena@localhost', to: 'marc@localhost', type: 'chat', msec_times: expect.any(String) },
      body: { id: 'h-01', msgType: '1', content: 'm1' },
      from: 'lena', from_host: 'localhost', to: 'marc', to_host: 'localhost', read_flag: 0,
    });
    expect(typeof first.t).toBe('number');
    // t is seconds; its ms part is the message's msec_times
    expect(Math.floor(first.t * 1000)).toBe(Number(first.message.msec_times));
    // /newapi gives the same; ms and s time parameters agree
    const again = await call('/newapi/gethistory.qunar', { user: 'lena', time: all[9].t, num: 1000 });
    expect(again.body.data.map((x: any) => x.body.id)).toEqual(ids.slice(10));
    const byMs = await call('/newapi/gethistory.qunar', { user: 'lena', time: Number(all[0].message.msec_times), num: 1000 });
    const bySec = await call('/newapi/gethistory.qunar', { user: 'lena', time: Number(all[0].message.msec_times) / 1000, num: 1000 });
    expect(byMs.body.data.length).toBe(bySec.body.data.length);
    expect(byMs.body.data.length).toBeGreaterThanOrEqual(40 - ids.filter((_, i) => all[i].message.msec_times === all[0].message.msec_times).length);
  });

  it('getmsgs pages one conversation back and forth; include takes the message at t', async () => {
    const older: any[] = [];
    let time: unknown = undefined;
    for (;;) {
      const r = await call('/newapi/getmsgs.qunar', { from: 'lena', fhost: 'localhost', to: 'marc', thost: 'localhost', direction: '0', num: 7, ...(time ? { time } : {}) });
      expect(r.body.ret).toBe(true);
      older.unshift(...r.body.data);
      if (r.body.data.length < 7) break;
      time = r.body.data[0].t;
    }
    const ids = older.map((x) => x.body.id);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    const newer = await follow('/newapi/getmsgs.qunar', { from: 'marc', to: 'lena', direction: '1' }, 6);
    expect(newer.map((x) => x.body.id)).toEqual(ids);
    const at = await call('/newapi/getmsgs.qunar', { from: 'lena', to: 'marc', direction: '1', include: 't', time: older[5].t, num: 2 });
    expect(at.body.data.map((x: any) => x.body.id)).toEqual(ids.slice(5, 7));
  });

  it("refuses another pair's conversation, a user field that is not the cookie's, and a bad time", async () => {
    const zck = qckey('zack', zs.key);
    const foreign = await call('/newapi/getmsgs.qunar', { from: 'lena', to: 'marc', direction: '0', num: 10 }, zck);
    expect(foreign.body).toMatchObject({ ret: false, errcode: 3 });
    const claimed = await call('/newapi/gethistory.qunar', { user: 'lena', time: 0, num: 10 }, zck);
    expect(claimed.body).toMatchObject({ ret: false, errcode: 3, errmsg: 'ukey not match' });
    const mine = await call('/newapi/gethistory.qunar', { user: 'zack', time: 0, num: 10 }, zck);
    expect(mine.body).toMatchObject({ ret: true, data: [] });
    const bad = await call('/newapi/gethistory.qunar', { user: 'lena', time: 'yesterday' });
    expect(bad.body).toMatchObject({ ret: false, errcode: 1 });
  });

  it('getreadflag reports read states set over GraphQL; a recall shows as the revoke marker', async () => {
    const since = Date.now() - 1;
    const { sendMessage } = await send(marc.token, 'lena', 'read me', 'rf-1');
    const conv = await t.ok('{ messages(with:"marc", first:1){ edges { node { conversationId } } } }', {}, lena.token);
    const marked = await t.ok('mutation($c:ID!,$m:[ID!]!){ markMessages(conversationId:$c, messageIds:$m, state:READ){ changedIds } }',
      { c: conv.messages.edges[0].node.conversationId, m: [sendMessage.id] }, lena.token);
    expect(marked.markMessages.changedIds).toEqual([sendMessage.id]);
    const flags = await call('/newapi/getreadflag.qunar', { time: since, domain: 'localhost' });
    expect(flags.body.data).toContainEqual({ msgid: 'rf-1', readflag: 3 });
    const mine = await send(lena.token, 'marc', 'oops', 'rv-1');
    await t.ok('mutation($id:ID!){ recallMessage(messageId:$id){ recalled } }', { id: mine.sendMessage.id }, lena.token);
    const h = await call('/newapi/gethistory.qunar', { user: 'lena', time: since, num: 100 });
    expect(h.body.data.find((x: any) => x.body.id === 'rv-1')).toMatchObject({
      message: { type: 'revoke' }, body: { msgType: '-1', content: '[撤销一条消息]' },
    });
  });
});

describe('group history', () => {
  it('getmuchistory, getmucmsgs (members only), read marks and recent conversations', async () => {
    const g = await t.ok('mutation{ createGroup(input:{name:"Ops", members:["marc"]}){ id } }', {}, lena.token);
    const groupId = g.createGroup.id;
    const since = Date.now() - 1;
    const sent = [];
    for (let i = 0; i < 5; i++) {
      sent.push(await t.ok('mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id msgId } }',
        { i: { groupId, body: `g${i}`, msgId: `g-${i}` } }, i % 2 ? lena.token : marc.token));
    }
    const mh = await call('/newapi/getmuchistory.qunar', { user: 'lena', host: 'localhost', time: since, num: 100 });
    expect(mh.body.data.map((x: any) => x.body.id)).toEqual(['g-0', 'g-1', 'g-2', 'g-3', 'g-4']);
    const room = mh.body.data[0].muc;
    expect(mh.body.data[0]).toMatchObject({
      message: { type: 'groupchat', to: `${room}@conference.localhost`, sendjid: 'marc@localhost', realfrom: 'marc@localhost' },
      nick: 'MARC', host: 'localhost',
    });
    const page = await call('/newapi/getmucmsgs.qunar', { muc: room, direction: '0', num: 3, domain: 'localhost' });
    expect(page.body.data.map((x: any) => x.body.id)).toEqual(['g-2', 'g-3', 'g-4']);
    // zack is not a member: Startalk answered anyway; we do not
    const refused = await call('/newapi/getmucmsgs.qunar', { muc: room, direction: '0', num: 3 }, qckey('zack', zs.key));
    expect(refused.body.ret).toBe(false);
    await t.ok('mutation($g:ID!,$u:ID!){ markGroupRead(groupId:$g, upTo:$u) }', { g: groupId, u: sent[2].sendGroupMessage.id }, lena.token);
    const marks = await call('/newapi/get_muc_readmark.qunar', { user: 'lena', host: 'localhost' });
    expect(marks.body.data).toContainEqual({ muc_name: room, domain: 'conference.localhost', date: expect.any(Number) });
    const changed = await call('/newapi/get_muc_readmark1.qunar', { user: 'lena', host: 'localhost', time: since });
    expect(changed.body.data.map((x: any) => x.muc_name)).toContain(room);
    const unread = await call('/newapi/getmuchistory.qunar', { user: 'lena', time: -1 });
    expect(unread.body.data.map((x: any) => x.body.id)).toEqual(['g-3']);
    const rbl = await call('/package/qtapi/getrbl.qunar', { user: 'lena', domain: 'localhost' });
    const grp = rbl.body.data.find((x: any) => x.mFlag === 2);
    expect(grp).toMatchObject({ user: room, host: 'conference.localhost', cnt: 1 });
    expect(grp.xmlBody).toMatch(/^<message [^>]*type="groupchat"[^>]*><body [^>]*id="g-4"[^>]*>g4<\/body><\/message>$/);
    expect(rbl.body.data.find((x: any) => x.mFlag === 1)).toMatchObject({ user: 'marc', host: 'localhost' });
  });
});
