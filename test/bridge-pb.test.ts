// Startalk's protobuf transport (PROTOCOL.md §2) with a client written from the spec
// (helpers/pb-client.ts): framing and TEA vectors, the §2.3 login, 1:1 chat with XML and
// GraphQL users, the mstat ack, carbons, readmark/revoke/typing, StreamEnd, corrupt frames.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameReader } from '../bridge/transports/pb/frame.js';
import { teaDecrypt, teaEncrypt } from '../bridge/transports/pb/tea.js';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { frame, hv, PbClient, pbLogin, protoMessage, rsaPassword, tea, type Frame } from './helpers/pb-client.js';
import { eventually } from './helpers/wait.js';
import { xmppLogin } from './helpers/xmpp.js';
import { ckeyMatches } from '../src/startalk/ckey.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

describe('PB framing (§2.1)', () => {
  it('TEA: the zero-key vector, and a round trip with a clear tail', () => {
    expect(teaEncrypt(Buffer.alloc(8)).toString('hex')).toBe('41ea3a0a94baa940');
    expect(tea(Buffer.alloc(8)).toString('hex')).toBe('41ea3a0a94baa940');
    const data = Buffer.from('a ProtoMessage of 29 bytes!!!');
    const enc = teaEncrypt(data);
    expect(enc.subarray(24)).toEqual(data.subarray(24)); // the 5-byte tail stays clear
    expect(enc.subarray(0, 24)).not.toEqual(data.subarray(0, 24));
    expect(teaDecrypt(enc)).toEqual(data);
  });

  it("matches the spec's worked Welcome frame, both ways", () => {
    const expected = hex('1b | 10 05 | 32 17 | dd 6d 33 2d 67 83 16 6c 41 74 2f 52 c6 aa d4 03 1a 05 61 64 6d 69 6e');
    const pm = protoMessage(100, { domain: 'qtalk', version: '1.0', user: 'admin' });
    expect(Buffer.from(pm)).toEqual(hex('10 64 2a 13 0a 05 71 74 61 6c 6b 12 03 31 2e 30 1a 05 61 64 6d 69 6e'));
    expect(frame(pm)).toEqual(expected);
    const decoded = decodeFrame(expected.subarray(1), 65536);
    expect(decoded.signalType).toBe(100);
    expect(encodeFrame(decoded)).toEqual(expected);
  });

  it('splits partial and coalesced reads, and refuses 5 length bytes and oversized frames', () => {
    const f1 = frame(protoMessage(30, {}));
    const f2 = frame(protoMessage(100, { domain: 'x'.repeat(300) })); // gzip, 2 length bytes
    const all = Buffer.concat([f1, f2, f1]);
    const r = new FrameReader(65536);
    const got: Buffer[] = [];
    for (const b of all) got.push(...r.push(Buffer.from([b])));
    expect(got.map((g) => decodeFrame(g, 65536).signalType)).toEqual([30, 100, 30]);
    expect(new FrameReader(65536).push(all).length).toBe(3);
    expect(() => new FrameReader(65536).push(hex('ff ff ff ff 01'))).toThrow(/4 varint bytes/);
    expect(() => new FrameReader(1000).push(hex('e9 07'))).toThrow(/over the 1000 limit/);
  });
});

let t: TestApp;
let pbPort: number;
let xmppPort: number;
const sockets: { close(): void }[] = [];
const xmppClients: { stop(): Promise<unknown> }[] = [];

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0', PB_PORT: '0', MAX_STANZA_BYTES: '4096' });
  pbPort = t.app.pbPort!;
  xmppPort = t.app.bridgePort!;
  for (const u of ['paula', 'pete', 'xavi', 'gina']) await t.createUser(u);
});
afterAll(async () => {
  for (const s of sockets) s.close();
  for (const c of xmppClients) await c.stop().catch(() => {});
  await t?.close();
});

async function login(user: string, password = 'password-123', o: Parameters<typeof pbLogin>[3] = {}) {
  const l = await pbLogin(pbPort, user, password, o);
  sockets.push(l.c);
  await sleep(50); // the initial presence is processed
  return l;
}

async function loginXmpp(username: string, resource: string) {
  const x = await xmppLogin(xmppPort, username, resource);
  xmppClients.push(x.c);
  return x;
}

const isChat = (body: string) => (f: Frame) => f.signalType === 6 && f.m.body?.value === body;

