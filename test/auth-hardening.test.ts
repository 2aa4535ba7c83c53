// Authentication hardening: an unknown account costs the same password hash as a wrong
// password on every login door; a made-up API key cannot block the real key with that id;
// process caches evict the least recently used entry instead of emptying themselves; and
// X-Forwarded-* headers are believed only from a configured proxy (TRUST_PROXY).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyPassword } from '../src/core/accounts/passwords.js';
import { RateLimiter } from '../src/core/rate-limit.js';
import { TtlMap } from '../src/core/ttl-map.js';
import { loadConfig } from '../src/server/config.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { legacyCall, rsaEncrypt, socketLogin } from './helpers/legacy-client.js';
import { xmppLogin } from './helpers/xmpp.js';

// The real verification, observed: every call still hashes.
vi.mock('../src/core/accounts/passwords.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/core/accounts/passwords.js')>();
  return { ...real, verifyPassword: vi.fn(real.verifyPassword) };
});
const verify = vi.mocked(verifyPassword);

let t: TestApp;
let base: string;
let xmppPort: number;

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0' });
  base = t.url.replace(/\/graphql$/, '');
  xmppPort = t.app.bridgePort as number;
  await t.createUser('known');
});
afterAll(async () => t?.close());

const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

describe('login of an unknown account', () => {
  /** the stored hashes verification ran against during `login` */
  const hashedAgainst = async (login: () => Promise<unknown>) => {
    verify.mockClear();
    await login();
    return verify.mock.calls.map((c) => c[1].split('$')[0]);
  };
  const LOGIN = 'mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }';

  it('runs the same scrypt verification as a wrong password, on GraphQL login', async () => {
    const wrong = await hashedAgainst(async () => expect(code(await t.gql(LOGIN, { u: 'known', p: 'wrong-password' }))).toBe('UNAUTHENTICATED'));
    const unknown = await hashedAgainst(async () => expect(code(await t.gql(LOGIN, { u: 'nobody', p: 'wrong-password' }))).toBe('UNAUTHENTICATED'));
    expect(wrong).toEqual(['scrypt']);
    expect(unknown).toEqual(['scrypt']);
  });

  it('does so on the legacy token login (qtlogin)', async () => {
    const unknown = await hashedAgainst(async () => {
      const r = await legacyCall(base, '/newapi/nck/qtlogin.qunar', { u: 'nobody2', h: 'localhost', p: rsaEncrypt('password-123'), mk: 'd' });
      expect(r.body).toMatchObject({ ret: false });
    });
    expect(unknown).toEqual(['scrypt']);
  });

  it('does so on XMPP SASL PLAIN, with a plain and with a Startalk RSA password', async () => {
    const plain = await hashedAgainst(() => expect(xmppLogin(xmppPort, 'nobody3')).rejects.toThrow());
    expect(plain).toEqual(['scrypt']);
    const rsa = await hashedAgainst(() =>
      expect(socketLogin(xmppPort, 'nobody4', rsaEncrypt(JSON.stringify({ p: 'password-123', a: 'testapp', u: 'nobody4' })))).rejects.toThrow(/refused/));
    expect(rsa).toEqual(['scrypt']);
  });
});

describe('API key cache', () => {
  const createKey = async (name: string) =>
    (await t.ok('mutation($n:String!){ createApiKey(name:$n, scopes:[USERS_READ]){ secret apiKey { id } } }', { n: name }, t.adminToken)).createApiKey;
  const ADMIN_USER = '{ adminUser(address:"known"){ username } }';

  it('a made-up token for the next key id does not block that key when it is created', async () => {
    const first = await createKey('first');
    const next = BigInt(first.apiKey.id) + 1n;
    const forged = `stk_${next}_${'A'.repeat(43)}`;
    expect(code(await t.gql(ADMIN_USER, {}, forged))).toBe('UNAUTHENTICATED');
    const real = await createKey('second');
    expect(real.apiKey.id).toBe(String(next));
    expect((await t.ok(ADMIN_USER, {}, real.secret)).adminUser.username).toBe('known');
    // and the forged token is still refused now that the id exists
    expect(code(await t.gql(ADMIN_USER, {}, forged))).toBe('UNAUTHENTICATED');
  });
});

describe('TtlMap', () => {
  it('evicts the least recently used entry when full, keeping the others', () => {
    const m = new TtlMap<string, number>(60_000, 3);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.get('a');
    m.set('d', 4); // full: 'b' is the least recently used
    expect([m.get('a'), m.get('b'), m.get('c'), m.get('d')]).toEqual([1, undefined, 3, 4]);
  });
});

describe('RateLimiter', () => {
  it('a flood of new keys does not reset a drained bucket that is still in use', () => {
    const failedLogins = new RateLimiter(1 / 60, 2, 3); // 2 per minute, at most 3 names kept
    const now = Date.now();
    expect([failedLogins.take('victim', now), failedLogins.take('victim', now)]).toEqual([0, 0]);
    expect(failedLogins.take('victim', now)).toBeGreaterThan(0);
    for (const junk of ['j1', 'j2', 'j3', 'j4']) {
      failedLogins.take(junk, now);
      expect(failedLogins.peek('victim', now)).toBeGreaterThan(0);
      failedLogins.take('victim', now); // the attacker keeps trying
    }
    expect(failedLogins.peek('victim', now)).toBeGreaterThan(0);
  });
});

describe('forwarding headers', () => {
  const nav = async (url: string) =>
    (await (await fetch(`${url.replace(/\/graphql$/, '')}/startalk_nav`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' },
    })).json()).baseaddess;

  it('are ignored without TRUST_PROXY: the navigation keeps the Host the client used', async () => {
    const b = await nav(t.url);
    expect(b.xmpp).toBe('127.0.0.1');
    expect(b.httpurl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/newapi$/);
  });

  it('are honoured from a trusted proxy, and not from a peer outside the list', async () => {
    const behind = await startTestApp({ TRUST_PROXY: 'loopback' });
    const other = await startTestApp({ TRUST_PROXY: '10.0.0.0/8' });
    try {
      const b = await nav(behind.url);
      expect(b.xmpp).toBe('evil.example');
      expect(b.httpurl).toBe('https://evil.example/newapi');
      expect((await nav(other.url)).xmpp).toBe('127.0.0.1');
    } finally {
      await other.close();
      await behind.close();
    }
  });

  it('TRUST_PROXY is off by default and refuses a malformed value', () => {
    expect(loadConfig({}).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toEqual({ hops: 2 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16' }).trustProxy).toEqual({ addresses: ['10.0.0.1', '192.168.0.0/16'] });
    expect(() => loadConfig({ TRUST_PROXY: 'not-an-address' })).toThrow(/TRUST_PROXY/);
  });
});
