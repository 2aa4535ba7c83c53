// Read state: 1:1 marks, group read pointers, "everything before T", unread counts across
// devices, recall events, typing limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';

let t: TestApp;
type U = { id: string; token: string };
let ann: U;
let ben: U;
let cat: U;

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', TYPING_PER_SEC: '1' });
  ({ ann, ben, cat } = await users(t, 'ann', 'ben', 'cat'));
});
afterAll(() => t?.close());

const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id conversationId createdAt } }';
const GSEND = 'mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id createdAt } }';
const CONVS = '{ conversations { id kind name unreadCount } }';
const unread = async (token: string) =>
  Object.fromEntries((await t.ok(CONVS, {}, token)).conversations.map((c: any) => [c.id, c.unreadCount]));

describe('group read pointer', () => {
  it('unread counts follow a read pointer moved from another device, which hears of it', async () => {
    const g = (await t.ok('mutation { createGroup(input:{name:"rp", members:["ben","cat"]}) { id } }', {}, ann.token)).createGroup.id;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await t.ok(GSEND, { i: { groupId: g, body: `g${i}` } }, ann.token)).sendGroupMessage.id);
    await t.ok(GSEND, { i: { groupId: g, body: 'own' } }, ben.token);
    expect((await unread(ben.token))[g]).toBe(4); // own messages never count
    expect((await unread(cat.token))[g]).toBe(5);

    const benPhone = await t.login('ben', 'password-123');
    const desk = collect(t.ws(ben.token), 'subscription { events { __typename ... on GroupReadEvent { groupId readUpTo } } }');
    const annSub = collect(t.ws(ann.token), 'subscription { events { __typename } }');
    await sleep(200);
    await t.ok('mutation($g:ID!,$m:ID!){ markGroupRead(groupId:$g, upTo:$m) }', { g, m: ids[1] }, benPhone);
    const [ev] = await desk.waitFor(1);
    expect(ev.events).toEqual({ __typename: 'GroupReadEvent', groupId: g, readUpTo: ids[1] });
    expect((await unread(ben.token))[g]).toBe(2);
    // a pointer never moves back
    await t.ok('mutation($g:ID!,$m:ID!){ markGroupRead(groupId:$g, upTo:$m) }', { g, m: ids[0] }, benPhone);
    expect((await unread(ben.token))[g]).toBe(2);
    await sleep(200);
    expect(annSub.items).toEqual([]); // read pointers are private to the reader's devices
    expect((await unread(cat.token))[g]).toBe(5);
    const outsider = await t.gql('mutation($g:ID!,$m:ID!){ markGroupRead(groupId:$g, upTo:$m) }', { g, m: ids[3] }, (await t.createUser('dan')).token);
    expect(outsider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    desk.stop();
    annSub.stop();
  });
});

describe('mark everything before T read (Startalk read_type 0)', () => {
  it('reads 1:1 and group messages up to T, tells the peers, and leaves later ones unread', async () => {
    const { eve, fay } = await users(t, 'eve', 'fay');
    const g = (await t.ok('mutation { createGroup(input:{name:"all", members:["eve"]}) { id } }', {}, fay.token)).createGroup.id;
    const d1 = (await t.ok(SEND, { i: { to: 'eve', body: 'd1' } }, fay.token)).sendMessage;
    await t.ok(GSEND, { i: { groupId: g, body: 'g1' } }, fay.token);
    await sleep(5);
    const cutoff = Date.now();
    await sleep(5);
    await t.ok(SEND, { i: { to: 'eve', body: 'd2' } }, fay.token);
    await t.ok(GSEND, { i: { groupId: g, body: 'g2' } }, fay.token);
    const before = await unread(eve.token);
    expect([before[d1.conversationId], before[g]]).toEqual([2, 2]);
    const faySub = collect(t.ws(fay.token), 'subscription { events { __typename ... on MessageStateEvent { messageIds state } } }');
    await sleep(200);
    await t.ok('mutation($b:Float!){ markAllRead(before:$b) }', { b: cutoff }, eve.token);
    const after = await unread(eve.token);
    expect([after[d1.conversationId], after[g]]).toEqual([1, 1]);
    const [ev] = await faySub.waitFor(1);
    expect(ev.events).toEqual({ __typename: 'MessageStateEvent', messageIds: [d1.id], state: 'READ' });
    faySub.stop();
  });
});

describe('1:1 recall', () => {
  it('the peer and the sender\'s other devices get the recall event; history shows the marker', async () => {
    const m = (await t.ok(SEND, { i: { to: 'cat', body: 'secret' } }, ann.token)).sendMessage;
    const catSub = collect(t.ws(cat.token), 'subscription { events { __typename ... on MessageRecalledEvent { messageId by { username } } } }');
    const annOther = collect(t.ws(ann.token), 'subscription { events { __typename } }');
    await sleep(200);
    await t.ok('mutation($m:ID!){ recallMessage(messageId:$m){ recalled } }', { m: m.id }, ann.token);
    expect((await catSub.waitFor(1))[0].events).toEqual({ __typename: 'MessageRecalledEvent', messageId: m.id, by: { username: 'ann' } });
    expect((await annOther.waitFor(1))[0].events.__typename).toBe('MessageRecalledEvent');
    const h = await t.ok('{ messages(with:"ann", first:1){ nodes { id body recalled msgType } } }', {}, cat.token);
    expect(h.messages.nodes[0]).toEqual({ id: m.id, body: '', recalled: true, msgType: -1 });
    // a recalled message no longer counts as unread
    expect((await unread(cat.token))[m.conversationId]).toBe(0);
    catSub.stop();
    annOther.stop();
  });
});

describe('typing', () => {
  it('reaches the peer only, and is rate-limited per sender', async () => {
    const benSub = collect(t.ws(ben.token), 'subscription { events { __typename ... on TypingEvent { user { username } } } }');
    const annSelf = collect(t.ws(ann.token), 'subscription { events { __typename } }');
    await sleep(200);
    const TYPE = 'mutation { sendTyping(to:"ben") }';
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await t.gql(TYPE, {}, ann.token)).errors?.[0]?.extensions?.code ?? 'OK');
    expect(codes.slice(0, 3)).toEqual(['OK', 'OK', 'OK']);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    const got = await benSub.waitFor(3);
    expect(got[0].events).toEqual({ __typename: 'TypingEvent', user: { username: 'ann' } });
    await sleep(200);
    expect(annSelf.items).toEqual([]);
    expect((await t.gql('mutation { sendTyping(to:"ben", groupId:"1") }', {}, ann.token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    benSub.stop();
    annSelf.stop();
  });
});
