// The GraphQL API as client developers meet it: tokens in extensions.headers (GraphiQL),
// graphql-sse in both modes, persisted operations (APQ, trusted documents), error codes,
// switches for GraphiQL and introspection, and one CORS policy on every route.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient as createSSEClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/server/config.js';
import { buildApp, type App } from '../src/server/app.js';
import { ADMIN_PASSWORD, createDatabase, dropDatabase, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { eventually } from './helpers/wait.js';

const SEND = 'mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }';
const EVENTS = 'subscription { events { cursor ... on MessageAddedEvent { message { body } } } }';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** a subscription over graphql-ws whose token travels only in extensions.headers, as GraphiQL sends it */
function subscribeWithHeaders(c: Client, query: string, headers: Record<string, string>) {
  const items: any[] = [];
  const errors: any[] = [];
  let done = false;
  c.subscribe({ query, extensions: { headers } }, {
    next: (v) => {
      if (v.errors) errors.push(...v.errors);
      if (v.data) items.push(v.data);
    },
    error: (e) => {
      errors.push(e);
      done = true;
    },
    complete: () => (done = true),
  });
  return { items, errors, get done() { return done; } };
}

/** waits up to `ms` for `cond`, and says whether it held (some callers only wait, others assert) */
const until = (cond: () => boolean, ms = 10_000) =>
  eventually(cond, { timeoutMs: ms, intervalMs: 25 }).then(() => true, () => false);

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, ...(await r.json()) as any }));

