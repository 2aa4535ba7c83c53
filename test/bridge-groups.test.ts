// Startalk group chat over the XMPP bridge with real clients (@xmpp/client) and GraphQL users:
// room IQs, member presences and pushes, group messages both ways, roles, leave, kick, destroy,
// group readmarks, and notify presences (PROTOCOL.md §5, §4.3, §4.6).
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';
import { xmppLogin, type Stanza, type XmppClient } from './helpers/xmpp.js';

let t: TestApp;
let xmppPort: number;
const open: { stop(): Promise<unknown> }[] = [];
const P = 'http://jabber.org/protocol/';
const ROOM = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const ROOM_JID = `${ROOM}@conference.localhost`;
const tokens: Record<string, string> = {};


beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  xmppPort = t.app.bridgePort as number;
  for (const u of ['ann', 'bob', 'cat', 'dan']) tokens[u] = (await t.createUser(u)).token;
});
afterAll(async () => {
  for (const c of open) await c.stop().catch(() => {});
  await t?.close();
});

async function login(username: string, resource = 'r1') {
  const x = await xmppLogin(xmppPort, username, resource);
  open.push(x.c);
  return x;
}

const presenceNs = (ns: string) => (s: Stanza) => s.name === 'presence' && s.attrs.xmlns === ns;
const mucUser = (s: Stanza) => s.name === 'presence' && !!s.getChild('x', `${P}muc#user`);
const push = (name: string) => (s: Stanza) => s.name === 'iq' && s.attrs.type === 'result' && !!s.getChild(name, `${P}muc#${name}`);

