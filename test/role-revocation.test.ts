// Role changes revoke like logout, on every node: demoting or promoting an admin, freezing,
// an admin's password reset and revoking an API key end the tokens (cached ones included)
// and the long-lived subscriptions (events, integrationEvents) they opened. Two nodes share
// one database and Redis; the change is made on node A, its effect checked on node B.
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { collect, createDatabase, dropDatabase, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';

let a: TestApp;
let b: TestApp;
let dbUrl: string;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  dbUrl = await createDatabase();
  const env = { REDIS_URL: inject('redisUrl'), REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`, SEND_RATE_PER_SEC: '0' };
  a = await startTestApp(env, dbUrl);
  b = await startTestApp(env, dbUrl);
});
const sockets: Client[] = [];
/** One socket that stays open with no subscription (not lazy): later operations reuse it. */
function socket(app: TestApp, token: string): Client {
  const c = createClient({
    url: app.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  sockets.push(c);
  return c;
}

afterAll(async () => {
  for (const c of sockets) await c.dispose();
  await b?.close();
  await a?.close();
  await dropDatabase(dbUrl);
});

/** Polls until `check` holds; the bus is fast, so 3 s is far more than it needs (and far less than any cache TTL). */
const soon = (check: () => Promise<boolean> | boolean) => eventually(check, { timeoutMs: 3000, intervalMs: 50, what: 'the revocation to take effect' });

const UPDATE = 'mutation($id:ID!,$i:UpdateUserInput!){ updateUser(id:$id, input:$i){ isAdmin } }';
const KEYS = '{ apiKeys { id } }';
const INTEGRATION = 'subscription{ integrationEvents { cursor } }';
const EVENTS = 'subscription{ events { cursor } }';

async function admin(name: string) {
  const d = await a.ok('mutation($u:String!){ createUser(input:{username:$u, password:"password-123", isAdmin:true}){ id } }', { u: name }, a.adminToken);
  return { id: d.createUser.id as string, token: await b.login(name, 'password-123') };
}

describe('demoting an admin', () => {
  it('ends their token on every node at once, and the subscriptions it opened', async () => {
    const boss = await admin('boss');
    expect((await b.ok(KEYS, {}, boss.token)).apiKeys).toBeDefined(); // cached on B as an admin session
    const client = socket(b, boss.token);
    let closes = 0;
    client.on('closed', () => closes++);
    const stream = collect(client, INTEGRATION);
    const events = collect(client, EVENTS);
    await sleep(300);
    expect(stream.done).toBe(false);

    await a.ok(UPDATE, { id: boss.id, i: { isAdmin: false } }, a.adminToken);
    expect(code(await a.gql(KEYS, {}, boss.token))).toBe('UNAUTHENTICATED');
    await soon(async () => code(await b.gql(KEYS, {}, boss.token)) === 'UNAUTHENTICATED');
    await soon(() => stream.done && events.done);
    // the socket opened with that token cannot start anything new either
    expect(closes).toBe(0);
    const again = collect(client, EVENTS);
    await soon(() => again.done);
    expect(again.items).toEqual([]);
    expect(closes).toBe(1); // refused on the open socket, which is then closed
    // signing in again gives a session with the new rights
    const fresh = await b.login('boss', 'password-123');
    expect(code(await b.gql(KEYS, {}, fresh))).toBe('FORBIDDEN');
  });

  it('promoting someone ends their sessions too, so no token outlives a role change', async () => {
    const u = await b.createUser('rising');
    expect((await b.ok('{ me { isAdmin } }', {}, u.token)).me.isAdmin).toBe(false);
    await a.ok(UPDATE, { id: u.id, i: { isAdmin: true } }, a.adminToken);
    await soon(async () => code(await b.gql('{ me { id } }', {}, u.token)) === 'UNAUTHENTICATED');
    expect(code(await b.gql(KEYS, {}, await b.login('rising', 'password-123')))).toBeUndefined();
  });

  it('an unchanged flag ends nothing', async () => {
    const u = await b.createUser('steady');
    await a.ok(UPDATE, { id: u.id, i: { isAdmin: false, displayName: 'Steady' } }, a.adminToken);
    await sleep(200);
    expect((await b.ok('{ me { displayName } }', {}, u.token)).me.displayName).toBe('Steady');
  });

  it("freezing and an admin's password reset end the tokens on the other node", async () => {
    for (const [name, change] of [['icy', { frozen: true }], ['reset', { password: 'another-pass-1' }]] as const) {
      const u = await b.createUser(name);
      expect((await b.ok('{ me { id } }', {}, u.token)).me.id).toBe(u.id);
      await a.ok(UPDATE, { id: u.id, i: change }, a.adminToken);
      await soon(async () => code(await b.gql('{ me { id } }', {}, u.token)) === 'UNAUTHENTICATED');
    }
  });
});

describe('revoking an API key', () => {
  it('stops it on every node at once and ends its integration stream there', async () => {
    const k = (await a.ok('mutation{ createApiKey(name:"feed", scopes:[EVENTS_READ]){ secret apiKey { id } } }', {}, a.adminToken)).createApiKey;
    expect(typeof (await b.ok('{ integrationCursor }', {}, k.secret)).integrationCursor).toBe('string'); // cached on B
    const client = socket(b, k.secret);
    let closes = 0;
    client.on('closed', () => closes++);
    const stream = collect(client, INTEGRATION);
    await sleep(300);
    expect(stream.done).toBe(false);

    await a.ok('mutation($id:ID!){ revokeApiKey(id:$id) }', { id: k.apiKey.id }, a.adminToken);
    await soon(async () => code(await b.gql('{ integrationCursor }', {}, k.secret)) === 'UNAUTHENTICATED');
    await soon(() => stream.done);
    expect(closes).toBe(0);
    const again = collect(client, INTEGRATION);
    await soon(() => again.done);
    expect(again.items).toEqual([]);
    expect(closes).toBe(1);
  });
});
