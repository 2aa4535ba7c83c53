// Webhooks cannot be aimed at the deployment's own network (SSRF): literal private, loopback,
// link-local, multicast and unspecified addresses (and IPv4-mapped IPv6 forms) are refused at
// creation; a name is resolved and checked on every delivery. WEBHOOK_ALLOW_HOSTS opens ranges.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressAllowed, parseAllowList, PUBLIC_ONLY } from '../src/core/integration/destination.js';
import { ConfigError, loadConfig } from '../src/server/config.js';
import { sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';

let t: TestApp;
let receiver: Server;
let port = 0;
let key: string;
const hits: string[] = [];
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;
const create = (url: string) =>
  t.gql('mutation($u:String!){ createWebhook(url:$u, kinds:[MESSAGE_ADDED]){ webhook { id } } }', { u: url }, key);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    hits.push(req.url ?? '');
    req.resume();
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: 'off', PB_PORT: 'off', WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_BASE_MS: '50' });
  key = (await t.ok('mutation{ createApiKey(name:"i", scopes:[EVENTS_READ, WEBHOOKS_WRITE]){ secret } }', {}, t.adminToken)).createApiKey.secret;
});
afterAll(async () => {
  await t?.close();
  receiver?.close();
});

describe('webhook destinations', () => {
  it('refuses literal internal addresses at creation, and stores nothing', async () => {
    const refused = [
      `http://127.0.0.1:${port}/x`, 'http://127.9.9.9/', `http://2130706433:${port}/`, 'http://0x7f.1/', 'http://0.0.0.0/',
      'http://10.1.2.3/', 'http://172.16.0.1/', 'http://192.168.1.1/', 'http://100.64.0.1/', 'http://169.254.169.254/latest/meta-data/',
      'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[::1]/', 'http://[::]/', 'http://[fd00::1]/', 'http://[fc00::1]/',
      'http://[fe80::1]/', 'http://[ff02::1]/', `http://[::ffff:127.0.0.1]:${port}/`, 'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:10.0.0.1]/', 'https://[64:ff9b::a9fe:a9fe]/', 'http://[2002:7f00:1::]/',
    ];
    for (const url of refused) expect([url, code(await create(url))]).toEqual([url, 'BAD_USER_INPUT']);
    expect((await t.ok('{ webhooks { id } }', {}, key)).webhooks).toEqual([]);
  });

  it('checks a name after resolution on delivery: one that resolves to loopback gets nothing', async () => {
    const r = await create(`http://localhost:${port}/by-name`);
    expect(r.errors).toBeUndefined(); // names cannot be judged at creation (DNS changes)
    const id = r.data.createWebhook.webhook.id;
    const { ana, ben } = await users(t, 'ana', 'ben');
    await t.ok('mutation($t:String!){ sendMessage(input:{to:$t, body:"hello"}){ id } }', { t: 'ben' }, ana.token);
    let state: any;
    for (let i = 0; i < 300 && !(state?.failures >= 2); i++) {
      await sleep(25);
      state = (await t.ok('{ webhooks { id failures lastError } }', {}, key)).webhooks.find((w: any) => w.id === id);
    }
    expect(state).toMatchObject({ lastError: 'webhook destination not allowed' });
    expect(state.failures).toBeGreaterThanOrEqual(2);
    expect(hits).toEqual([]);
    expect(ben.id).toBeTruthy();
  });

  it('classifies addresses, with the allow-list opening ranges and names', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect([a, addressAllowed(a, PUBLIC_ONLY)]).toEqual([a, true]);
    for (const a of ['127.0.0.1', '10.0.0.1', '100.127.255.255', '169.254.1.1', 'fe80::1', 'fd12::1', 'fec0::1', '::7f00:1', '::ffff:192.168.0.1', 'not-an-ip']) {
      expect([a, addressAllowed(a, PUBLIC_ONLY)]).toEqual([a, false]);
    }
    const { policy, bad } = parseAllowList(' 10.0.0.0/8, ::1 ,receiver.internal, fd00::/8, 300.1.1.1/8, bad host!');
    expect(bad).toEqual(['300.1.1.1/8', 'bad host!']);
    expect(addressAllowed('10.20.30.40', policy)).toBe(true);
    expect(addressAllowed('::ffff:10.20.30.40', policy)).toBe(true);
    expect(addressAllowed('::1', policy)).toBe(true);
    expect(addressAllowed('fd12::1', policy)).toBe(true);
    expect(addressAllowed('127.0.0.1', policy)).toBe(false);
    expect(policy.hosts.has('receiver.internal')).toBe(true);
  });

  it('reports a bad WEBHOOK_ALLOW_HOSTS entry at start-up', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOW_HOSTS: '10.0.0.0/99' })).toThrow(ConfigError);
    expect(loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1, hooks.internal' }).webhooks.allow.hosts.has('hooks.internal')).toBe(true);
  });
});
