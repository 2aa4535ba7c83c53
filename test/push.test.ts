// Offline push through a local HTTP receiver playing the gateway: one push per message to an
// offline user, none to an online one or in a muted conversation, retries after 500s without
// duplicates once acknowledged; Startalk's registration endpoints.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users as createUsers } from './helpers/users.js';
import { eventually } from './helpers/wait.js';
import { legacyCall, qckey, socketLogin } from './helpers/legacy-client.js';

const SECRET = 'push-secret-123';
let t: TestApp;
let gateway: Server;
const received: { body: any; status: number; signatureOk: boolean }[] = [];
let failNext = 0;
const users: Record<string, { id: string; token: string }> = {};

const send = (from: string, to: string, body: string) =>
  t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id msgId conversationId } }', { i: { to, body } }, users[from]!.token);
const register = (u: string, token: string) =>
  t.ok('mutation($t:String!){ registerPushDevice(token:$t, platform:"ios", os:IOS, package:"com.example.im"){ token } }', { t: token }, users[u]!.token);
const acked = () => received.filter((r) => r.status === 200);
const until = (pred: () => boolean | Promise<boolean>, ms = 8000) => eventually(pred, {
  timeoutMs: ms, intervalMs: 25,
  what: () => `pushes; received ${JSON.stringify(received.map((r) => [r.status, r.body.user.username, r.body.message.body]))}`,
});

