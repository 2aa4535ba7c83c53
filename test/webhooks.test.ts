// The integration stream: signed webhooks to a local HTTP receiver that goes down (500s,
// connection refused) and comes back, dead letters, and the integrationEvents subscription
// resuming from a cursor.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users as createUsers } from './helpers/users.js';
import { eventually } from './helpers/wait.js';

const MAX_ATTEMPTS = 8;
let t: TestApp;
let server: Server;
let port = 0;
let key: string;
const users: Record<string, { id: string; token: string }> = {};
/** per path: what to answer to a batch */
const behaviour: Record<string, (events: any[]) => number> = {};
const secrets: Record<string, string> = {};
const received: { path: string; status: number; events: any[]; signatureOk: boolean }[] = [];

const acked = (path: string) => received.filter((r) => r.path === path && r.status === 200).flatMap((r) => r.events);
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const send = (from: string, to: string, body: string) =>
  t.ok('mutation($t:String!,$b:String!){ sendMessage(input:{to:$t, body:$b}){ id msgId } }', { t: to, b: body }, users[from]!.token);

const until = (pred: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition') =>
  eventually(pred, { timeoutMs: ms, intervalMs: 25, what });

function listen(): Promise<void> {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const path = req.url ?? '';
      const ts = String(req.headers['x-stn-timestamp']);
      const sig = `sha256=${createHmac('sha256', secrets[path] ?? '').update(`${ts}.${data}`).digest('hex')}`;
      const body = JSON.parse(data);
      const status = (behaviour[path] ?? (() => 200))(body.events);
      received.push({ path, status, events: body.events, signatureOk: sig === req.headers['x-stn-signature'] });
      res.writeHead(status, status === 307 ? { location: `http://127.0.0.1:${port}/elsewhere` } : {}).end();
    });
  });
  return new Promise((r) => server.listen(port, '127.0.0.1', () => {
    port = (server.address() as AddressInfo).port;
    r();
  }));
}

async function hook(path: string, kinds: string[]) {
  const r = await t.ok(
    'mutation($u:String!,$k:[IntegrationEventKind!]!){ createWebhook(url:$u, kinds:$k){ secret webhook { id cursor } } }',
    { u: `http://127.0.0.1:${port}${path}`, k: kinds }, key,
  );
  secrets[path] = r.createWebhook.secret;
  return r.createWebhook.webhook.id as string;
}
const hookState = async (id: string) =>
  (await t.ok('{ webhooks { id failures lastError cursor deadLetters { cursor kind attempts error json } } }', {}, key)).webhooks.find((w: any) => w.id === id);

beforeAll(async () => {
  await listen();
  t = await startTestApp({
    SEND_RATE_PER_SEC: '0', XMPP_PORT: 'off', WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '50', WEBHOOK_RETRY_MAX_MS: '300',
    WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), WEBHOOK_ALLOW_HOSTS: '127.0.0.1', // the receivers here are local
  });
  Object.assign(users, await createUsers(t, 'ana', 'ben', 'cy'));
  key = (await t.ok('mutation{ createApiKey(name:"integrator", scopes:[EVENTS_READ, WEBHOOKS_WRITE]){ secret } }', {}, t.adminToken)).createApiKey.secret;
});
afterAll(async () => {
  await t?.close();
  server?.close();
});

