// SIGTERM on a real server process (npm start), with real clients connected: it stops taking
// work on every connection, finishes what is in flight, tells each client to go elsewhere
// (graphql-ws 1001, XMPP <system-shutdown/>, protobuf StreamEnd 111), then exits cleanly.
import { mkdtemp, rm } from 'node:fs/promises';
import { request, Agent, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { ADMIN_PASSWORD, createDatabase, dropDatabase } from './helpers/app.js';
import { freePort, NodeProcess, waitFor } from './helpers/cluster.js';
import { pbLogin } from './helpers/pb-client.js';
import { xmppLogin } from './helpers/xmpp.js';

let dbUrl: string;
let dataDir: string;
let node: NodeProcess;
let xmppPort: number;
let pbPort: number;

const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id msgId } }';

beforeAll(async () => {
  dbUrl = await createDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'stn-shutdown-'));
  [xmppPort, pbPort] = [await freePort(), await freePort()];
  node = new NodeProcess(await freePort(), {
    DATABASE_URL: dbUrl, ADMIN_PASSWORD, DATA_DIR: dataDir, XMPP_PORT: String(xmppPort), PB_PORT: String(pbPort),
    SEND_RATE_PER_SEC: '0', SHUTDOWN_GRACE_MS: '5000', LOG_LEVEL: 'info', REDIS_URL: '',
  });
  await node.start();
});
afterAll(async () => {
  await node?.kill();
  if (dbUrl) await dropDatabase(dbUrl);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown>, token?: string) {
  const res = await fetch(node.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

/** A POST on a given keep-alive agent; the body is written by `write` (so it can be held back). */
function post(agent: Agent, token: string, write: (req: ReturnType<typeof request>) => void) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    const req = request(node.url, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    write(req);
  });
}
const sendBody = (msgId: string) => JSON.stringify({ query: SEND, variables: { i: { to: 'bob', msgId, body: msgId } } });

it('drains: refuses new work, finishes in-flight work, closes every kind of client cleanly', async () => {
  const admin = (await gql('mutation($p:String!){ login(username:"admin",password:$p){ token } }', { p: ADMIN_PASSWORD })).data.login.token;
  for (const u of ['alice', 'bob']) {
    await gql('mutation($i:CreateUserInput!){ createUser(input:$i){ id } }', { i: { username: u, password: 'password-123' } }, admin);
  }
  const alice = (await gql('mutation{ login(username:"alice",password:"password-123"){ token } }', {})).data.login.token;
  const bob = (await gql('mutation{ login(username:"bob",password:"password-123"){ token } }', {})).data.login.token;

  // graphql-ws subscriber
  let wsClose: { code: number; reason: string } | undefined;
  const ws = createClient({
    url: node.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${bob}` },
    retryAttempts: 0, on: { closed: (e) => (wsClose ??= { code: (e as CloseEvent).code, reason: (e as CloseEvent).reason }) },
  });
  ws.subscribe({ query: 'subscription{ events{ cursor } }' }, { next: () => {}, error: () => {}, complete: () => {} });
  // XMPP over TCP, and Startalk's protobuf transport
  const x = await xmppLogin(xmppPort, 'bob');
  const xmppElements: string[] = [];
  x.c.on('element', (el: { toString(): string }) => xmppElements.push(el.toString()));
  const pb = await pbLogin(pbPort, 'bob', 'password-123');
  // two kept-alive HTTP connections: one idle, one with a request under way (body held back)
  const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const busyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect((await post(idleAgent, alice, (r) => r.end(sendBody('warm-idle')))).status).toBe(200);
  expect((await post(busyAgent, alice, (r) => r.end(sendBody('warm-busy')))).status).toBe(200);
  let held!: ReturnType<typeof request>;
  const inFlight = post(busyAgent, alice, (r) => {
    held = r;
    const body = sendBody('in-flight');
    r.setHeader('content-length', Buffer.byteLength(body));
    r.write(body.slice(0, 10));
    (r as unknown as { heldRest: string }).heldRest = body.slice(10);
  });
  await waitFor(async () => !!held, 'the held request');
  await new Promise((r) => setTimeout(r, 200)); // its headers reached the server

  // an XMPP send racing the shutdown: processed and acknowledged, or not processed at all
  await x.c.send(xml('message', { to: 'alice@localhost', type: 'chat', id: 'x-racing' }, xml('body', { id: 'x-racing' }, 'hi')));
  const exited = node.stop(); // SIGTERM
  await waitFor(async () => node.log.includes('shutting down'), 'the shutdown to begin', 5000);

  // new work on a kept-alive connection is refused (and not done), and the connection closed
  const refused = await post(idleAgent, alice, (r) => r.end(sendBody('after-sigterm')));
  expect([refused.status, refused.headers.connection]).toEqual([503, 'close']);
  // the request that was under way completes, and says the connection closes
  held.end((held as unknown as { heldRest: string }).heldRest);
  const done = await inFlight;
  expect(done.status).toBe(200);
  expect(JSON.parse(done.body).data.sendMessage.msgId).toBe('in-flight');
  expect(done.headers.connection).toBe('close');
  // and that connection is not reused for more work
  const again = await post(busyAgent, alice, (r) => r.end(sendBody('after-in-flight'))).catch((e: NodeJS.ErrnoException) => e.code ?? e.message);
  expect(typeof again === 'string' ? again : again.status).toMatch(/^(ECONNREFUSED|503)$/);

  await exited;
  expect(wsClose).toEqual({ code: 1001, reason: 'server shutting down' });
  expect(xmppElements.some((e) => e.includes('system-shutdown'))).toBe(true);
  expect((await pb.c.waitFor((f) => f.signalType === 51)).m.code).toBe(111);
  expect(node.log).not.toContain('after calling end on the pool');
  expect(node.log).not.toMatch(/"level":(50|60)/); // no error logged on the way out

  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const ids = (await db.query('SELECT msg_id FROM messages ORDER BY seq')).rows.map((r) => r.msg_id);
  await db.end();
  const acked = xmppElements.findIndex((e) => e.includes('stat="sent"') && e.includes('x-racing'));
  const shutdown = xmppElements.findIndex((e) => e.includes('system-shutdown'));
  if (ids.includes('x-racing')) expect(acked).toBeGreaterThanOrEqual(0);
  if (acked >= 0) expect(acked).toBeLessThan(shutdown);
  expect(ids.filter((id) => id !== 'x-racing')).toEqual(['warm-idle', 'warm-busy', 'in-flight']);
  idleAgent.destroy();
  busyAgent.destroy();
  await x.c.stop().catch(() => {});
  await ws.dispose();
});

it('under load, every send during close either completes or is refused cleanly, and nothing is logged as an error', async () => {
  const db = await createDatabase();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const app = await buildApp(loadConfig({
    DATABASE_URL: db, ADMIN_PASSWORD, HOST: '127.0.0.1', PORT: '0', SEND_RATE_PER_SEC: '0', XMPP_PORT: 'off', PB_PORT: 'off',
  }), logger);
  const { url } = await app.listen(0, '127.0.0.1');
  const call = async (query: string, variables: object, token?: string) => (await (await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })).json()) as any;
  const admin = (await call('mutation($p:String!){ login(username:"admin",password:$p){ token } }', { p: ADMIN_PASSWORD })).data.login.token;
  for (const u of ['alice', 'bob']) await call('mutation($i:CreateUserInput!){ createUser(input:$i){ id } }', { i: { username: u, password: 'password-123' } }, admin);
  const alice = (await call('mutation{ login(username:"alice",password:"password-123"){ token } }', {})).data.login.token;

  // 16 clients sending one after another on kept-alive connections (fetch), until refused
  const outcomes: string[] = [];
  let started = 0;
  const sender = async (k: number) => {
    for (let i = 0; i < 10_000; i++) {
      try {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` },
          body: JSON.stringify({ query: SEND, variables: { i: { to: 'bob', msgId: `s${k}-${i}`, body: 'x' } } }),
        });
        const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
        outcomes.push(res.status === 200 && body.data ? 'ok' : `${res.status}:${body.errors?.[0]?.extensions?.code ?? ''}`);
        started++;
      } catch (e) {
        // refused, or reset while connecting (the listen backlog went with the listener): no request was sent
        const cause = (e as { cause?: { code?: string; syscall?: string } }).cause;
        if (cause?.syscall === 'connect') return void outcomes.push('not connected'); // the client goes elsewhere
        outcomes.push(cause?.code ?? String(e));
      }
    }
  };
  const senders = Array.from({ length: 16 }, (_, k) => sender(k));
  await waitFor(async () => started >= 32, 'sends under way');
  await app.close();
  await Promise.all(senders);
  const stored = new pg.Client({ connectionString: db });
  await stored.connect();
  const n = Number((await stored.query('SELECT count(*) AS n FROM messages')).rows[0].n);
  await stored.end();
  await dropDatabase(db);

  const tally = JSON.stringify(outcomes.reduce<Record<string, number>>((m, o) => ((m[o] = (m[o] ?? 0) + 1), m), {}));
  expect([...new Set(outcomes)].filter((o) => !['ok', '503:', 'not connected'].includes(o)), tally).toEqual([]);
  expect(n, tally).toBe(outcomes.filter((o) => o === 'ok').length); // what was refused was not done
  expect(lines.filter((l) => /"level":(50|60)/.test(l)).map((l) => l.slice(0, 400))).toEqual([]);
});