describe('GraphQL for client developers (development defaults)', () => {
  let t: TestApp;
  let alice: { id: string; token: string; username: string };
  let bob: { id: string; token: string; username: string };
  beforeAll(async () => {
    t = await startTestApp({ SEND_RATE_PER_SEC: '0', MAX_QUERY_COST: '20' });
    ({ alice, bob } = await users(t, 'alice', 'bob'));
  });
  afterAll(() => t?.close());

  it('accepts a subscription token in extensions.headers over graphql-ws, and revocation ends it', async () => {
    const token = await t.login('alice', 'password-123');
    const sub = subscribeWithHeaders(t.ws(), EVENTS, { Authorization: `Bearer ${token}` });
    // until the subscription is live, each send may be missed: keep sending until one arrives
    for (let i = 0; i < 40 && sub.items.length === 0 && !sub.done; i++) {
      await t.ok(SEND, { i: { to: 'alice', body: `hi ${i}` } }, bob.token);
      await until(() => sub.items.length > 0, 250);
    }
    expect(sub.errors).toEqual([]);
    expect(sub.items[0].events.message.body).toMatch(/^hi /);
    await t.ok('mutation { logout }', {}, token);
    expect(await until(() => sub.done)).toBe(true);
  });

  it('refuses an unknown token in extensions.headers with UNAUTHENTICATED', async () => {
    const sub = subscribeWithHeaders(t.ws(), EVENTS, { authorization: 'Bearer stn_not-a-token' });
    await until(() => sub.done);
    expect(sub.errors.map((e) => e.extensions?.code ?? e[0]?.extensions?.code).flat()).toContain('UNAUTHENTICATED');
  });

  it('serves graphql-sse in single-connection mode (and distinct connections) with the token in a header', async () => {
    for (const singleConnection of [true, false]) {
      const client = createSSEClient({ url: t.url, singleConnection, headers: { authorization: `Bearer ${alice.token}` }, retryAttempts: 0 });
      try {
        const q = await new Promise<any>((resolve, reject) => {
          client.subscribe({ query: '{ me { username } }' }, { next: resolve, error: reject, complete: () => {} });
        });
        expect(q.data.me.username).toBe('alice');
        const got: any[] = [];
        const errors: unknown[] = [];
        const stop = client.subscribe({ query: EVENTS }, { next: (v) => got.push(v), error: (e) => errors.push(e), complete: () => {} });
        for (let i = 0; i < 40 && got.length === 0; i++) {
          await t.ok(SEND, { i: { to: 'alice', body: `sse ${singleConnection} ${i}` } }, bob.token);
          await until(() => got.length > 0, 250);
        }
        stop();
        expect(errors).toEqual([]);
        expect(got[0].data.events.message.body).toMatch(`sse ${singleConnection}`);
      } finally {
        client.dispose();
      }
    }
  });

  it('over graphql-sse takes the token from extensions.headers, and revocation ends the stream', async () => {
    const token = await t.login('alice', 'password-123');
    const client = createSSEClient({ url: t.url, retryAttempts: 0 });
    try {
      const got: any[] = [];
      const errors: unknown[] = [];
      let completed = false;
      client.subscribe({ query: EVENTS, extensions: { headers: { authorization: `Bearer ${token}` } } }, {
        next: (v) => got.push(v), error: (e) => errors.push(e), complete: () => (completed = true),
      });
      for (let i = 0; i < 40 && got.length === 0; i++) {
        await t.ok(SEND, { i: { to: 'alice', body: `ext ${i}` } }, bob.token);
        await until(() => got.length > 0, 250);
      }
      expect(errors).toEqual([]);
      expect(got[0].data.events.message.body).toMatch(/^ext /);
      await t.ok('mutation { logout }', {}, token);
      expect(await until(() => completed || errors.length > 0)).toBe(true);
    } finally {
      client.dispose();
    }
  });

  it('reserves a graphql-sse stream only for a signed-in caller, under a token of its own', async () => {
    const anon = await fetch(t.url, { method: 'PUT', headers: { accept: 'text/plain' } });
    expect(anon.status).toBe(401);
    const put = await fetch(t.url, { method: 'PUT', headers: { accept: 'text/plain', authorization: `Bearer ${alice.token}`, 'x-graphql-event-stream-token': 'chosen' } });
    expect(put.status).toBe(201);
    const token = await put.text();
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('takes the token from extensions.headers over HTTP/SSE too', async () => {
    const r = await post(t.url, { query: '{ me { username } }', extensions: { headers: { authorization: `Bearer ${bob.token}` } } });
    expect(r.data.me.username).toBe('bob');
  });

  it('APQ: a hash-only request misses with PERSISTED_QUERY_NOT_FOUND, registers, then hits', async () => {
    const query = '{ me { username jid } }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha(query) } };
    const auth = { authorization: `Bearer ${alice.token}` };
    const miss = await post(t.url, { extensions: ext }, auth);
    expect(miss.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const reg = await post(t.url, { query, extensions: ext }, auth);
    expect(reg.data.me.username).toBe('alice');
    const hit = await post(t.url, { extensions: ext }, auth);
    expect(hit.data.me.username).toBe('alice');
    const wrong = await post(t.url, { query: '{ me { id } }', extensions: ext }, auth);
    expect(wrong.errors[0].extensions.code).toBe('PERSISTED_QUERY_MISMATCH');
  });

  it('gives every error its documented extensions.code, over HTTP and WebSocket', async () => {
    const parse = await t.gql('{ me { ', {}, alice.token);
    expect(parse.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await t.gql('{ me { noSuchField } }', {}, alice.token);
    expect(invalid.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const coercion = await t.gql('query($n:Int!){ conversations(first:$n){ id } }', { n: 'x' }, alice.token);
    expect(coercion.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const costly = await t.gql(`{ ${Array.from({ length: 8 }, (_, i) => `c${i}: conversations { id unreadCount }`).join(' ')} }`, {}, alice.token);
    expect(costly.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'COST_LIMIT' });
    expect(costly.errors?.[0]?.message).toMatch(/^Query Cost limit/);
    const anon = await t.gql('{ me { id } }');
    expect(anon.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const ws = t.ws(alice.token);
    for (const [query, code] of [['subscription { events { ', 'GRAPHQL_PARSE_FAILED'], ['subscription { events { nope } }', 'GRAPHQL_VALIDATION_FAILED']]) {
      const sub = subscribeWithHeaders(ws, query!, {});
      await until(() => sub.done);
      expect(sub.errors.flat().map((e: any) => e.extensions?.code)).toEqual([code]);
    }
  });

  it('answers introspection and GraphiQL in development, from this server alone', async () => {
    const r = await t.gql('{ __schema { queryType { name } } }');
    expect(r.data.__schema.queryType.name).toBe('Query');
    const page = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('renderYogaGraphiQL');
    // nothing is loaded from elsewhere: no <script src> or <link href> at all
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  it('sends the GraphiQL page gzipped to a browser that accepts it, and plain to one that does not', async () => {
    const { request } = await import('node:http');
    const { gunzipSync } = await import('node:zlib');
    const get = (enc?: string) => new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      const req = request(t.url, { headers: { accept: 'text/html', ...(enc ? { 'accept-encoding': enc } : {}) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    const plain = await get();
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await get('gzip, deflate, br');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
  });

  it('answers CORS preflights on every route a browser app uses, and CORS headers on the answers', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const tk = (await t.ok('mutation{ requestUpload(name:"a.txt",size:3,contentType:"text/plain"){ url uploadId } }', {}, alice.token)).requestUpload;
    const paths = ['/graphql', new URL(tk.url, base).pathname + new URL(tk.url, base).search, '/file/v2/download/abc', '/newapi/nck/qtalk_nav.qunar', '/file/v2/upload/file'];
    for (const p of paths) {
      const r = await fetch(base + p, {
        method: 'OPTIONS',
        headers: { origin: 'http://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type' },
      });
      expect([p, r.status]).toEqual([p, 204]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(r.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    }
    const put = await fetch(new URL(tk.url, base), { method: 'PUT', headers: { origin: 'http://app.example', 'content-type': 'text/plain' }, body: 'abc' });
    expect(put.status).toBeLessThan(300);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
    const g = await fetch(t.url, { method: 'POST', headers: { origin: 'http://app.example', 'content-type': 'application/json' }, body: '{"query":"{ eventCursor }"}' });
    expect(g.headers.get('access-control-allow-origin')).toBe('*');
    expect(g.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

describe('GraphQL in production settings', () => {
  // built directly: the usual test helper signs in with a document of its own
  let app: App;
  let url: string;
  let dbUrl: string;
  let adminToken: string;
  const ws: Client[] = [];
  const doc = 'query Me { me { username } }';
  const login = 'mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';
  const id = `sha256:${sha(doc)}`;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stn-trusted-'));
    const file = join(dir, 'persisted-documents.json');
    writeFileSync(file, JSON.stringify({ [sha(doc)]: doc, [id]: doc, login }));
    dbUrl = await createDatabase();
    app = await buildApp(loadConfig({
      DATABASE_URL: dbUrl, ADMIN_PASSWORD, PORT: '0', LOG_LEVEL: 'silent', NODE_ENV: 'production', TRUSTED_DOCUMENTS: file,
      CORS_ORIGINS: 'https://app.example, https://admin.example',
    }));
    url = (await app.listen(0, '127.0.0.1')).url;
    adminToken = (await post(url, { documentId: 'login', variables: { u: 'admin', p: ADMIN_PASSWORD } })).data.login.token;
  });
  afterAll(async () => {
    for (const c of ws) await c.dispose();
    await app?.close();
    if (dbUrl) await dropDatabase(dbUrl);
  });
  const t = {
    get url() { return url; },
    get adminToken() { return adminToken; },
    ws(token: string) {
      const c = createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: true });
      ws.push(c);
      return c;
    },
  };

  it('refuses a manifest entry that does not validate: the server does not start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stn-trusted-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ bad: '{ me { noSuchField } }' }));
    await expect(buildApp(loadConfig({ DATABASE_URL: dbUrl, PORT: '0', LOG_LEVEL: 'silent', TRUSTED_DOCUMENTS: file })))
      .rejects.toThrow(/bad is not valid/);
  });

  it('accepts only trusted documents, by id, over HTTP and WebSocket', async () => {
    const auth = { authorization: `Bearer ${t.adminToken}` };
    expect((await post(t.url, { documentId: id }, auth)).data.me.username).toBe('admin');
    expect((await post(t.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha(doc) } } }, auth)).data.me.username).toBe('admin');
    const arbitrary = await post(t.url, { query: doc }, auth);
    expect(arbitrary.errors[0].extensions.code).toBe('TRUSTED_DOCUMENTS_ONLY');
    const unknown = await post(t.url, { documentId: 'sha256:0000' }, auth);
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const ws = t.ws(t.adminToken);
    const viaWs = subscribeWithHeaders(ws, doc, {});
    await until(() => viaWs.done);
    expect(viaWs.errors.flat().map((e: any) => e.extensions?.code)).toEqual(['TRUSTED_DOCUMENTS_ONLY']);
    const byId = await new Promise<any>((resolve, reject) =>
      ws.subscribe({ query: '', extensions: { persistedQuery: { version: 1, sha256Hash: sha(doc) } } }, { next: resolve, error: reject, complete: () => {} }));
    expect(byId.data.me.username).toBe('admin');
  });

  it('has GraphiQL and introspection off unless asked for', async () => {
    const page = await fetch(t.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ graphiql: false, introspection: false, corsOrigins: '*' });
    expect(loadConfig({})).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHIQL: 'on', GRAPHQL_INTROSPECTION: 'on' })).toMatchObject({ graphiql: true, introspection: true });
    expect(() => loadConfig({ CORS_ORIGINS: 'https://a.example/path' })).toThrow(/CORS_ORIGINS/);
  });

  it('answers CORS only for the listed origins, with credentials', async () => {
    const pre = (origin: string) => fetch(t.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const ok = await pre('https://admin.example');
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await pre('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('GraphQL with introspection switched off; limits and failures', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ GRAPHQL_INTROSPECTION: 'false' });
  });
  afterAll(() => t?.close());

  it('refuses __schema and __type with GRAPHQL_VALIDATION_FAILED, over HTTP and WebSocket', async () => {
    for (const q of ['{ __schema { queryType { name } } }', '{ __type(name: "User") { name } }']) {
      const r = await t.gql(q);
      expect(r.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    const sub = subscribeWithHeaders(t.ws(t.adminToken), '{ __schema { queryType { name } } }', {});
    await until(() => sub.done);
    expect(new Set(sub.errors.flat().map((e: any) => e.extensions?.code))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect((await t.gql('{ eventCursor }', {}, t.adminToken)).errors).toBeUndefined();
  });

  it('answers RATE_LIMITED with retryAfterMs, and a failure inside the server as INTERNAL without details', async () => {
    let limited;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await t.gql('mutation { login(username: "admin", password: "wrong-password") { token } }');
      if (r.errors?.[0]?.extensions?.code === 'RATE_LIMITED') limited = r.errors[0];
    }
    expect(limited?.extensions?.retryAfterMs).toBeGreaterThan(0);

    await t.db.query('ALTER TABLE conversations RENAME TO conversations_away');
    try {
      const r = await t.gql('{ conversations(first: 5) { id } }', {}, t.adminToken);
      expect(r.errors?.[0]).toEqual({ message: 'Unexpected error.', path: ['conversations'], locations: expect.anything(), extensions: { code: 'INTERNAL' } });
    } finally {
      await t.db.query('ALTER TABLE conversations_away RENAME TO conversations');
    }
  });
});
