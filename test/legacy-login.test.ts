// Legacy HTTP, part 1: navigation from configuration, token login into the socket (nauth),
// the session key and q_ckey under both prefixes, refusals in Startalk's envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { legacyCall, qckey, rsaEncrypt, socketLogin } from './helpers/legacy-client.js';

let t: TestApp;
let base: string;
let xmppPort: number;

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0', PUBLIC_URL: 'http://im.example.test:8080' });
  base = t.url.replace(/\/graphql$/, '');
  xmppPort = t.app.bridgePort as number;
  await users(t, 'lena', 'marc');
});
afterAll(async () => t?.close());

describe('navigation', () => {
  it('is generated from the configuration, under both paths, honouring c and nauth', async () => {
    const nav = await (await fetch(`${base}/newapi/nck/qtalk_nav.qunar`)).json();
    expect(nav.baseaddess).toMatchObject({
      domain: 'localhost', xmpp: 'im.example.test', xmppport: xmppPort,
      httpurl: 'http://im.example.test:8080/newapi', javaurl: 'http://im.example.test:8080/package',
      fileurl: 'http://im.example.test:8080', socketurl: 'ws://im.example.test:8080/websocket', pubkey: 'rsa_public_key',
    });
    expect(nav.imConfig.RsaEncodeType).toBe(1);
    expect(nav.Login.loginType).toBe('password');
    const same = await (await fetch(`${base}/startalk_nav?c=localhost&nauth=true`)).json();
    expect(same.Login.loginType).toBe('newpassword');
    expect(same.baseaddess.domain).toBe('localhost');
    const other = await fetch(`${base}/newapi/nck/qtalk_nav.qunar?c=elsewhere.example`);
    expect(other.status).toBe(404);
    expect((await other.json()).errmsg).toMatch(/serves domain "localhost"/);
  });
});

describe('token login and keys', () => {
  it('qtlogin issues a token that logs the socket in with {"nauth":…}', async () => {
    const { body } = await legacyCall(base, '/newapi/nck/qtlogin.qunar', { u: 'lena', h: 'localhost', p: rsaEncrypt('password-123'), mk: 'device-1' });
    expect(body.ret).toBe(true);
    expect(body.data).toMatchObject({ u: 'lena', h: 'localhost' });
    expect(typeof body.data.t).toBe('string'); // COMPAT: a JSON string
    expect(JSON.parse(body.data.t)).toMatchObject({ mk: 'device-1' });
    const s = await socketLogin(xmppPort, 'lena', JSON.stringify({ nauth: { u: 'lena', p: body.data.t, mk: 'device-1' } }));
    expect(s.jid).toMatch(/^lena@localhost\//);
    await s.close();
    // someone else's token, a made-up token and a wrong password are all refused
    await expect(socketLogin(xmppPort, 'marc', JSON.stringify({ nauth: { u: 'marc', p: body.data.t } }))).rejects.toThrow(/refused/);
    await expect(socketLogin(xmppPort, 'lena', JSON.stringify({ nauth: { u: 'lena', p: '{"token":"stn_nope","mk":"x"}' } }))).rejects.toThrow(/refused/);
    const wrong = await legacyCall(base, '/package/qtapi/nck/qtlogin.qunar', { u: 'lena', h: 'localhost', p: rsaEncrypt('nope-nope-nope'), mk: 'd' });
    expect(wrong.status).toBe(200);
    expect(wrong.body).toMatchObject({ ret: false, errcode: 3 });
    const unknown = await legacyCall(base, '/newapi/nck/qtlogin.qunar', { u: 'ghost', h: 'localhost', p: rsaEncrypt('password-123'), mk: 'd' });
    expect(unknown.body).toMatchObject({ ret: false, errcode: 3, errmsg: wrong.body.errmsg });
    const garbled = await legacyCall(base, '/newapi/nck/qtlogin.qunar', { u: 'lena', h: 'localhost', p: 'password-123', mk: 'd' });
    expect(garbled.body).toMatchObject({ ret: false, errcode: 1 });
  });

  it('serves the public key that encrypts what the server decrypts', async () => {
    const { body } = await legacyCall(base, '/newapi/nck/rsa/get_public_key.do');
    expect(body.data.pub_key_fullkey).toContain('BEGIN PUBLIC KEY');
    const { publicEncrypt, constants } = await import('node:crypto');
    const p = publicEncrypt({ key: body.data.pub_key_fullkey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('password-123')).toString('base64');
    const r = await legacyCall(base, '/newapi/nck/qtlogin.qunar', { u: 'marc', h: 'localhost', p, mk: 'm' });
    expect(r.body.ret).toBe(true);
  });
});

describe('q_ckey', () => {
  it('accepts the key of a live session from the cookie or the qcookie header, and dies with the session', async () => {
    const s = await socketLogin(xmppPort, 'lena', 'password-123');
    for (const [path, via] of [['/newapi/base/getservertime.qunar', 'cookie'], ['/package/qtapi/base/getservertime.qunar', 'qcookie']] as const) {
      const r = await legacyCall(base, path, {}, qckey('lena', s.key), via);
      expect(r.body.ret).toBe(true);
      expect(Math.abs(r.body.data - Date.now() / 1000)).toBeLessThan(5);
    }
    // seconds-based t (Android) works too; t is not checked for freshness (COMPAT)
    expect((await legacyCall(base, '/newapi/base/getservertime.qunar', {}, qckey('lena', s.key, 'localhost', '1700000000'))).body.ret).toBe(true);
    const refusals = [
      undefined, // none
      qckey('lena', 'F'.repeat(32)), // invalid
      qckey('marc', s.key), // foreign: lena's key claimed for marc
      qckey('lena', s.key, 'other.domain'),
      Buffer.from('k=1').toString('base64'), // malformed
    ];
    for (const ck of refusals) {
      const r = await legacyCall(base, '/newapi/base/getservertime.qunar', {}, ck);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ret: false, errcode: 5000, data: '' });
    }
    await s.close();
    await new Promise((r) => setTimeout(r, 200));
    const dead = await legacyCall(base, '/newapi/base/getservertime.qunar', {}, qckey('lena', s.key));
    expect(dead.body).toMatchObject({ ret: false, errcode: 5000 }); // expired with its session
  });

  it('refuses bad bodies with a clear error', async () => {
    const s = await socketLogin(xmppPort, 'lena', 'password-123');
    const res = await fetch(`${base}/newapi/nck/qtlogin.qunar`, { method: 'POST', body: '{"u":', headers: { 'content-type': 'application/json' } });
    expect(await res.json()).toMatchObject({ ret: false, errcode: 1, errmsg: 'body is not valid JSON' });
    const big = await fetch(`${base}/newapi/nck/qtlogin.qunar`, { method: 'POST', body: 'x'.repeat(300_000) });
    expect(big.status).toBe(413);
    // no ADMIN_API_KEY configured: the admin HTTP does not exist
    expect((await fetch(`${base}/qtalk/send_message`, { method: 'POST', body: '{}' })).status).toBe(404);
    await s.close();
  });
});
