// Startalk's wire formats, all from src/startalk/: every codec read back gives what was
// written (parse ∘ build = identity) for bodies, JIDs and room addresses, file messages,
// q_ckey and the RSA password forms; and a body's attributes survive the store: a message
// sent over XMPP with extendInfo and backupinfo comes back with both through MAM, the
// room's copy and the legacy HTTP history.
import { constants, publicEncrypt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { xml } from '@xmpp/client';
import { parse as parseXml, type Element } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileRecord } from '../src/core/files/types.js';
import { conferenceHost, parseJid, roomJid, roomNameOf, roomNick, userAddress, userJid } from '../src/startalk/address.js';
import { bodyJson, parseBodyJson, parseStartalkBody, revokeBody, startalkBody, storedBody, type BodyAttrs } from '../src/startalk/body.js';
import { ckeyMatches, ckeyProof, encodeCKey, parseCKey, type CKey } from '../src/startalk/ckey.js';
import { fileIdHint, fileMessage, parseFileMessageJson, parseImageObj, startalkFileMessages } from '../src/startalk/file-message.js';
import { decryptStartalkPassword, loadStartalkKey, rsaDecrypt } from '../src/startalk/rsa.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { legacyCall, qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';
import { xmppLogin, type Stanza, type XmppClient } from './helpers/xmpp.js';

/** what a client would read after the stanza crossed the wire */
const overWire = (e: Element) => parseXml(e.toString()) as Element;

describe('body codec', () => {
  const full: BodyAttrs = {
    id: 'b-1', msgType: 5, maType: 6, extendInfo: '{"FileName":"a \\"quoted\\" <name> & more"}', backupinfo: '[{"type":10,"data":"x"}]',
  };

  it('parse(build(x)) = x with every attribute, after a trip through XML text', () => {
    const text = 'hello <b>&amp; 世界</b>\n';
    const parsed = parseStartalkBody(overWire(startalkBody(full, text)));
    expect(parsed).toEqual({ msgId: 'b-1', msgType: 5, text, extendInfo: full.extendInfo, backupInfo: full.backupinfo });
    expect(overWire(startalkBody(full, text)).attrs.maType).toBe('6');
  });

  it('absent attributes stay absent; a missing msgType reads as text (1); the stanza id stands in for a missing body id', () => {
    expect(parseStartalkBody(overWire(startalkBody({ id: 'b-2', msgType: 1 }, 'x')))).toEqual(
      { msgId: 'b-2', msgType: 1, text: 'x', extendInfo: null, backupInfo: null });
    expect(parseStartalkBody(parseXml('<body>y</body>') as Element, 'stanza-id')).toEqual(
      { msgId: 'stanza-id', msgType: 1, text: 'y', extendInfo: null, backupInfo: null });
  });

  it('a stored message round-trips through storedBody (the body chat, groupchat and MAM send back)', () => {
    const m = { msgId: 'b-3', msgType: 3, body: '[obj type="image" value="/x"]', extendInfo: 'e', backupInfo: 'bk' };
    const p = parseStartalkBody(overWire(storedBody(m)));
    expect({ msgId: p.msgId, msgType: p.msgType, body: p.text, extendInfo: p.extendInfo, backupInfo: p.backupInfo }).toEqual(m);
  });

  it('the legacy JSON shape round-trips too, every value a string', () => {
    const json = bodyJson(full, 'text');
    expect(Object.values(json).every((v) => typeof v === 'string')).toBe(true);
    expect(parseBodyJson(JSON.parse(JSON.stringify(json)))).toEqual(
      { msgId: 'b-1', msgType: 5, text: 'text', extendInfo: full.extendInfo, backupInfo: full.backupinfo });
  });

  it('a revoke body names the message and its sender', () => {
    const b = overWire(revokeBody('m-9', 'amy@localhost', 3));
    expect(b.attrs).toMatchObject({ id: 'm-9', msgType: '-1', maType: '3' });
    expect(JSON.parse(b.getText())).toEqual({ messageId: 'm-9', fromId: 'amy@localhost', message: 'revoke a message' });
  });
});

