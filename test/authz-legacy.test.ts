// Issue 14: the authorization matrix of the legacy HTTP edge. Every route src/legacy declares
// (legacyRoutes) must have a case in test/authz/legacy-table.ts; each is called with no
// credentials, a stranger's q_ckey, owner's q_ckey and the admin API key alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStartalkKey } from '../src/startalk/rsa.js';
import { legacyRoutes } from '../src/legacy/index.js';
import { qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';
import { PASSWORD, setupFixtures } from './authz/fixtures.js';
import { LEGACY_CASES, LEGACY_PRINCIPALS, type LegacyCase, type LegacyFx, type LegacyOutcome, type LegacyPrincipal, type LegacyRequest } from './authz/legacy-table.js';

const ADMIN_API_KEY = 'authz-admin-key-0123456789';
let l: LegacyFx;
const sockets: SocketSession[] = [];
const ckeys: Record<'owner' | 'stranger' | 'removed', string> = { owner: '', stranger: '', removed: '' };

beforeAll(async () => {
  const fx = await setupFixtures({ ADMIN_API_KEY });
  for (const u of ['owner', 'stranger', 'removed'] as const) {
    const s = await socketLogin(fx.t.app.bridgePort!, u, PASSWORD);
    sockets.push(s);
    ckeys[u] = qckey(u, s.key);
    if (u === 'stranger') forged = qckey('owner', s.key);
  }
  const g = await fx.ok('owner', 'query($g:ID!,$f:ID!){ group(id:$g){ card { roomName } } file(id:$f){ path } }', { g: fx.group, f: fx.file });
  l = { ...fx, room: g.group.card.roomName, filePath: g.file.path.split('?')[0], adminApiKey: ADMIN_API_KEY };
}, 120_000);
afterAll(async () => {
  for (const s of sockets) await s.close();
  await l?.close();
});

let forged = '';
const ckeyOf = (p: LegacyPrincipal) => (p === 'self' ? ckeys.owner : p === 'other' ? ckeys.stranger : p === 'forged' ? forged : undefined);

async function send(p: LegacyPrincipal, r: LegacyRequest) {
  const headers: Record<string, string> = {};
  const ck = ckeyOf(p);
  if (ck) headers.cookie = `q_ckey=${ck}`;
  if (p === 'adminKey') headers['x-api-key'] = l.adminApiKey;
  let body: BodyInit | undefined;
  if (r.body instanceof FormData || typeof r.body === 'string') body = r.body;
  else if (r.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(r.body);
  }
  const res = await fetch(l.base + r.url, { method: r.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch { /* a download */ }
  return { status: res.status, json, text: json ? text : `<${text.length} bytes>` };
}

function classify(r: { status: number; json: any; text: string }): LegacyOutcome | string {
  const j = r.json;
  if (r.status === 401 || r.status === 403) return 'refused';
  if (r.status === 404 || j?.errcode === 404) return 'hidden';
  if (j && typeof j === 'object' && 'ret' in j) {
    if (j.ret === true || j.ret === '1') return 'ok';
    if (j.errcode === 3 || j.errcode === 5000) return 'refused';
    return `ret false: ${r.text.slice(0, 200)}`;
  }
  return r.status >= 200 && r.status < 300 ? 'ok' : `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
}

describe('every legacy route has a row in the matrix', () => {
  it('lists every route src/legacy declares, and nothing else', () => {
    const routes = legacyRoutes({
      core: l.t.app.core, domain: 'localhost', maxBodyBytes: 1024, log: { error: () => {} }, nav: { publicUrl: undefined, xmppPort: null, pbPort: null, version: 1 },
      adminApiKey: 'k', adminPath: '/qtalk', startalkKey: loadStartalkKey(undefined),
    }).map((r) => r.path);
    const covered = LEGACY_CASES.map((c) => c.route);
    expect(routes.filter((r) => !covered.includes(r)), 'routes without a row').toEqual([]);
    expect(covered.filter((r) => !routes.includes(r)), 'rows of routes that do not exist').toEqual([]);
    expect(new Set(covered).size).toBe(covered.length);
  });
});

async function runCell(c: LegacyCase, p: LegacyPrincipal) {
  const r = await send(p, await c.req(l, ckeyOf(p)));
  const got = classify(r);
  expect(got, `${c.route} # ${p}: HTTP ${r.status} ${r.text.slice(0, 300)}`).toBe(c.expect[p]);
  if (c.expect[p] === 'hidden') {
    expect(c.missing, 'a hidden refusal needs a "missing" request to compare with').toBeDefined();
    const m = await send(p, await c.missing!(l, ckeyOf(p)));
    expect({ status: r.status, body: r.json }, 'the refusal looks exactly like "not found"').toEqual({ status: m.status, body: m.json });
  }
  if (c.expect[p] === 'ok' && c.check) c.check(l, p, r.json);
}

describe.concurrent('legacy HTTP authorization matrix', () => {
  for (const c of LEGACY_CASES) {
    for (const p of LEGACY_PRINCIPALS) it(`${c.route} # ${p} → ${c.expect[p]}`, () => runCell(c, p));
  }
});

// What a removed member can still fetch over HTTP: nothing said or changed in the group after
// the removal.
describe.concurrent('a removed member over legacy HTTP', () => {
  const asRemoved = async (url: string, body: unknown) => {
    const res = await fetch(l.base + url, {
      method: 'POST', headers: { cookie: `q_ckey=${ckeys.removed}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    return (await res.json()) as any;
  };
  const cases: [string, string, (room: string) => unknown][] = [
    ['gethistory', '/newapi/getmuchistory.qunar', () => ({ user: 'removed', time: 0 })],
    ['getmuchistory_v2', '/newapi/getmuchistory_v2.qunar', () => ({ user: 'removed', time: 0 })],
    ['getrbl', '/newapi/getrbl.qunar', () => ({ user: 'removed' })],
    ['get_user_increment_muc_vcard', '/newapi/muc/get_user_increment_muc_vcard.qunar', () => ({ userid: 'removed', lastupdtime: 0 })],
    ['get_muc_vcard', '/newapi/muc/get_muc_vcard.qunar', (room) => [{ domain: 'conference.localhost', mucs: [{ muc_name: room, version: 0 }] }]],
    ['/py/search', '/py/search', () => ({ cKey: ckeys.removed, qtalkId: 'removed', key: 'removal', action: 31 })],
  ];
  for (const [name, url, body] of cases) {
    it(`${name}: answered, without what happened after the removal`, async () => {
      const r = await asRemoved(url, body(l.room));
      expect(r.ret === true || r.ret === '1' || Array.isArray(r.data), JSON.stringify(r).slice(0, 300)).toBe(true);
      expect(JSON.stringify(r)).not.toContain('after the removal');
      expect(JSON.stringify(r)).not.toContain('after-removal-topic');
    });
  }
  it('get_increment_mucs lists the room as left (F 0)', async () => {
    const r = await asRemoved('/newapi/muc/get_increment_mucs.qunar', { u: 'removed', t: 0 });
    expect(r.data.filter((m: { M: string; F: number }) => m.M === l.room && m.F === 1)).toEqual([]);
  });
  it('getmucmsgs answers exactly as for an unknown room', async () => {
    const mine = await asRemoved('/newapi/getmucmsgs.qunar', { muc: l.room, num: 10 });
    expect(mine).toEqual(await asRemoved('/newapi/getmucmsgs.qunar', { muc: 'no-such-room', num: 10 }));
    expect(mine.ret).toBe(false);
  });
});