describe('Startalk group chat over XMPP', () => {
  let ann: XmppClient;
  let bob: XmppClient;
  let dan: XmppClient;
  let groupId: string;

  it('creates a room with create_muc: the creator is owner and gets add_user and its join presence', async () => {
    ann = await login('ann');
    bob = await login('bob');
    dan = await login('dan');
    const res = await ann.iq('set', `${P}create_muc`, ROOM_JID);
    expect(res.attrs.from).toBe(ROOM_JID);
    expect(res.getChild('query', `${P}create_muc`).getChild('create_muc').attrs.result).toBe('success');
    await ann.waitFor(push('add_user'));
    const join = await ann.waitFor(mucUser);
    expect(join.attrs.from).toBe(`${ROOM_JID}/ann_localhost`);
    expect(join.getChild('x').getChild('item').attrs).toMatchObject({ jid: 'ann@localhost', affiliation: 'owner', domain: 'localhost' });
    // again by the creator: success (a retry); by someone else: failed, the name is taken
    const again = await ann.iq('set', `${P}create_muc`, ROOM_JID);
    expect(again.getChild('query').getChild('create_muc').attrs.result).toBe('success');
    const taken = await bob.iq('set', `${P}create_muc`, `${ROOM.toUpperCase()}@conference.localhost`); // JID local parts ignore case
    expect(taken.getChild('query').getChild('create_muc').attrs.result).toBe('failed');
    // the core group remembers the room name
    const g = await t.ok('{ myGroups { entries { role card { id roomName name memberCount } } } }', {}, tokens.ann);
    expect(g.myGroups.entries).toEqual([{ role: 'OWNER', card: expect.objectContaining({ roomName: ROOM, name: '', memberCount: 1 }) }]);
    groupId = g.myGroups.entries[0].card.id;
  });

  it('invites with muc#invite_v2: per-invitee status, add_user to invitees, invite presences to members', async () => {
    const res = await ann.iq('set', `${P}muc#invite_v2`, ROOM_JID,
      xml('invite', { jid: 'bob@localhost', nick: 'Bob' }), xml('invite', { jid: 'cat@localhost' }),
      xml('invite', { jid: 'dan@localhost' }), xml('invite', { jid: 'nobody@localhost' }));
    const items = res.getChild('query', `${P}muc#invite_v2`).getChildren('muc_invites').map((m: Stanza) => m.attrs);
    expect(items).toEqual([
      { jid: 'bob@localhost', status: '0' }, { jid: 'cat@localhost', status: '0' },
      { jid: 'dan@localhost', status: '0' }, { jid: 'nobody@localhost', status: '1' },
    ]);
    await bob.waitFor(push('add_user'));
    const bobInvite = await bob.waitFor((s) => presenceNs(`${P}muc#invite`)(s) && s.attrs.invite_jid === 'bob@localhost');
    expect(bobInvite.attrs).toMatchObject({ from: ROOM_JID, status: '0' });
    for (const who of ['bob', 'cat', 'dan']) {
      await ann.waitFor((s) => presenceNs(`${P}muc#invite`)(s) && s.attrs.invite_jid === `${who}@localhost`);
    }
    // a stranger cannot invite into a room they are not in
    const stranger = await login('cat', 'stranger-check');
    await expect(stranger.iq('set', `${P}muc#invite_v2`, 'nosuchroom@conference.localhost', xml('invite', { jid: 'x@localhost' })))
      .rejects.toThrow(/item-not-found/);
    await stranger.c.stop();
  });

  it('lists members with muc#register (members only), and the user\'s rooms with muc#user_mucs', async () => {
    const res = await bob.iq('get', `${P}muc#register`, ROOM_JID);
    const users = res.getChild('query', `${P}muc#register`).getChildren('m_user').map((m: Stanza) => m.attrs);
    expect(users).toHaveLength(4);
    expect(users).toEqual(expect.arrayContaining([
      { jid: 'ann@localhost', affiliation: 'owner' }, { jid: 'bob@localhost' }, { jid: 'cat@localhost' }, { jid: 'dan@localhost' },
    ]));
    const mine = await bob.iq('get', `${P}muc#user_mucs`, 'conference.localhost');
    expect(mine.getChild('query', `${P}muc#user_mucs`).getChildren('muc_rooms').map((m: Stanza) => m.attrs))
      .toEqual([{ name: ROOM, host: 'conference.localhost' }]);
    // self-registration of a member is a no-op success
    const reg = await bob.iq('set', `${P}muc#register`, ROOM_JID);
    expect(reg.getChild('query').getChild('set_register')).toBeTruthy();
  });

  it('sends a group message XMPP -> XMPP members (sender echo included) and a GraphQL member, stored once, with the mstat ack', async () => {
    const catSub = collect(t.ws(tokens.cat), 'subscription { events { ... on MessageAddedEvent { message { msgId body conversationId from { username } } } } }');
    await sleep(200);
    await ann.c.send(xml('message', { type: 'groupchat', to: ROOM_JID }, xml('body', { id: 'grp-0001', msgType: '1' }, 'hello room')));
    const ack = await ann.waitFor((s) => s.attrs.type === 'mstat');
    expect(ack.getChild('body').attrs).toMatchObject({ id: 'grp-0001', stat: 'sent' });
    const got = await bob.waitFor((s) => s.attrs.type === 'groupchat' && s.getChildText('body') === 'hello room');
    expect(got.attrs).toMatchObject({
      from: `${ROOM_JID}/ann_localhost`, to: 'bob@localhost/r1', sendjid: 'ann@localhost', realfrom: 'ann@localhost',
      msec_times: ack.attrs.msec_times,
    });
    expect(got.getChild('body').attrs).toMatchObject({ id: 'grp-0001', msgType: '1' });
    const echo = await ann.waitFor((s) => s.attrs.type === 'groupchat' && s.getChild('body')?.attrs.id === 'grp-0001');
    expect(echo.attrs.sendjid).toBe('ann@localhost');
    const [ev] = await catSub.waitFor(1);
    expect(ev.events.message).toEqual({ msgId: 'grp-0001', body: 'hello room', conversationId: groupId, from: { username: 'ann' } });
    // a retry with the same body id is acknowledged, not stored or delivered again
    await ann.c.send(xml('message', { type: 'groupchat', to: ROOM_JID }, xml('body', { id: 'grp-0001' }, 'hello room')));
    await ann.waitFor((s) => s.attrs.type === 'mstat' && s !== ack);
    await sleep(200);
    const n = await t.db.query("SELECT count(*)::int AS n FROM messages WHERE msg_id = 'grp-0001'");
    expect(n.rows[0].n).toBe(1);
    expect(bob.stanzas.filter((s) => s.getChild('body')?.attrs.id === 'grp-0001')).toHaveLength(1);
    catSub.stop();
  });

  it('delivers a GraphQL group message to XMPP members from the room JID with sendjid/realfrom', async () => {
    await t.ok('mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"from graphql", msgId:"gq-0001", msgType:3}) { id } }', { g: groupId }, tokens.cat);
    for (const x of [ann, bob, dan]) {
      const m = await x.waitFor((s) => s.attrs.type === 'groupchat' && s.getChildText('body') === 'from graphql');
      expect(m.attrs).toMatchObject({ from: `${ROOM_JID}/cat_localhost`, sendjid: 'cat@localhost', realfrom: 'cat@localhost' });
      expect(m.getChild('body').attrs).toMatchObject({ id: 'gq-0001', msgType: '3' });
    }
  });

  it('maps a group readmark (read_type 2) onto the read pointer GraphQL shows', async () => {
    const unread = async () => {
      const d = await t.ok('{ conversations { id unreadCount } }', {}, tokens.bob);
      return d.conversations.find((c: { id: string }) => c.id === groupId)?.unreadCount;
    };
    expect(await unread()).toBe(2);
    await bob.c.send(xml('message', { type: 'readmark', read_type: '2', to: 'bob@localhost' },
      xml('body', {}, JSON.stringify([{ id: ROOM, domain: 'conference.localhost', t: Date.now() }]))));
    await eventually(async () => (await unread()) === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'the group readmark to clear unread' });
    expect(await unread()).toBe(0);
  });

  it('recalls a group message over XMPP: every member gets the room\'s revoke', async () => {
    await bob.c.send(xml('message', { type: 'groupchat', to: ROOM_JID }, xml('body', { id: 'grp-oops' }, 'oops')));
    await bob.waitFor((s) => s.attrs.type === 'mstat' && s.getChild('body')?.attrs.id === 'grp-oops');
    await bob.c.send(xml('message', { type: 'revoke', to: ROOM_JID },
      xml('body', { id: 'grp-oops', msgType: '-1' }, JSON.stringify({ messageId: 'grp-oops', fromId: 'bob@localhost', message: 'revoke a message' }))));
    const rv = await ann.waitFor((s) => s.attrs.type === 'revoke' && s.getChild('body')?.attrs.id === 'grp-oops');
    expect(rv.attrs).toMatchObject({ from: `${ROOM_JID}/bob_localhost`, sendjid: 'bob@localhost' });
    // only the sender may recall: bob has no message grp-0001 (ann's) to take back
    await bob.c.send(xml('message', { type: 'revoke', to: ROOM_JID, id: 'not-mine' }, xml('body', { id: 'grp-0001', msgType: '-1' })));
    await bob.waitFor((s) => s.attrs.type === 'error' && s.attrs.id === 'not-mine');
    const n = await t.db.query("SELECT recalled_at FROM messages WHERE msg_id = 'grp-0001'");
    expect(n.rows[0].recalled_at).toBeNull();
  });

  it('kicks with muc#admin: refused for a plain member, allowed for an admin the owner made', async () => {
    await expect(bob.iq('set', `${P}muc#admin`, ROOM_JID, xml('item', { real_jid: 'dan@localhost', role: 'none' }))).rejects.toThrow(/forbidden/);
    await ann.iq('set', `${P}muc#admin`, ROOM_JID, xml('item', { real_jid: 'bob@localhost', affiliation: 'admin' }));
    const promoted = await dan.waitFor((s) => mucUser(s) && s.getChild('x').getChild('item').attrs.jid === 'bob@localhost');
    expect(promoted.getChild('x').getChild('item').attrs.affiliation).toBe('admin');
    // Android's misspelt read_jid works too
    await bob.iq('set', `${P}muc#admin`, ROOM_JID, xml('item', { read_jid: 'dan@localhost', role: 'none' }));
    await dan.waitFor(push('del_user'));
    const kicked = await dan.waitFor((s) => s.attrs.type === 'unavailable' && mucUser(s));
    expect(kicked.getChild('x').getChild('status').attrs.code).toBe('307');
    await ann.waitFor((s) => presenceNs(`${P}muc#del_register`)(s) && s.attrs.del_jid === 'dan@localhost');
    // dan is out: no more posting, no member list
    await dan.c.send(xml('message', { type: 'groupchat', to: ROOM_JID, id: 'after-kick' }, xml('body', { id: 'grp-kicked' }, 'still here?')));
    await dan.waitFor((s) => s.attrs.type === 'error' && s.attrs.id === 'after-kick');
    await expect(dan.iq('get', `${P}muc#register`, ROOM_JID)).rejects.toThrow(/item-not-found/);
  });

  it('leaves with muc#del_register: members see del_register, the leaver gets del_user', async () => {
    await t.ok('mutation($g:ID!){ inviteToGroup(groupId:$g, users:["dan"]) { id } }', { g: groupId }, tokens.ann);
    await dan.waitFor((s) => push('add_user')(s) && dan.stanzas.filter(push('add_user')).length === 2);
    const res = await dan.iq('set', `${P}muc#del_register`, ROOM_JID);
    expect(res.getChild('query', `${P}muc#del_register`)).toBeTruthy();
    await dan.waitFor((s) => push('del_user')(s) && dan.stanzas.filter(push('del_user')).length === 2);
    await bob.waitFor((s) => presenceNs(`${P}muc#del_register`)(s) && s.attrs.del_jid === 'dan@localhost');
  });

  it('announces a card change made over GraphQL with Startalk\'s vcard_update presence', async () => {
    await t.ok('mutation($g:ID!){ updateGroup(groupId:$g, input:{name:"Team", topic:"t1"}) { id } }', { g: groupId }, tokens.ann);
    const v = await bob.waitFor(presenceNs(`${P}muc#vcard_update`));
    expect(v.getChild('vcard_updte').attrs).toMatchObject({ nick: 'Team', title: 't1', version: '2' });
  });

  it('destroys with muc#owner: refused for a non-owner, then every member gets the destroy presence', async () => {
    await expect(bob.iq('set', `${P}muc#owner`, ROOM_JID, xml('destroy'))).rejects.toThrow(/forbidden/);
    await ann.iq('set', `${P}muc#owner`, ROOM_JID, xml('destroy'));
    for (const x of [ann, bob]) {
      const p = await x.waitFor((s) => s.attrs.type === 'unavailable' && mucUser(s) && !!s.getChild('x').getChild('destroy'));
      expect(p.attrs.from.startsWith(`${ROOM_JID}/`)).toBe(true);
    }
    const mine = await ann.iq('get', `${P}muc#user_mucs`, 'conference.localhost');
    expect(mine.getChild('query').getChildren('muc_rooms')).toEqual([]);
    const d = await t.ok('{ myGroups { entries { card { id } } } }', {}, tokens.cat);
    expect(d.myGroups.entries).toEqual([]);
  });

  it('brings a group created over GraphQL to XMPP members under its generated room name', async () => {
    const g = await t.ok('mutation { createGroup(input:{name:"web", members:["bob"]}) { id card { roomName } } }', {}, tokens.cat);
    const room = `${g.createGroup.card.roomName}@conference.localhost`;
    await bob.waitFor((s) => push('add_user')(s) && s.attrs.from === room);
    const join = await bob.waitFor((s) => mucUser(s) && s.attrs.from === `${room}/bob_localhost`);
    expect(join.getChild('x').getChild('item').attrs.affiliation).toBe('member');
    await bob.c.send(xml('message', { type: 'groupchat', to: room }, xml('body', { id: 'web-0001' }, 'to the web group')));
    const echo = await bob.waitFor((s) => s.getChild('body')?.attrs.id === 'web-0001' && s.attrs.type === 'groupchat');
    expect(echo.attrs.from).toBe(`${room}/bob_localhost`);
    // typing in the group, GraphQL -> XMPP, from the typist's room JID
    await t.ok('mutation($g:ID!){ sendTyping(groupId:$g) }', { g: g.createGroup.id }, tokens.cat);
    const ty = await bob.waitFor((s) => s.attrs.type === 'typing' && s.attrs.from === `${room}/cat_localhost`);
    expect(ty.attrs.sendjid).toBe('cat@localhost');
  });
});

