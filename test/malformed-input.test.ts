// Malformed input on every HTTP route is the client's fault: a 4xx (or Startalk's refusal
// envelope where clients expect HTTP 200), never a 500, and never an error-level log line
// (a stranger must not be able to flood the logs). Walks every legacy route the server
// answers, plus /graphql and the health routes, with the logger captured.
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { ADMIN_PASSWORD, createDatabase, dropDatabase } from './helpers/app.js';
import { qckey, socketLogin } from './helpers/legacy-client.js';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const logs: { level: number; msg: string; path?: string }[] = [];
const errorLogs = () => logs.filter((l) => l.level >= 50); // pino: 50 error, 60 fatal

let app: App;
let base: string;
let dbUrl: string;
let cookie: string;

beforeAll(async () => {
  dbUrl = await createDatabase();
  const config = loadConfig({
    DATABASE_URL: dbUrl, ADMIN_PASSWORD, HOST: '127.0.0.1', PORT: '0', ADMIN_API_KEY: ADMIN_KEY, MAX_REQUEST_BYTES: '2048',
  });
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  app = await buildApp(config, logger);
  const { port, xmppPort } = await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
  const s = await socketLogin(xmppPort!, 'admin', ADMIN_PASSWORD);
  cookie = `q_ckey=${qckey('admin', s.key)}`;
  await s.close();
  logs.length = 0;
});

beforeEach(() => {
  logs.length = 0;
});

afterAll(async () => {
  await app?.close();
  if (dbUrl) await dropDatabase(dbUrl);
});

/** A raw HTTP/1.1 request (fetch would refuse or fix some of the malformed parts). */
function raw(request: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (data += d));
    s.on('error', reject);
    s.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    s.write(request);
  });
}

const auth = (route: { auth: string }) =>
  route.auth === 'admin' ? { 'x-api-key': ADMIN_KEY } : route.auth === 'ckey' ? { cookie } : ({} as Record<string, string>);

/** a client error: 4xx, or Startalk's refusal envelope with HTTP 200 */
function refused(status: number, body: string): boolean {
  if (status >= 400 && status < 500) return true;
  if (status !== 200) return false;
  try {
    const j = JSON.parse(body) as { ret?: unknown; errcode?: unknown };
    return j.ret === false && j.errcode !== 500;
  } catch {
    return false;
  }
}

describe('malformed input on every legacy route', () => {
  it('lists the routes it walks', () => {
    expect(app.legacyRoutes().length).toBeGreaterThan(30);
  });

  it('a bad percent-encoding in the path is a 400 (or a refusal), with no error log', async () => {
    const bad: string[] = [];
    for (const r of app.legacyRoutes()) {
      for (const path of [r.prefix ? `${r.path}%E0%A4%A` : `${r.path}/%E0%A4%A`, `${r.path}?q=%E0%A4%A&%=&a=%zz`]) {
        const res = await fetch(base + path, { headers: auth(r) });
        const body = await res.text();
        if (res.status >= 500 || (r.prefix && path.includes('%E0%A4%A') && !path.includes('?') && !refused(res.status, body))) {
          bad.push(`${path} -> ${res.status} ${body.slice(0, 80)}`);
        }
      }
    }
    expect(bad).toEqual([]);
    expect(errorLogs()).toEqual([]);
  });

  it('GET /file/v2/download/%E0%A4%A without login is a 400', async () => {
    const res = await fetch(`${base}/file/v2/download/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(errorLogs()).toEqual([]);
  });

  it('a body that is not JSON is refused on every route that reads one, signed in', async () => {
    const bad: string[] = [];
    for (const r of app.legacyRoutes()) {
      const res = await fetch(base + r.path, {
        method: 'POST', headers: { 'content-type': 'application/json', ...auth(r) }, body: '{"a": [1, 2',
      });
      const body = await res.text();
      if (!refused(res.status, body)) bad.push(`${r.path} -> ${res.status} ${body.slice(0, 80)}`);
    }
    expect(bad).toEqual([]);
    expect(errorLogs()).toEqual([]);
  });

  it('a body over MAX_REQUEST_BYTES is refused on every route, signed in', async () => {
    const bad: string[] = [];
    for (const r of app.legacyRoutes()) {
      const res = await fetch(base + r.path, {
        method: 'POST', headers: { 'content-type': 'application/json', ...auth(r) }, body: JSON.stringify({ pad: 'x'.repeat(4096) }),
      });
      const body = await res.text();
      if (!refused(res.status, body)) bad.push(`${r.path} -> ${res.status} ${body.slice(0, 80)}`);
    }
    expect(bad).toEqual([]);
    expect(errorLogs()).toEqual([]);
  });

  it('bad headers (a q_ckey cookie with bad percent-encoding or base64, a garbage bearer) are refused, not 500', async () => {
    const bad: string[] = [];
    for (const r of app.legacyRoutes()) {
      for (const headers of <Record<string, string>[]>[
        { cookie: 'q_ckey=%E0%A4%A' }, { qcookie: 'q_ckey=%%%' }, { cookie: 'q_ckey=!!!not-base64' },
        { authorization: 'Bearer \u00ff\u00fe' }, { 'x-api-key': '%E0' }, { range: 'bytes=9-1,x' },
      ]) {
        const res = await fetch(base + r.path, { headers });
        const body = await res.text();
        if (res.status >= 500) bad.push(`${r.path} ${JSON.stringify(headers)} -> ${res.status} ${body.slice(0, 80)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(errorLogs()).toEqual([]);
  });
});

describe('malformed input on the other HTTP routes', () => {
  it('/graphql: bad JSON, a bad query string, an oversize body are 4xx with no error log', async () => {
    const r1 = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(r1.status).toBeGreaterThanOrEqual(400);
    expect(r1.status).toBeLessThan(500);
    // GraphQL over HTTP: with application/json a request error may come with 200; never a 500
    const r2 = await fetch(`${base}/graphql?query=%E0%A4%A&variables=%zz`, { headers: { accept: 'application/graphql-response+json' } });
    expect(r2.status).toBeGreaterThanOrEqual(400);
    expect(r2.status).toBeLessThan(500);
    const r3 = await fetch(`${base}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(300_000)}` }),
    });
    expect(r3.status).toBe(413);
    expect(errorLogs()).toEqual([]);
  });

  it('an absolute-form request target that is not a URL is a 400, and the server keeps serving', async () => {
    for (const target of ['http://[::1/newapi/nck/qtalk_nav.qunar', '//[bad/x', '/newapi/%']) {
      const r = await raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(r.status, target).toBeGreaterThanOrEqual(400);
      expect(r.status, target).toBeLessThan(500);
    }
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(errorLogs()).toEqual([]);
  });
});