beforeAll(async () => {
  gateway = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const ts = String(req.headers['x-stn-timestamp']);
      const sig = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${data}`).digest('hex')}`;
      const status = failNext > 0 ? (failNext--, 500) : 200;
      received.push({ body: JSON.parse(data), status, signatureOk: sig === req.headers['x-stn-signature'] });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  t = await startTestApp({
    PUSH_GATEWAY_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/push`, PUSH_GATEWAY_SECRET: SECRET,
    PUSH_RETRY_BASE_MS: '100', PUSH_POLL_MS: '50', SEND_RATE_PER_SEC: '0', XMPP_PORT: '0',
  });
  Object.assign(users, await createUsers(t, 'lena', 'marc', 'nina', 'pia'));
});
afterAll(async () => {
  await t?.close();
  gateway?.close();
});

describe('offline push', () => {
  it('pushes once to an offline user, never to an online one', async () => {
    await register('lena', 'apns-token-lena-0001');
    await register('nina', 'apns-token-nina-0001');
    const ninaOnline = collect(t.ws(users.nina!.token), 'subscription { events { __typename } }');
    await sleep(300);
    await send('marc', 'nina', 'nina is online');
    const m = await send('marc', 'lena', 'hello offline lena');
    await until(() => acked().length >= 1);
    await sleep(400);
    expect(received.map((r) => r.body.user.username)).toEqual(['lena']); // nothing for nina
    const push = received[0]!;
    expect(push.signatureOk).toBe(true);
    expect(push.body).toMatchObject({
      user: { username: 'lena' }, devices: [{ token: 'apns-token-lena-0001', os: 'ios', package: 'com.example.im' }],
      message: { msgId: m.sendMessage.msgId, kind: 'direct', body: 'hello offline lena' }, from: { username: 'marc' },
      title: 'MARC', alert: 'hello offline lena',
    });
    await ninaOnline.stop();
  });

  it('mutes a conversation, hides content when asked, and retries a failing gateway without duplicates', async () => {
    const conv = (await send('marc', 'lena', 'before mute')).sendMessage.conversationId;
    await until(() => acked().length >= 2);
    await t.ok('mutation($c:ID!){ mutePushes(conversationId:$c, muted:true) }', { c: conv }, users.lena!.token);
    await send('marc', 'lena', 'muted one');
    await t.ok('mutation{ updatePushSettings(showContent:false){ showContent } }', {}, users.pia!.token);
    await register('pia', 'fcm-token-pia-00001');
    failNext = 2;
    const p = await send('marc', 'pia', 'secret text');
    await until(() => acked().some((r) => r.body.user.username === 'pia'));
    const forPia = received.filter((r) => r.body.user.username === 'pia');
    expect(forPia.map((r) => r.status)).toEqual([500, 500, 200]); // retried, then acknowledged once
    expect(new Set(forPia.map((r) => r.body.id)).size).toBe(1); // the same job each time
    expect(forPia[2]!.body.message).toMatchObject({ msgId: p.sendMessage.msgId, body: null });
    expect(forPia[2]!.body.alert).toBe('You have a new message');
    await sleep(500);
    expect(received.filter((r) => r.body.user.username === 'pia')).toHaveLength(3); // no delivery after the ack
    expect(received.some((r) => r.body.message.body === 'muted one')).toBe(false);
    const rows = await t.db.query("SELECT status, attempts FROM push_jobs WHERE user_id = $1", [users.pia!.id]);
    expect(rows.rows).toEqual([{ status: 'done', attempts: 3 }]);
  });

  it('group messages push to offline members; XMPP sessions count as online', async () => {
    const g = await t.ok('mutation{ createGroup(input:{name:"Team", members:["lena","nina"]}){ id } }', {}, users.marc!.token);
    const ns = await socketLogin(t.app.bridgePort as number, 'nina', 'password-123', 'V[1]_P[PC64]_ID[x]_PB');
    ns.send('<presence><priority>5</priority></presence>');
    await sleep(300);
    const before = acked().length;
    await t.ok('mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"standup"}){ id } }', { g: g.createGroup.id }, users.marc!.token);
    await until(() => acked().length > before);
    await sleep(400);
    const news = acked().slice(before);
    expect(news.map((r) => r.body.user.username)).toEqual(['lena']);
    expect(news[0]!.body).toMatchObject({ group: { name: 'Team' }, title: 'Team', alert: 'MARC: standup', message: { kind: 'group' } });
    await ns.close();
  });

  it("registers through Startalk's push endpoints", async () => {
    const s = await socketLogin(t.app.bridgePort as number, 'pia', 'password-123');
    const base = t.url.replace(/\/graphql$/, '');
    const ck = qckey('pia', s.key);
    const q = (path: string) => legacyCall(base, `/package/push/qtapi/token/${path}`, undefined, ck);
    expect((await q('setpersonmackey.qunar?username=pia&domain=localhost&mac_key=hw-token-123456&platname=huawei&pkgname=com.x&os=android&version=1')).body.ret).toBe(true);
    expect((await q('getmsgsettings.qunar?username=pia&domain=localhost')).body.data).toBe(16 | 4 | 8); // content was turned off above
    expect((await q('setmsgsettings.qunar?username=pia&index=1&status=1')).body.data).toBe(29);
    expect((await q('setmsgsettings.qunar?username=pia&index=3&status=1')).body).toMatchObject({ ret: false, errcode: 1 });
    expect((await q('setpersonmackey.qunar?username=marc&mac_key=xxxxxxxxxx&os=ios')).body).toMatchObject({ ret: false, errcode: 3 });
    const settings = await t.ok('{ pushSettings { enabled showContent devices { token platform os } } }', {}, users.pia!.token);
    expect(settings.pushSettings.devices).toContainEqual({ token: 'hw-token-123456', platform: 'huawei', os: 'ANDROID' });
    expect((await q('delpersonmackey.qunar?username=pia&mac_key=hw-token-123456')).body.ret).toBe(true);
    const after = await t.ok('{ pushSettings { devices { token } } }', {}, users.pia!.token);
    expect(after.pushSettings.devices.map((d: any) => d.token)).toEqual(['fcm-token-pia-00001']);
    await s.close();
  });

  it('a queued push is not sent to a token that has since moved to another user', async () => {
    const [rosa, sven] = [await t.createUser('rosa'), await t.createUser('sven')];
    users.rosa = rosa;
    users.sven = sven;
    await register('rosa', 'apns-shared-phone-01');
    failNext = 1_000_000; // the gateway is down: the job waits for a retry
    await send('marc', 'rosa', 'for rosa only');
    await until(() => received.some((r) => r.body.user.username === 'rosa'));
    // the phone changes hands before the gateway comes back
    await register('sven', 'apns-shared-phone-01');
    failNext = 0;
    await until(async () => {
      const r = await t.db.query("SELECT status FROM push_jobs WHERE user_id = $1", [rosa.id]);
      return r.rows[0]?.status === 'done';
    });
    expect(acked().filter((r) => r.body.devices.some((d: any) => d.token === 'apns-shared-phone-01'))).toEqual([]);
  });
});