describe('Startalk notify presences', () => {
  it('tells a user\'s sessions which clients are online (category 9) when another one comes', async () => {
    const first = await login('cat', 'plainresource');
    await sleep(100);
    const second = await login('cat', 'V[1.0]_P[PC64]_ID[abc]_PB');
    const n = await first.waitFor((s) => s.attrs.type === 'notify' && s.attrs.category === '9' && JSON.parse(s.attrs.data).length === 2);
    expect(JSON.parse(n.attrs.data).sort()).toEqual(['P[PC64]', 'plainresource']);
    expect(n.getChild('notify', 'jabber:x:presence_notify')).toBeTruthy();
    expect(n.attrs.from).toBe('cat@localhost');
    await second.c.stop();
    await first.waitFor((s) => s.attrs.type === 'notify' && s.attrs.category === '9' && s.attrs.data === '["plainresource"]');
    await first.c.stop();
  });

  it('lets an admin send any notify (GraphQL sendNotify) to users on XMPP and GraphQL, and nobody else', async () => {
    const x = await login('dan', 'notified');
    const sub = collect(t.ws(tokens.dan), 'subscription { events { ... on NotifyEvent { category data } } }');
    await sleep(200);
    const r = await t.ok('mutation { sendNotify(to:["dan"], category:1, data:"{\\"k\\":1}") }', {}, t.adminToken);
    expect(r.sendNotify).toBe(1);
    const p = await x.waitFor((s) => s.attrs.type === 'notify' && s.attrs.category === '1');
    expect(p.attrs).toMatchObject({ data: '{"k":1}', from: 'localhost' });
    const [ev] = await sub.waitFor(1);
    expect(ev.events).toEqual({ category: 1, data: '{"k":1}' });
    const refused = await t.gql('mutation { sendNotify(to:["dan"], category:1, data:"x") }', {}, tokens.ann);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    sub.stop();
    await x.c.stop();
  });
});