describe('webhooks', () => {
  it('needs WEBHOOKS_WRITE', async () => {
    const reader = (await t.ok('mutation{ createApiKey(name:"r", scopes:[USERS_READ]){ secret } }', {}, t.adminToken)).createApiKey.secret;
    const q = 'mutation{ createWebhook(url:"http://127.0.0.1:1/x", kinds:[MESSAGE_ADDED]){ secret } }';
    expect(code(await t.gql(q, {}, reader))).toBe('FORBIDDEN');
    expect(code(await t.gql(q, {}, users.ana!.token))).toBe('FORBIDDEN');
    expect(code(await t.gql('{ webhooks { id } }', {}, reader))).toBe('FORBIDDEN');
    expect(code(await t.gql('mutation{ createWebhook(url:"ftp://x", kinds:[MESSAGE_ADDED]){ secret } }', {}, key))).toBe('BAD_USER_INPUT');
  });

  it('delivers everything in order once a consumer that was down comes back, without duplicates', async () => {
    behaviour['/down'] = () => 500;
    const id = await hook('/down', ['MESSAGE_ADDED', 'MESSAGE_RECALLED', 'GROUP_MEMBERS']);
    const sent = [];
    for (let i = 1; i <= 4; i++) sent.push(await send('ana', 'ben', `down-${i}`));
    await until(async () => (await hookState(id)).failures >= 2, 15_000, 'two 500s');
    // now the consumer is gone entirely: connection refused
    await new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    const recalled = sent[1]!.sendMessage.id;
    await t.ok('mutation($m:ID!){ recallMessage(messageId:$m){ id } }', { m: recalled }, users.ana!.token);
    await t.ok('mutation{ createGroup(input:{name:"Crew", members:["ben"]}){ id } }', {}, users.ana!.token);
    await until(async () => (await hookState(id)).failures >= 4, 15_000, 'refused attempts');
    // no connect detail (ECONNREFUSED vs timeout would make lastError a port scanner)
    expect((await hookState(id)).lastError).toBe('webhook unreachable');
    await listen(); // back on the same port, healthy
    behaviour['/down'] = () => 200;
    await until(() => acked('/down').length >= 6, 15_000, 'delivery after recovery');
    await sleep(500);
    const got = acked('/down');
    expect(got.map((e) => e.kind)).toEqual([
      'message.added', 'message.added', 'message.added', 'message.added', 'message.recalled', 'group.members',
    ]);
    const cursors = got.map((e) => BigInt(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(cursors).size).toBe(cursors.length); // nothing twice after acknowledgement
    expect(received.filter((r) => r.path === '/down').every((r) => r.signatureOk)).toBe(true);
    expect(got[0]).toMatchObject({
      kind: 'message.added', conversationId: expect.any(String),
      message: { body: 'down-1', from: { username: 'ana' }, to: { username: 'ben' }, conversationKind: 'direct', group: null, recalled: false },
    });
    expect(got[1]!.message).toMatchObject({ id: recalled, recalled: true, body: '' }); // it was recalled before delivery
    expect(got[4]).toMatchObject({ recall: { messageId: recalled, sender: { username: 'ana' }, by: { username: 'ana' } } });
    expect(got[5]).toMatchObject({ members: { change: 'joined', users: [{ username: 'ana' }, { username: 'ben' }] }, group: { name: 'Crew' }, by: { username: 'ana' } });
    const state = await hookState(id);
    expect(state).toMatchObject({ failures: 0, lastError: null, cursor: got.at(-1)!.cursor, deadLetters: [] });
  });

  it('dead-letters an event after N failures and delivers the rest', async () => {
    behaviour['/poison'] = (events) => (events.some((e) => e.message?.body === 'poison') ? 500 : 200);
    const id = await hook('/poison', ['MESSAGE_ADDED']);
    await send('cy', 'ben', 'before');
    await send('cy', 'ben', 'poison');
    await send('cy', 'ben', 'after');
    await until(() => acked('/poison').some((e) => e.message.body === 'after'), 15_000, 'the rest');
    expect(acked('/poison').map((e) => e.message.body)).toEqual(['before', 'after']);
    const state = await hookState(id);
    expect(state.deadLetters).toHaveLength(1);
    expect(state.deadLetters[0]).toMatchObject({ kind: 'MESSAGE_ADDED', attempts: MAX_ATTEMPTS, error: 'webhook answered 500' });
    expect(JSON.parse(state.deadLetters[0].json).message.body).toBe('poison');
    // N consecutive failed attempts with it at the head of the batch; retries send it alone
    const poisonTries = received.filter((r) => r.path === '/poison' && r.events[0].message.body === 'poison');
    expect(poisonTries).toHaveLength(MAX_ATTEMPTS);
    expect(poisonTries.slice(1).every((r) => r.events.length === 1)).toBe(true);
  });

  it('delivers by host name when the resolved address is allowed', async () => {
    const r = await t.ok(
      'mutation($u:String!){ createWebhook(url:$u, kinds:[MESSAGE_ADDED]){ secret webhook { id } } }',
      { u: `http://localhost:${port}/by-name` }, key,
    );
    secrets['/by-name'] = r.createWebhook.secret;
    await send('ben', 'ana', 'named');
    await until(() => acked('/by-name').length >= 1, 15_000, 'delivery by name');
    expect(acked('/by-name')[0].message.body).toBe('named');
    expect((await t.ok('mutation($id:ID!){ deleteWebhook(id:$id) }', { id: r.createWebhook.webhook.id }, key)).deleteWebhook).toBe(true);
  });

  it('does not follow redirects', async () => {
    behaviour['/moved'] = () => 307;
    const id = await hook('/moved', ['MESSAGE_ADDED']);
    await send('ana', 'cy', 'redirected');
    await until(async () => (await hookState(id)).failures >= 1, 15_000, 'a failed attempt');
    expect((await hookState(id)).lastError).toBe('webhook answered 307');
    expect(received.some((r) => r.path === '/elsewhere')).toBe(false);
    expect((await t.ok('mutation($id:ID!){ deleteWebhook(id:$id) }', { id }, key)).deleteWebhook).toBe(true);
  });

  it('stops after deleteWebhook', async () => {
    const id = await hook('/gone', ['MESSAGE_ADDED']);
    expect((await t.ok('mutation($id:ID!){ deleteWebhook(id:$id) }', { id }, key)).deleteWebhook).toBe(true);
    await send('ana', 'cy', 'nobody listens');
    await sleep(400);
    expect(received.some((r) => r.path === '/gone')).toBe(false);
  });
});

describe('integrationEvents', () => {
  const sub = 'subscription($s:String){ integrationEvents(since:$s){ cursor kind json } }';

  it('needs EVENTS_READ', async () => {
    const reader = (await t.ok('mutation{ createApiKey(name:"r2", scopes:[USERS_READ]){ secret } }', {}, t.adminToken)).createApiKey.secret;
    const s = collect(t.ws(reader), sub);
    await s.waitFor(1, 3000);
    expect(JSON.stringify(s.errors)).toContain('FORBIDDEN');
    expect(code(await t.gql('{ integrationCursor }', {}, users.ana!.token))).toBe('FORBIDDEN');
  });

  it('resumes from a cursor without gap or duplicate', async () => {
    const start = (await t.ok('{ integrationCursor }', {}, key)).integrationCursor;
    const first = collect(t.ws(key), sub, { s: start });
    await sleep(200);
    for (let i = 1; i <= 3; i++) await send('ben', 'cy', `live-${i}`);
    const items = await first.waitFor(3);
    expect(items.map((x) => JSON.parse(x.integrationEvents.json).message.body)).toEqual(['live-1', 'live-2', 'live-3']);
    first.stop();
    const resumeAt = items[1].integrationEvents.cursor;
    for (let i = 4; i <= 5; i++) await send('ben', 'cy', `live-${i}`);
    const again = collect(t.ws(key), sub, { s: resumeAt });
    await again.waitFor(3);
    await sleep(300);
    expect(again.items.map((x) => JSON.parse(x.integrationEvents.json).message.body)).toEqual(['live-3', 'live-4', 'live-5']);
    await send('ben', 'cy', 'live-6'); // and continues live
    await again.waitFor(4);
    expect(again.items.map((x) => x.integrationEvents.kind)).toEqual(['MESSAGE_ADDED', 'MESSAGE_ADDED', 'MESSAGE_ADDED', 'MESSAGE_ADDED']);
    expect(JSON.parse(again.items[3].integrationEvents.json).message.body).toBe('live-6');
    const all = collect(t.ws(t.adminToken), sub, { s: start }); // an admin user may read it too
    await all.waitFor(6);
    expect(all.items.map((x) => JSON.parse(x.integrationEvents.json).message.body)).toEqual(['live-1', 'live-2', 'live-3', 'live-4', 'live-5', 'live-6']);
    again.stop();
    all.stop();
  });
});