describe('PB login (§2.3)', () => {
  it('logs in with the plain password: Welcome, Auth success, bind result with time_value/key_value, navversion', async () => {
    const c = await PbClient.connect(pbPort);
    sockets.push(c);
    c.send(100, { domain: 'localhost', version: '1.0', user: 'paula' });
    const w = await c.waitFor((f) => f.signalType === 100);
    expect(w.m).toMatchObject({ domain: 'localhost', version: '1.0', user: 'paula', sockmod: '' });
    expect(w.pm.from).toBe('paula@localhost');
    expect(w.options).toBe(5); // small frames are TEA
    c.send(45, { mechanism: 'PLAIN', msgId: 'a1', authKey: Buffer.from('\0paula\0password-123').toString('base64') });
    const ok = await c.waitFor((f) => f.signalType === 4);
    expect(ok.m).toMatchObject({ code: 0, msgId: 'a1', body: { value: 'login sucess' } });
    const bind = await c.iq(1, { value: 'V[1.0]_P[iOS]_ID[abc]' }); // definedKey BIND, as Android sends it
    expect(bind.m).toMatchObject({ definedKey: 80, value: 'bind', body: { value: 'paula@localhost/V[1.0]_P[iOS]_ID[abc]' } });
    const key = hv(bind.m.body, 54)!;
    expect(Number(hv(bind.m.body, 52))).toBeGreaterThan(Date.now() / 1000 - 60);
    const paula = (await t.ok('{ me { id } }', {}, await t.login('paula', 'password-123'))).me.id;
    const ts = String(Date.now());
    expect(await t.app.core.sessionKeys.anyLive(paula, (s) => ckeyMatches(s, createHash('md5').update(key + ts).digest('hex').toUpperCase(), ts))).toBe(true);
    const nav = await c.waitFor((f) => f.signalType === 1);
    expect(nav.m).toMatchObject({ key: 'result', value: 'notify', definedKey: 7, categoryType: 3, body: { value: '{"navversion":"10000"}' } });
    // PING (string key, as iOS) and GET_USER_KEY
    expect((await c.iq('PING')).m).toMatchObject({ definedKey: 80, value: 'ping' });
    const gk = await c.iq(20);
    expect(gk.m.value).toBe('get_key');
    expect(hv(gk.m.body, 70)).toBe(key);
    c.close();
    await sleep(100);
    expect(await t.app.core.sessionKeys.anyLive(paula, (s) => ckeyMatches(s, createHash('md5').update(key + ts).digest('hex').toUpperCase(), ts))).toBe(false);
  });

  it('logs in with the Startalk RSA-JSON password and with gzip or raw client frames; refuses a wrong password', async () => {
    const rsa = await login('pete', rsaPassword({ p: 'password-123', u: 'pete', a: 'testapp', d: '2026-11-27 06:00:00' }), { encoding: 'gzip' });
    expect(rsa.jid).toMatch(/^pete@localhost\/V\[1\.0\]_P\[test\]/);
    expect(rsa.key).toMatch(/^[0-9A-F]{32}$/);
    const raw = await login('pete', 'password-123', { encoding: 'raw' });
    expect(raw.jid).toMatch(/^pete@localhost\//);
    await expect(login('pete', 'wrong-password')).rejects.toThrow(/login failed: not-authorized/);
    await expect(login('pete', rsaPassword({ p: 'password-123', u: 'paula' }))).rejects.toThrow(/not-authorized/);
    // a wrong host or version ends the stream with Startalk's 222
    const c = await PbClient.connect(pbPort);
    c.send(100, { domain: 'elsewhere', version: '1.0', user: 'pete' });
    expect((await c.waitFor((f) => f.signalType === 51)).m).toEqual({ code: 222, reason: 'host is not surport' });
    await c.closed;
  });

  it('ends the older session with StreamEnd 222 "replaced" when the same resource logs in again', async () => {
    const a = await login('gina', 'password-123', { resource: 'V[1]_P[PC]_ID[same]' });
    await login('gina', 'password-123', { resource: 'V[1]_P[PC]_ID[same]' });
    expect((await a.c.waitFor((f) => f.signalType === 51)).m).toEqual({ code: 222, reason: 'replaced' });
    await a.c.closed;
  });

  it('ends a token session with StreamEnd 201 when the token is revoked', async () => {
    const token = await t.login('gina', 'password-123');
    const a = await login('gina', token);
    await t.ok('mutation { logout }', {}, token);
    expect((await a.c.waitFor((f) => f.signalType === 51, 8000)).m.code).toBe(201);
  });
});

describe('PB chat', () => {
  it('PB -> GraphQL with the mstat ack, GraphQL -> PB, PB <-> XML both ways', async () => {
    const p = await login('paula');
    const sub = collect(t.ws(await t.login('pete', 'password-123')), 'subscription { events { ... on MessageAddedEvent { message { msgId body msgType extendInfo from { username } } } } }');
    await sleep(200);
    p.c.message(6, 'pete@localhost', { messageId: 'pb-0001', messageType: 1, body: { value: 'hi from pb', headers: [{ definedKey: 3, value: '{"x":1}' }] } });
    const ack = await p.c.waitFor((f) => f.signalType === 16);
    expect(ack.m.messageId).toBe('pb-0001');
    expect(ack.m.receivedTime).toBeGreaterThan(Date.now() - 60_000);
    expect((await sub.waitFor(1))[0].events.message).toEqual({ msgId: 'pb-0001', body: 'hi from pb', msgType: 1, extendInfo: '{"x":1}', from: { username: 'paula' } });
    sub.stop();

    // GraphQL -> PB, with a body long enough to travel gzipped
    const long = 'long '.repeat(60);
    await t.ok('mutation($b:String!){ sendMessage(input:{to:"paula", body:$b, msgId:"g-pb-1", msgType:5}) { id } }', { b: long }, await t.login('pete', 'password-123'));
    const got = await p.c.waitFor(isChat(long));
    expect(got.options).toBe(1);
    expect(got.pm).toMatchObject({ from: 'pete@localhost', to: p.jid });
    expect(got.m).toMatchObject({ messageId: 'g-pb-1', messageType: 5, clientType: 3 });
    expect(got.m.receivedTime).toBeGreaterThan(0);

    // XML -> PB and PB -> XML
    const x = await loginXmpp('xavi', 'desk');
    await sleep(100);
    await x.c.send(xml('message', { type: 'chat', to: 'paula@localhost' }, xml('body', { id: 'x-to-pb', msgType: '1' }, 'from xml')));
    const fromXml = await p.c.waitFor(isChat('from xml'));
    expect(fromXml.pm.from).toBe('xavi@localhost');
    expect(fromXml.m.messageId).toBe('x-to-pb');
    p.c.message(6, 'xavi@localhost', { messageId: 'pb-to-x', body: { value: 'from pb' } });
    const m = await x.waitFor((s) => s.getChildText('body') === 'from pb');
    expect(m.attrs).toMatchObject({ type: 'chat', from: 'paula@localhost' });
    expect(m.getChild('body').attrs).toMatchObject({ id: 'pb-to-x', msgType: '1' });
  });

  it('copies to the sender\'s other PB session as a carbon (header 72), not back to the sender', async () => {
    const phone = await login('xavi', 'password-123', { resource: 'V[1]_P[Android]_ID[phone]' });
    const pc = await login('xavi', 'password-123', { resource: 'V[1]_P[PC]_ID[pc]' });
    phone.c.message(6, 'gina@localhost', { messageId: 'carbon-pb', body: { value: 'to gina' } });
    await phone.c.waitFor((f) => f.signalType === 16 && f.m.messageId === 'carbon-pb');
    const copy = await pc.c.waitFor(isChat('to gina'));
    expect(copy.pm).toMatchObject({ from: 'gina@localhost', to: pc.jid });
    expect(hv(copy.m.body, 72)).toBe('true');
    await sleep(200);
    expect(phone.c.frames.filter(isChat('to gina'))).toEqual([]);
  });

  it('maps readmark, revoke and typing both ways with GraphQL', async () => {
    const p = await login('pete');
    const gToken = await t.login('gina', 'password-123');
    const gSub = collect(t.ws(gToken), `subscription { events { __typename
      ... on MessageStateEvent { msgIds state } ... on MessageRecalledEvent { msgId } ... on TypingEvent { user { username } } } }`);
    await sleep(200);
    const others = (n: number) => eventually(() => {
      const got = gSub.items.filter((e) => e.events.__typename && e.events.__typename !== 'MessageAddedEvent');
      return got.length >= n ? got.map((e) => e.events) : undefined;
    }, { timeoutMs: 10_000, what: `${n} events other than MessageAddedEvent` });
    await t.ok('mutation { sendMessage(input:{to:"pete", body:"read me", msgId:"pb-rm-1"}) { id } }', {}, gToken);
    await p.c.waitFor(isChat('read me'));
    p.c.message(13, 'gina@localhost', { messageId: 'mark-1', body: { value: JSON.stringify([{ id: 'pb-rm-1' }]), headers: [{ definedKey: 5, value: '4' }] } });
    expect((await others(1))[0]).toEqual({ __typename: 'MessageStateEvent', msgIds: ['pb-rm-1'], state: 'READ' });
    p.c.message(10, 'gina@localhost', {});
    expect((await others(2))[1]).toEqual({ __typename: 'TypingEvent', user: { username: 'pete' } });
    p.c.message(6, 'gina@localhost', { messageId: 'pb-rv-1', body: { value: 'oops' } });
    await p.c.waitFor((f) => f.signalType === 16 && f.m.messageId === 'pb-rv-1');
    p.c.message(14, 'gina@localhost', { messageId: 'pb-rv-1', messageType: -1, body: { value: JSON.stringify({ messageId: 'pb-rv-1', fromId: 'pete@localhost', message: 'revoke a message' }) } });
    expect((await others(3))[2]).toEqual({ __typename: 'MessageRecalledEvent', msgId: 'pb-rv-1' });
    gSub.stop();
    // GraphQL -> PB: the readmark of what pete sent (read_type header 5), recall, typing
    await t.ok('mutation { sendMessage(input:{to:"pete", body:"take back", msgId:"pb-rv-2"}) { id } }', {}, gToken);
    const tb = await p.c.waitFor(isChat('take back'));
    expect(tb.m.messageId).toBe('pb-rv-2');
    const msgs = await t.ok('{ messages(with:"pete", first:10) { nodes { id msgId } } }', {}, gToken);
    const id = msgs.messages.nodes.find((n: any) => n.msgId === 'pb-rv-2').id;
    await t.ok('mutation($m:ID!){ recallMessage(messageId:$m) { recalled } }', { m: id }, gToken);
    const rv = await p.c.waitFor((f) => f.signalType === 14 && f.m.messageId === 'pb-rv-2');
    expect(rv.m).toMatchObject({ messageId: 'pb-rv-2', messageType: -1 });
    expect(JSON.parse(rv.m.body.value)).toMatchObject({ messageId: 'pb-rv-2', fromId: 'gina@localhost' });
    await t.ok('mutation { sendTyping(to:"pete") }', {}, gToken);
    const ty = await p.c.waitFor((f) => f.signalType === 10);
    expect(ty.pm.from).toBe('gina@localhost');
    expect(ty.m).toMatchObject({ messageType: 1, clientType: 3 });
  });
});

describe('PB groups (the XML group handlers of §5, reached through the codec)', () => {
  it('creates, invites, lists members, chats with sendjid to PB and XML members, leaves and destroys', async () => {
    const room = 'c0ffee00000000000000000000000001@conference.localhost';
    const owner = await login('paula', 'password-123', { resource: 'V[1]_P[iOS]_ID[grp-owner]' });
    const member = await login('pete', 'password-123', { resource: 'V[1]_P[Android]_ID[grp-member]' });
    const x = await loginXmpp('gina', 'grp');
    expect((await owner.c.iq(2, { value: room })).m).toMatchObject({ definedKey: 80, value: 'create_muc', body: { value: 'success' } });
    const inv = await owner.c.iq('MUC_INVITE_V2', { bodys: [
      { value: 'invite', headers: [{ key: 'jid', value: 'pete@localhost' }] },
      { value: 'invite', headers: [{ definedKey: 7, value: 'gina@localhost' }] },
    ] }, { to: room });
    expect(inv.m.value).toBe('muc_invite_user_v2');
    expect(inv.m.bodys.map((b: any) => [hv(b, 7), hv(b, 40)])).toEqual([['pete@localhost', '0'], ['gina@localhost', '0']]);
    const users = await member.c.iq(5, {}, { to: room });
    expect(users.m.value).toBe('muc_users');
    expect(users.m.bodys.map((b: any) => hv(b, 7)).sort()).toEqual(['gina@localhost', 'paula@localhost', 'pete@localhost']);
    expect(users.m.bodys.find((b: any) => hv(b, 7) === 'paula@localhost').headers).toContainEqual({ definedKey: 28, value: 'owner' });
    const mucs = await member.c.iq(36);
    expect(mucs.m.bodys.map((b: any) => hv(b, 56))).toEqual(['c0ffee00000000000000000000000001']);

    owner.c.message(7, room, { messageId: 'grp-1', body: { value: 'hello group' } });
    expect((await owner.c.waitFor((f) => f.signalType === 16 && f.m.messageId === 'grp-1')).m.receivedTime).toBeGreaterThan(0);
    const got = await member.c.waitFor((f) => f.signalType === 7 && f.m.messageId === 'grp-1');
    expect(got.pm).toMatchObject({ sendjid: 'paula@localhost', realfrom: 'paula@localhost' });
    expect(got.pm.from).toMatch(new RegExp(`^${room}/`));
    expect(got.m.body.value).toBe('hello group');
    const xg = await x.waitFor((s) => s.attrs.type === 'groupchat' && s.getChildText('body') === 'hello group');
    expect(xg.attrs.sendjid).toBe('paula@localhost');
    await x.c.send(xml('message', { type: 'groupchat', to: room }, xml('body', { id: 'grp-2' }, 'from xml')));
    expect((await member.c.waitFor((f) => f.signalType === 7 && f.m.messageId === 'grp-2')).pm.sendjid).toBe('gina@localhost');

    expect((await member.c.iq(7, {}, { to: room })).m.value).toBe('muc_del_register');
    const left = await owner.c.waitFor((f) => f.signalType === 1 && f.m.value === 'del_muc_register');
    expect(hv(left.m.body, 10)).toBe('pete@localhost');
    const destroyed = await owner.c.iq(40, {}, { to: room });
    expect(destroyed.m).toMatchObject({ value: 'desctroy_muc', body: { headers: [{ definedKey: 32, value: 'success' }] } });
  });
});

describe('PB robustness', () => {
  it('closes a connection on a bad varint, bad gzip or unknown signal type, and only that one', async () => {
    const survivor = await login('paula', 'password-123', { resource: 'V[1]_P[PC]_ID[survivor]' });
    const corrupt = async (bytes: Buffer) => {
      const c = await PbClient.connect(pbPort);
      c.send(100, { domain: 'localhost', version: '1.0', user: 'paula' });
      await c.waitFor((f) => f.signalType === 100);
      c.socket.write(bytes);
      await c.closed;
      return c.frames.find((f) => f.signalType === 51)?.m;
    };
    expect(await corrupt(hex('ff ff ff ff ff 01'))).toMatchObject({ code: 222 });
    const hdr = hex('10 01 32 05 01 02 03 04 05'); // ProtoHeader{options: 1 (gzip), message: 5 bytes that are not gzip}
    expect((await corrupt(Buffer.concat([Buffer.from([hdr.length]), hdr])))?.reason).toMatch(/gzip/);
    expect((await corrupt(frame(protoMessage(999, {}))))?.reason).toMatch(/unknown signal type 999/);
    expect(await corrupt(frame(Buffer.alloc(5000, 1), 'raw'))).toMatchObject({ code: 222 }); // over MAX_STANZA_BYTES
    // a HeartBeat (known, not accepted from clients) is dropped, not fatal
    survivor.c.send(30, {});
    expect((await survivor.c.iq('PING')).m.value).toBe('ping');
    expect(survivor.c.ended).toBe(false);
  });

  it('answers an unmapped IQ key with an error IQ', async () => {
    const p = await login('pete');
    const r = await p.c.iq('GET_USER_FRIEND');
    expect(r.m).toMatchObject({ definedKey: 90, body: { value: 'error_info' } });
    expect(hv(r.m.body, 42)).toBe('503');
  });
});

describe('PB over TLS (§2.3 step 3)', () => {
  let tt: TestApp;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stn-pbtls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    tt = await startTestApp({ PB_PORT: '0', XMPP_PORT: '0', XMPP_PLAIN: 'never', XMPP_TLS_CERT_FILE: join(dir, 'cert.pem'), XMPP_TLS_KEY_FILE: join(dir, 'key.pem') });
    await tt.createUser('tina');
  });
  afterAll(() => tt?.close());

  it('offers sockmod TLS, refuses auth in clear under XMPP_PLAIN=never, and logs in after StartTLS/ProceedTLS', async () => {
    const c = await PbClient.connect(tt.app.pbPort!);
    c.send(100, { domain: 'localhost', version: '1.0', user: 'tina' });
    expect((await c.waitFor((f) => f.signalType === 100)).m.sockmod).toBe('TLS');
    const authKey = Buffer.from('\0tina\0password-123').toString('base64');
    c.send(45, { mechanism: 'PLAIN', authKey });
    expect((await c.waitFor((f) => f.signalType === 5)).m.error).toBe('encryption-required');
    c.send(106, {});
    await c.waitFor((f) => f.signalType === 108);
    c.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false }); // Startalk clients accept any certificate
    await new Promise((r) => secure.once('secureConnect', r));
    const s = new PbClient(secure as any);
    s.send(45, { mechanism: 'PLAIN', msgId: 'tls-auth', authKey });
    expect((await s.waitFor((f) => f.signalType === 4)).m.msgId).toBe('tls-auth');
    expect((await s.iq('BIND', { value: 'V[1]_P[iOS]_ID[t]' })).m.body.value).toBe('tina@localhost/V[1]_P[iOS]_ID[t]');
    s.close();
  });
});