describe('JIDs and room addresses', () => {
  it('user JIDs parse back to their parts', () => {
    const u = { username: 'amy.li', domain: 'im.example.com' };
    expect(parseJid(userJid(u))).toEqual({ local: 'amy.li', domain: 'im.example.com', resource: null });
    expect(parseJid(`${userJid(u)}/V[1]_P[PC]`)).toEqual({ local: 'amy.li', domain: 'im.example.com', resource: 'V[1]_P[PC]' });
    expect(userAddress('amy.li@elsewhere', 'im.example.com')).toBe('amy.li@im.example.com');
    expect(parseJid('@x')).toBeNull();
    expect(parseJid('')).toBeNull();
  });

  it('room JIDs read back to the room name, on this server only', () => {
    const room = '3f2a9c0e5b1d4e7f8a6b2c4d1e0f9a8b';
    expect(roomJid(room, 'example.com')).toBe(`${room}@conference.example.com`);
    expect(roomNameOf(roomJid(room, 'example.com'), 'example.com')).toBe(room);
    expect(roomNameOf(`${roomJid(room, 'example.com')}/${roomNick({ username: 'amy', domain: 'example.com' })}`, 'example.com')).toBe(room);
    expect(roomNameOf(`${room}@conference.EXAMPLE.com`, 'example.com')).toBe(room);
    expect(roomNameOf(roomJid(room, 'other.org'), 'example.com')).toBeNull();
    expect(roomNameOf(conferenceHost('example.com'), 'example.com')).toBeNull();
    expect(roomNameOf(`${room}@example.com`, 'example.com')).toBeNull();
  });
});

describe('file-message JSON', () => {
  const file = (kind: FileRecord['kind']): FileRecord => ({
    id: '1234', ownerId: 'u1', name: 'report "final".pdf', size: 1536, contentType: 'application/pdf', kind,
    sha256: 'a'.repeat(64), md5: 'b'.repeat(32), ext: 'pdf', status: 'ready', createdAt: 0,
  } as unknown as FileRecord);
  const url = `/file/v2/download/${'a'.repeat(64)}.pdf?name=x`;

  it('file, voice and video bodies parse back to what was put in', () => {
    const f = fileMessage(file('file'), url);
    expect(f.msgType).toBe(5);
    expect(parseFileMessageJson(f.body)).toEqual({ FILEID: '1234', FileName: 'report "final".pdf', FileSize: '1.5KB', FILEMD5: 'b'.repeat(32), HttpUrl: url });
    expect(f.extendInfo).toBe(f.body);
    const v = fileMessage(file('voice'), url, { seconds: 7 });
    expect([v.msgType, parseFileMessageJson(v.body)?.Seconds, parseFileMessageJson(v.body)?.HttpUrl]).toEqual([2, 7, url]);
    const vid = fileMessage(file('video'), url, { seconds: 3, width: 640, height: 480 });
    expect(vid.msgType).toBe(32);
    expect(parseFileMessageJson(vid.body)).toMatchObject({ FileUrl: url, Width: '640', Height: '480', Duration: '3' });
  });

  it('image bodies parse back to URL and size, quotes included', () => {
    const quoted = `${url}&q="x"`;
    const img = fileMessage(file('image'), quoted, { width: 10, height: 20 });
    expect(img.msgType).toBe(3);
    expect(parseImageObj(img.body)).toEqual({ url: quoted, width: 10, height: 20 });
    expect(parseImageObj(fileMessage(file('image'), url).body)).toEqual({ url, width: null, height: null });
  });

  it('the core port reads the file id hint and which types carry a file', () => {
    expect(fileIdHint(fileMessage(file('file'), url).body)).toBe('1234');
    expect(fileIdHint('{"FILEID":"c0ffee-uuid"}')).toBeNull();
    expect([5, 3, 2, 32, 30].every((t) => startalkFileMessages.carriesFile(t))).toBe(true);
    expect(startalkFileMessages.carriesFile(1)).toBe(false);
    expect(parseFileMessageJson('not json')).toBeNull();
  });
});

