// Everything the server emits to legacy sessions, parsed the way Startalk's clients parse it
// (helpers/startalk-parsers.ts, written from the web SDK and the Android client): chat, carbons,
// mstat, read marks, revokes, typing, group messages/revokes/typing, member and card presences,
// notify presences, MAM results, XEP-0280 copies; on XMPP/TCP and protobuf sessions of one user.
// Also the echo rule (COMPAT, Startalk's qtalk_c2s carbons): a session's own read marks and
// revokes go to the user's *other* sessions, with carbon_message="true", never back to it.
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from './helpers/app.js';
import { pbLogin, type Frame, type LoggedIn } from './helpers/pb-client.js';
import { parseLikeStartalkAndroid, parseLikeStartalkWebSdk, presenceLikeStartalkWebSdk } from './helpers/startalk-parsers.js';
import { xmppLogin, type Stanza, type XmppClient } from './helpers/xmpp.js';

let t: TestApp;
let ben: { token: string };
let web: XmppClient; // amy, Startalk web-like (XML)
let pc: XmppClient; // amy, a second XML session
let phone: LoggedIn; // amy, protobuf
let benX: XmppClient; // ben, XML
const AMY = 'amy@localhost';
const BEN = 'ben@localhost';

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0', PB_PORT: '0' });
  await t.createUser('amy');
  ben = await t.createUser('ben');
  web = await xmppLogin(t.app.bridgePort!, 'amy', 'web');
  pc = await xmppLogin(t.app.bridgePort!, 'amy', 'pc');
  phone = await pbLogin(t.app.pbPort!, 'amy', 'password-123', { resource: 'V[1]_P[Android]_ID[fidelity]' });
  benX = await xmppLogin(t.app.bridgePort!, 'ben', 'x');
  await sleep(200); // initial presences processed
});
afterAll(async () => {
  phone?.c.close();
  for (const c of [web, pc, benX]) await c?.c.stop().catch(() => {});
  await t?.close();
});

const gql = (q: string, v: Record<string, unknown> = {}) => t.ok(q, v, ben.token);
const sendToAmy = (msgId: string, body: string) => gql('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }', { i: { to: 'amy', body, msgId } });
const readmarkFor = (id: string) => (s: Stanza) => s.name === 'message' && s.attrs.type === 'readmark' && s.getChildText('body')?.includes(`"${id}"`);
const revokeOf = (id: string) => (s: Stanza) => s.name === 'message' && s.attrs.type === 'revoke' && s.getChild('body')?.attrs.id === id;
const pbMessage = (signal: number, pred: (f: Frame) => boolean = () => true) => (f: Frame) => f.signalType === signal && pred(f);
const mark = (to: string, readType: string, ids: string[]) =>
  xml('message', { type: 'readmark', read_type: readType, to }, xml('body', { msgType: '1', maType: '3' }, JSON.stringify(ids.map((id) => ({ id })))));
/** what a session got that it should not have: waits a little for stragglers first */
const none = async <T>(list: T[], pred: (x: T) => boolean) => {
  await sleep(300);
  return list.filter(pred);
};

