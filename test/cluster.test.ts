// Two server processes on one PostgreSQL and one Redis: cross-node delivery in order,
// resume on the other node, presence across nodes, a killed node's devices expiring,
// and a Redis restart in the middle of a stream of sends losing nothing.
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { collect, createDatabase, dropDatabase, sleep } from './helpers/app.js';
import { freePort, NodeProcess, RedisProcess, waitFor } from './helpers/cluster.js';
import { socketLogin, type SocketSession } from './helpers/legacy-client.js';

let dbUrl: string;
let redis: RedisProcess;
let a: NodeProcess;
let b: NodeProcess;
let xmppA: number;
let xmppB: number;
const clients: Client[] = [];

async function gql(node: NodeProcess, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const r = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const login = async (node: NodeProcess, u: string, p: string) =>
  (await gql(node, 'mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }', { u, p })).login.token as string;

function ws(node: NodeProcess, token: string): Client {
  const c = createClient({
    url: node.url.replace('http', 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  clients.push(c);
  return c;
}

const users: Record<string, { token: string }> = {};
const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }';
const EVENTS = 'subscription($s:String){ events(since:$s){ cursor ... on MessageAddedEvent { message { id body } } } }';
const bodies = (items: any[]) => items.map((e) => e.events.message?.body).filter(Boolean);

beforeAll(async () => {
  dbUrl = await createDatabase();
  redis = new RedisProcess(await freePort());
  await redis.start();
  const env = {
    DATABASE_URL: dbUrl, REDIS_URL: redis.url, REDIS_PREFIX: `c${randomBytes(4).toString('hex')}`,
    ADMIN_PASSWORD: 'cluster-admin', LOG_LEVEL: 'warn', SEND_RATE_PER_SEC: '0',
    PRESENCE_TTL_SECONDS: '2', PRESENCE_EVENT_INTERVAL_MS: '0', FRAME_WAIT_MS: '200', XMPP_PORT: '0', PB_PORT: '0',
  };
  xmppA = await freePort();
  xmppB = await freePort();
  a = new NodeProcess(await freePort(), { ...env, XMPP_PORT: String(xmppA) });
  await a.start();
  b = new NodeProcess(await freePort(), { ...env, XMPP_PORT: String(xmppB) });
  await b.start();
  const admin = await login(a, 'admin', 'cluster-admin');
  for (const u of ['alice', 'bob', 'carol']) {
    await gql(a, 'mutation($u:String!){ createUser(input:{username:$u, password:"password-123"}){ id } }', { u }, admin);
    users[u] = { token: await login(a, u, 'password-123') };
  }
}, 90_000);

afterAll(async () => {
  for (const c of clients) await Promise.resolve(c.dispose()).catch(() => {});
  await a?.stop();
  await b?.stop();
  await redis?.stop();
  if (dbUrl) await dropDatabase(dbUrl);
});

describe('two nodes', () => {
  it('delivers 1:1 and group messages sent on both nodes to a receiver on one, in stream order', async () => {
    const g = (await gql(a, 'mutation { createGroup(input:{name:"x", members:["bob","carol"]}){ id } }', {}, users.alice!.token)).createGroup.id;
    const bobOnB = collect(ws(b, users.bob!.token), EVENTS);
    await sleep(300);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      sends.push(gql(a, SEND, { i: { to: 'bob', body: `a${i}` } }, users.alice!.token));
      sends.push(gql(b, SEND, { i: { to: 'bob', body: `c${i}` } }, users.carol!.token));
      if (i % 4 === 0) sends.push(gql(a, 'mutation($g:ID!,$b:String!){ sendGroupMessage(input:{groupId:$g, body:$b}){ id } }', { g, b: `g${i}` }, users.alice!.token));
    }
    await Promise.all(sends);
    const got = await bobOnB.waitFor(90, 15_000);
    expect(got).toHaveLength(90);
    const ids = got.map((e) => BigInt(e.events.message.id));
    expect(ids).toEqual([...ids].sort((x, y) => (x < y ? -1 : 1))); // commit order across nodes
    const bs = bodies(got);
    for (let i = 0; i < 40; i++) expect(bs).toContain(`a${i}`), expect(bs).toContain(`c${i}`);
    expect(bs.filter((x) => x.startsWith('g'))).toHaveLength(10);
    bobOnB.stop();
  });

  it('resumes on the other node from a cursor it got on the first', async () => {
    const first = collect(ws(b, users.bob!.token), EVENTS);
    await sleep(300);
    for (let i = 0; i < 5; i++) await gql(a, SEND, { i: { to: 'bob', body: `r${i}` } }, users.alice!.token);
    const seen = await first.waitFor(5);
    first.stop();
    for (let i = 5; i < 10; i++) await gql(b, SEND, { i: { to: 'bob', body: `r${i}` } }, users.alice!.token);
    const resumed = collect(ws(a, users.bob!.token), EVENTS, { s: seen[4].events.cursor });
    expect(bodies(await resumed.waitFor(5))).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
    resumed.stop();
  });

  it('shows presence from the other node, and a killed node\'s devices go offline within the TTL', async () => {
    const PRESENCE = 'query { presence(users:["carol"]){ online devices { resource } } }';
    const watch = collect(ws(a, users.alice!.token), 'subscription { presenceChanges { user { username } online } }');
    await sleep(300);
    const carolOnB = collect(ws(b, users.carol!.token), EVENTS);
    await waitFor(async () => (await gql(a, PRESENCE, {}, users.alice!.token)).presence[0].online, 'carol online on A');
    await waitFor(async () => watch.items.some((e) => e.presenceChanges.user.username === 'carol' && e.presenceChanges.online), 'online event');
    const killedAt = Date.now();
    await b.kill();
    await waitFor(async () => !(await gql(a, PRESENCE, {}, users.alice!.token)).presence[0].online, 'carol offline', 10_000);
    const offlineAfter = Date.now() - killedAt;
    expect(offlineAfter).toBeLessThan(2_000 + 3_000); // TTL 2 s, plus slack for a loaded CI machine
    await waitFor(async () => watch.items.some((e) => e.presenceChanges.user.username === 'carol' && !e.presenceChanges.online), 'offline event', 10_000);
    carolOnB.stop();
    watch.stop();
    await b.start(); // back for the next test
  }, 40_000);

  it('keeps every message through a Redis restart in the middle of a stream of sends', async () => {
    const since = (await gql(b, '{ eventCursor }', {}, users.bob!.token)).eventCursor;
    const bobOnB = collect(ws(b, users.bob!.token), EVENTS, { s: since });
    await sleep(300);
    const sent: string[] = [];
    for (let i = 0; i < 120; i++) {
      if (i === 40) await redis.stop();
      if (i === 80) {
        expect(await a.ready()).toBe(false); // not ready without Redis
        await redis.start();
      }
      await gql(a, SEND, { i: { to: 'bob', body: `s${i}` } }, users.alice!.token); // persists whatever Redis does
      sent.push(`s${i}`);
      await sleep(5);
    }
    const got = await bobOnB.waitFor(120, 20_000);
    expect(bodies(got)).toEqual(sent);
    await waitFor(() => a.ready(), 'node A ready again');
    bobOnB.stop();
  }, 60_000);

  it('caps a user at 10 XMPP sessions counted over both nodes', async () => {
    const open: SocketSession[] = [];
    try {
      for (let i = 0; i < 10; i++) open.push(await socketLogin(i < 6 ? xmppA : xmppB, 'carol', 'password-123', `cap${i}`));
      await expect(socketLogin(xmppB, 'carol', 'password-123', 'cap10')).rejects.toThrow(/resource-constraint/);
      await expect(socketLogin(xmppA, 'carol', 'password-123', 'cap11')).rejects.toThrow(/resource-constraint/);
      // the same resource replaces its old session instead of counting twice
      open.push(await socketLogin(xmppA, 'carol', 'password-123', 'cap0'));
      await open.shift()!.close();
      await open.shift()!.close(); // cap1 leaves node A: one seat frees up on node B
      await sleep(300);
      open.push(await socketLogin(xmppB, 'carol', 'password-123', 'cap12'));
    } finally {
      for (const s of open) await s.close();
    }
  });
});