describe('q_ckey', () => {
  it('decode(encode(x)) = x, with and without a domain', () => {
    const ck: CKey = { u: 'amy', k: ckeyProof('SESSIONKEY', '1700000000000'), d: 'example.com', t: '1700000000000' };
    expect(parseCKey(encodeCKey(ck))).toEqual(ck);
    expect(parseCKey(encodeCKey({ u: 'a+b&c', k: 'K', t: '' }))).toEqual({ u: 'a+b&c', k: 'K', d: undefined, t: '' });
  });

  it('reads the cookie a Startalk client builds and checks its proof', () => {
    const ck = parseCKey(qckey('amy', 'ABCDEF', 'localhost', '42'))!;
    expect(ck).toMatchObject({ u: 'amy', d: 'localhost', t: '42' });
    expect(ckeyMatches('ABCDEF', ck.k, ck.t)).toBe(true);
    expect(ckeyMatches('ABCDEF', ck.k.toLowerCase(), ck.t)).toBe(true);
    expect(ckeyMatches('ABCDEF', ck.k, '43')).toBe(false);
    expect(ckeyMatches('OTHER', ck.k, ck.t)).toBe(false);
    expect(parseCKey(Buffer.from('k=only').toString('base64'))).toBeNull();
  });
});

describe('RSA password forms', () => {
  const key = loadStartalkKey();
  const pub = readFileSync(new URL('../src/startalk/keys/startalk-default-public.pem', import.meta.url));
  const encrypt = (text: string) => publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(text)).toString('base64');

  it('decrypt(encrypt(x)) = x for the JSON login and the token login', () => {
    expect(decryptStartalkPassword(encrypt(JSON.stringify({ p: 'pässword', u: 'amy', a: 'x', d: 'localhost', mk: 'mac-1' })), key))
      .toEqual({ p: 'pässword', u: 'amy', mk: 'mac-1' });
    expect(rsaDecrypt(encrypt('plain-password'), key)?.toString()).toBe('plain-password');
    expect(decryptStartalkPassword('password-123', key)).toBeNull();
    expect(decryptStartalkPassword(encrypt('{"u":"no p"}'), key)).toBeNull();
  });
});