describe('own read marks and revokes: to the other sessions only', () => {
  it('an XML session\'s read mark 4 reaches the other XML and PB sessions as a carbon, not itself', async () => {
    await sendToAmy('fid-1', 'read me on the web');
    await web.waitFor((s) => s.getChild('body')?.attrs.id === 'fid-1');
    await web.c.send(mark(BEN, '3', ['fid-1']));
    await web.c.send(mark(BEN, '4', ['fid-1']));
    const copy = await pc.waitFor(readmarkFor('fid-1'));
    expect(copy.attrs).toMatchObject({ read_type: '4', carbon_message: 'true', from: BEN, to: `${AMY}/pc` });
    expect(copy.getChild('body').attrs).toMatchObject({ msgType: '1', id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const pb = await phone.c.waitFor(pbMessage(13, (f) => f.m.body.value.includes('fid-1')));
    expect(parseLikeStartalkAndroid(pb.pm as never, AMY)).toMatchObject({ carbon: true, ids: ['fid-1'], conversation: BEN });
    // ben sees both marks; amy's web session hears none of its own back, and read_type 3 is not copied
    await benX.waitFor((s) => readmarkFor('fid-1')(s) && s.attrs.read_type === '4');
    expect(await none(web.stanzas, readmarkFor('fid-1'))).toEqual([]);
    expect(pc.stanzas.filter(readmarkFor('fid-1')).map((s) => s.attrs.read_type)).toEqual(['4']);
  });

  it('a PB session\'s read mark reaches the XML sessions as a carbon, not itself', async () => {
    await sendToAmy('fid-2', 'read me on the phone');
    await phone.c.waitFor(pbMessage(6, (f) => f.m.messageId === 'fid-2'));
    phone.c.message(13, BEN, { messageId: 'pb-mark-2', body: { value: JSON.stringify([{ id: 'fid-2' }]), headers: [{ definedKey: 5, value: '4' }] } });
    for (const x of [web, pc]) expect((await x.waitFor(readmarkFor('fid-2'))).attrs).toMatchObject({ read_type: '4', carbon_message: 'true', from: BEN });
    expect(await none(phone.c.frames, pbMessage(13, (f) => f.m.body.value.includes('fid-2')))).toEqual([]);
  });

  it('the peer\'s read marks reach every session, not as carbons', async () => {
    await web.c.send(xml('message', { type: 'chat', to: BEN }, xml('body', { id: 'fid-3', msgType: '1', maType: '6' }, 'from amy')));
    await benX.waitFor((s) => s.getChild('body')?.attrs.id === 'fid-3');
    await benX.c.send(mark(AMY, '4', ['fid-3']));
    for (const x of [web, pc]) {
      const m = await x.waitFor(readmarkFor('fid-3'));
      expect(m.attrs).toMatchObject({ read_type: '4', from: BEN });
      expect(m.attrs.carbon_message).toBeUndefined();
    }
    const pb = await phone.c.waitFor(pbMessage(13, (f) => f.m.body.value.includes('fid-3')));
    expect(parseLikeStartalkAndroid(pb.pm as never, AMY)).toMatchObject({ carbon: false, ids: ['fid-3'] });
  });

  it('a 1:1 revoke: the other sessions (XML and PB) get it with carbon_message, the revoking one nothing', async () => {
    await web.c.send(xml('message', { type: 'chat', to: BEN }, xml('body', { id: 'fid-4', msgType: '1' }, 'take it back')));
    await benX.waitFor((s) => s.getChild('body')?.attrs.id === 'fid-4');
    await web.c.send(xml('message', { type: 'revoke', to: BEN },
      xml('body', { id: 'fid-4', msgType: '-1', maType: '3' }, JSON.stringify({ messageId: 'fid-4', fromId: AMY, message: 'revoke a message' }))));
    const copy = await pc.waitFor(revokeOf('fid-4'));
    expect(copy.attrs).toMatchObject({ carbon_message: 'true', from: BEN });
    expect(JSON.parse(copy.getChildText('body'))).toMatchObject({ messageId: 'fid-4', fromId: AMY });
    const pb = await phone.c.waitFor(pbMessage(14, (f) => f.m.messageId === 'fid-4'));
    expect(parseLikeStartalkAndroid(pb.pm as never, AMY)).toMatchObject({ carbon: true, messageType: -1, ids: ['fid-4'] });
    expect((await benX.waitFor(revokeOf('fid-4'))).attrs.carbon_message).toBeUndefined();
    expect(await none(web.stanzas, revokeOf('fid-4'))).toEqual([]);
  });

  it('a PB revoke: the XML sessions get the copy, the PB session nothing', async () => {
    phone.c.message(6, BEN, { messageId: 'fid-5', body: { value: 'oops from the phone' } });
    await phone.c.waitFor(pbMessage(16, (f) => f.m.messageId === 'fid-5'));
    phone.c.message(14, BEN, { messageId: 'fid-5', messageType: -1, body: { value: JSON.stringify({ messageId: 'fid-5', fromId: AMY, message: 'revoke a message' }) } });
    for (const x of [web, pc]) expect((await x.waitFor(revokeOf('fid-5'))).attrs.carbon_message).toBe('true');
    expect(await none(phone.c.frames, pbMessage(14, (f) => f.m.messageId === 'fid-5'))).toEqual([]);
  });
});

describe('every stanza and frame, parsed as the clients parse them', () => {
  it('drives every kind of server stanza, then parses all of them', async () => {
    // typing, a chat carbon, groups (create, message both ways, card update, revoke, typing), MAM, XEP-0280
    await gql('mutation { sendTyping(to:"amy") }');
    await web.waitFor((s) => s.attrs.type === 'typing');
    const g = await gql('mutation { createGroup(input:{name:"Fidelity", members:["amy"]}) { id card { roomName } } }');
    const groupId = g.createGroup.id;
    const room = `${g.createGroup.card.roomName}@conference.localhost`;
    const sent = await gql('mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"hello group", msgId:"fid-g1"}) { id } }', { g: groupId });
    await web.waitFor((s) => s.attrs.type === 'groupchat' && s.getChild('body')?.attrs.id === 'fid-g1');
    await web.c.send(xml('message', { type: 'groupchat', to: room }, xml('body', { id: 'fid-g2', msgType: '1', maType: '6' }, 'hi all')));
    await pc.waitFor((s) => s.attrs.type === 'groupchat' && s.getChild('body')?.attrs.id === 'fid-g2');
    await gql('mutation($g:ID!){ updateGroup(groupId:$g, input:{name:"Fidelity 2"}) { id } }', { g: groupId });
    await web.waitFor((s) => s.name === 'presence' && !!s.getChild('vcard_updte'));
    await gql('mutation($m:ID!){ recallMessage(messageId:$m) { id } }', { m: sent.sendGroupMessage.id });
    await web.waitFor(revokeOf('fid-g1'));
    await gql('mutation($g:ID!){ sendTyping(groupId:$g) }', { g: groupId });
    await web.waitFor((s) => s.attrs.type === 'typing' && String(s.attrs.from).startsWith(room));
    await web.c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' })));
    await pc.c.iqCaller.request(xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })));
    await web.c.send(xml('message', { type: 'chat', to: BEN }, xml('body', { id: 'fid-6', msgType: '1' }, 'carbon me')));
    await pc.waitFor((s) => !!s.getChild('sent', 'urn:xmpp:carbons:2'));
    await gql('mutation($g:ID!){ destroyGroup(groupId:$g) }', { g: groupId });
    await web.waitFor((s) => s.name === 'presence' && s.attrs.type === 'unavailable');
    await sleep(300);

    const kinds = new Set<string>();
    for (const [x, me] of [[web, AMY], [pc, AMY], [benX, BEN]] as const) {
      for (const s of x.stanzas) {
        kinds.add(`${s.name}/${s.attrs.type ?? s.attrs.xmlns ?? (s.children[0] as Stanza)?.name ?? ''}`);
        // the web SDK's handlers: they must not throw on anything the server sends
        expect(() => parseLikeStartalkWebSdk(s, me, BEN), s.toString()).not.toThrow();
        expect(() => presenceLikeStartalkWebSdk(s), s.toString()).not.toThrow();
        // every <body> anywhere carries id and msgType (COMPAT: the mstat tick is Startalk's
        // <body id stat="sent"/>, read for its id only, and dropped by the SDK by type)
        for (const b of bodies(s)) {
          expect(b.attrs.id, s.toString()).toBeTruthy();
          if (s.attrs.type !== 'mstat') expect(b.attrs.msgType, s.toString()).toMatch(/^-?\d+$/);
        }
      }
    }
    // the kinds covered, so a change that stops emitting one is seen here
    for (const k of ['message/chat', 'message/mstat', 'message/readmark', 'message/revoke', 'message/typing', 'message/groupchat',
      'presence/notify', 'presence/unavailable', 'iq/result']) expect([...kinds], k).toContain(k);
    expect(web.stanzas.some((s) => s.getChild('result', 'urn:xmpp:mam:2'))).toBe(true);
    expect(web.stanzas.some((s) => s.attrs.xmlns === 'http://jabber.org/protocol/muc#vcard_update')).toBe(true);
    // the SDK sees the group messages from the room with the sender, its own as its own
    const g2 = web.stanzas.find((s) => s.attrs.type === 'groupchat' && s.getChild('body')?.attrs.id === 'fid-g2')!;
    expect(parseLikeStartalkWebSdk(g2, AMY)).toMatchObject({ isMe: true, msgType: '1', content: 'hi all' });
    // Android: every message frame the phone got parses
    const signals = new Set<number>();
    for (const f of phone.c.frames.filter((x) => [6, 7, 10, 13, 14, 16].includes(x.signalType))) {
      signals.add(f.signalType);
      expect(() => parseLikeStartalkAndroid(f.pm as never, AMY), JSON.stringify(f.m)).not.toThrow();
    }
    expect([...signals].sort((a, b) => a - b)).toEqual([6, 7, 10, 13, 14, 16]);
  });
});

function bodies(s: Stanza, out: Stanza[] = []): Stanza[] {
  for (const c of s.children as (Stanza | string)[]) {
    if (typeof c === 'string') continue;
    if (c.name === 'body') out.push(c);
    bodies(c, out);
  }
  return out;
}