describe('layering', () => {
  const root = new URL('../', import.meta.url);
  const files = (dir: string): string[] => readdirSync(new URL(dir, root), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.includes('generated/')).map((f) => `${dir}${f}`);
  const imports = (file: string) => [...readFileSync(new URL(file, root), 'utf8').matchAll(/^import (type )?[^'"]*from '([^']+)'/gm)]
    .map((m) => ({ typeOnly: !!m[1], from: m[2]! }));

  it('the core and storage never import src/startalk; src/startalk imports only core types and libraries', () => {
    const wrong: string[] = [];
    for (const f of [...files('src/core/'), ...files('src/storage/')]) {
      for (const i of imports(f)) if (i.from.includes('/startalk/')) wrong.push(`${f} -> ${i.from}`);
    }
    for (const f of files('src/startalk/')) {
      for (const i of imports(f)) {
        if (!i.from.startsWith('.')) continue; // node: and npm libraries
        if (!i.from.startsWith('./') && !(i.from.startsWith('../core/') && i.typeOnly)) wrong.push(`${f} -> ${i.from}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('extendInfo and backupinfo survive the store (XMPP in; MAM, room copy and legacy history out)', () => {
  let t: TestApp;
  let sara: XmppClient;
  let tom: XmppClient;
  let saraSocket: SocketSession;
  const EXTEND = '{"k":"v"}';
  const BACKUP = '[{"type":10,"data":"backup \\"quoted\\""}]';

  beforeAll(async () => {
    t = await startTestApp({ XMPP_PORT: '0', SEND_RATE_PER_SEC: '0' });
    await t.createUser('sara');
    await t.createUser('tom');
    sara = await xmppLogin(t.app.bridgePort!, 'sara', 'pc');
    tom = await xmppLogin(t.app.bridgePort!, 'tom', 'pc');
    saraSocket = await socketLogin(t.app.bridgePort!, 'sara', 'password-123');
  });
  afterAll(async () => {
    await saraSocket?.close();
    for (const c of [sara, tom]) await c?.c.stop().catch(() => {});
    await t?.close();
  });

  const bodyOf = (s: Stanza | undefined) => s?.getChild('body') as Element | undefined;

  it('a 1:1 message keeps both attributes in MAM and getmsgs.qunar', async () => {
    await sara.c.send(xml('message', { type: 'chat', to: 'tom@localhost' },
      xml('body', { id: 'bk-1', msgType: '1', extendInfo: EXTEND, backupinfo: BACKUP }, 'with backup')));
    await sara.waitFor((s) => s.attrs.type === 'mstat' && bodyOf(s)?.attrs.id === 'bk-1');
    // the live copy, for reference
    const live = await tom.waitFor((s) => s.attrs.type === 'chat' && bodyOf(s)?.attrs.id === 'bk-1');
    expect(bodyOf(live)!.attrs).toMatchObject({ extendInfo: EXTEND, backupinfo: BACKUP });

    await sara.c.iqCaller.request(xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'bkq' },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'with' }, xml('value', {}, 'tom@localhost'))))));
    const res = await sara.waitFor((s) => s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'bkq');
    const inner = res.getChild('result', 'urn:xmpp:mam:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!;
    expect(bodyOf(inner)!.attrs).toMatchObject({ id: 'bk-1', msgType: '1', extendInfo: EXTEND, backupinfo: BACKUP });
    expect(bodyOf(inner)!.getText()).toBe('with backup');

    const base = t.url.replace(/\/graphql$/, '');
    const r = await legacyCall(base, '/newapi/getmsgs.qunar', { from: 'sara', to: 'tom', direction: '0', num: 10 }, qckey('sara', saraSocket.key));
    expect(r.body.ret).toBe(true);
    const item = (r.body.data as { body: Record<string, string> }[]).find((m) => m.body.id === 'bk-1');
    expect(item?.body).toMatchObject({ msgType: '1', content: 'with backup', extendInfo: EXTEND, backupinfo: BACKUP });
  });

  it('a group message keeps both attributes in the room copy and getmucmsgs.qunar', async () => {
    const token = await t.login('sara', 'password-123');
    const g = await t.ok('mutation { createGroup(input:{name:"Backup", members:["tom"]}) { id card { roomName } } }', {}, token);
    const room = g.createGroup.card.roomName as string;
    await sara.c.send(xml('message', { type: 'groupchat', to: `${room}@conference.localhost` },
      xml('body', { id: 'bk-g1', msgType: '1', extendInfo: EXTEND, backupinfo: BACKUP }, 'group backup')));
    const copy = await tom.waitFor((s) => s.attrs.type === 'groupchat' && bodyOf(s)?.attrs.id === 'bk-g1');
    expect(bodyOf(copy)!.attrs).toMatchObject({ extendInfo: EXTEND, backupinfo: BACKUP });
    const base = t.url.replace(/\/graphql$/, '');
    const r = await legacyCall(base, '/newapi/getmucmsgs.qunar', { muc: room, direction: '0', num: 10 }, qckey('sara', saraSocket.key));
    expect(r.body.ret).toBe(true);
    const item = (r.body.data as { body: Record<string, string> }[]).find((m) => m.body.id === 'bk-g1');
    expect(item?.body).toMatchObject({ content: 'group backup', extendInfo: EXTEND, backupinfo: BACKUP });
  });
});
