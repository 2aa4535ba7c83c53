// Sign-in, tokens, legacy Startalk password hashes and account administration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyCryHash } from '../src/core/accounts/passwords.js';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const LOGIN = 'mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token expiresAt user{ username jid isAdmin } } }';

describe('login', () => {
  it('succeeds with the right password and the token identifies the user', async () => {
    const d = await t.ok(LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
    expect(d.login.token).toMatch(/^stn_/);
    expect(d.login.user).toEqual({ username: 'admin', jid: 'admin@localhost', isAdmin: true });
    const me = await t.ok('{ me { username } }', {}, d.login.token);
    expect(me.me.username).toBe('admin');
  });

  it('fails with a wrong password or an unknown user, with the same message', async () => {
    const wrong = await t.gql(LOGIN, { u: 'admin', p: 'not-the-password' });
    const unknown = await t.gql(LOGIN, { u: 'nobody', p: 'whatever-pass' });
    for (const r of [wrong, unknown]) {
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(r.errors?.[0]?.message).toBe('invalid username or password');
    }
  });

  it('rejects requests with a bad or missing token', async () => {
    expect((await t.gql('{ me { id } }')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql('{ me { id } }', {}, 'stn_forged')).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('logout revokes the token', async () => {
    const token = await t.login('admin', ADMIN_PASSWORD);
    expect((await t.ok('mutation { logout }', {}, token)).logout).toBe(true);
    expect((await t.gql('{ me { id } }', {}, token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stores only a hash of the token', async () => {
    const token = await t.login('admin', ADMIN_PASSWORD);
    const r = await t.db.query('SELECT count(*)::int AS n FROM auth_sessions WHERE token_hash = $1', [token]);
    expect(r.rows[0].n).toBe(0);
  });

  it('rate-limits repeated failures for one account', async () => {
    await t.createUser('target');
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push((await t.gql(LOGIN, { u: 'target', p: `wrong-${i}-pass` })).errors?.[0]?.extensions?.code);
    expect(codes.slice(0, 10).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
  });
});

describe('legacy Startalk password hashes', () => {
  it('the CRY hash of the published default admin matches', () => {
    // PROTOCOL.md §3.1: admin/testpassword with the salt from Startalk's init.sql
    const salt = 'qtalkadmin_pwd_salt_d2bf42081aab47f4ac00697d7dd32993';
    expect(legacyCryHash('testpassword', salt)).toBe('CRY:fd540f073cc09aa98220bbb234153bd5');
  });

  it('an imported CRY: user logs in, and the hash is upgraded to scrypt', async () => {
    const salt = 'qtalkadmin_pwd_salt_d2bf42081aab47f4ac00697d7dd32993';
    await t.db.query(
      `INSERT INTO users (domain_id, username, display_name, password_hash, password_salt)
       SELECT id, 'legacy', '老用户', 'CRY:fd540f073cc09aa98220bbb234153bd5', $1 FROM domains WHERE host = 'localhost'`,
      [salt],
    );
    expect((await t.gql(LOGIN, { u: 'legacy', p: 'wrongpassword' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const d = await t.ok(LOGIN, { u: 'legacy', p: 'testpassword' });
    expect(d.login.user.username).toBe('legacy');
    const row = await t.db.query("SELECT password_hash, password_salt FROM users WHERE username = 'legacy'");
    expect(row.rows[0].password_hash).toMatch(/^scrypt\$/);
    expect(row.rows[0].password_salt).toBeNull();
    await t.ok(LOGIN, { u: 'legacy', p: 'testpassword' }); // still works after the upgrade
  });
});

describe('administration', () => {
  it('only admins create users; duplicates and bad names are refused', async () => {
    const alice = await t.createUser('alice');
    const create = 'mutation($i:CreateUserInput!){ createUser(input:$i){ id } }';
    const byUser = await t.gql(create, { i: { username: 'mallory', password: 'password-123' } }, alice.token);
    expect(byUser.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const dup = await t.gql(create, { i: { username: 'alice', password: 'password-123' } }, t.adminToken);
    expect(dup.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const bad = await t.gql(create, { i: { username: 'Bad Name!', password: 'password-123' } }, t.adminToken);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const short = await t.gql(create, { i: { username: 'shorty', password: 'x' } }, t.adminToken);
    expect(short.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const n = await t.db.query("SELECT count(*)::int AS n FROM users WHERE username IN ('mallory','shorty')");
    expect(n.rows[0].n).toBe(0);
  });

  it('updateUser edits the card, bumps version, and freezing ends sessions and sign-in', async () => {
    const bob = await t.createUser('bob');
    const upd = 'mutation($id:ID!,$i:UpdateUserInput!){ updateUser(id:$id,input:$i){ displayName department version frozen } }';
    const d = await t.ok(upd, { id: bob.id, i: { displayName: '鲍勃', department: '/研发/IM' } }, t.adminToken);
    expect(d.updateUser).toMatchObject({ displayName: '鲍勃', department: '/研发/IM', version: 2, frozen: false });
    expect((await t.gql(upd, { id: bob.id, i: { displayName: 'x' } }, bob.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await t.ok(upd, { id: bob.id, i: { frozen: true } }, t.adminToken);
    expect((await t.gql('{ me { id } }', {}, bob.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(LOGIN, { u: 'bob', p: 'password-123' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('changePassword needs the old password and revokes other sessions', async () => {
    const carol = await t.createUser('carol');
    const other = await t.login('carol', 'password-123');
    const change = 'mutation($o:String!,$n:String!){ changePassword(oldPassword:$o,newPassword:$n) }';
    expect((await t.gql(change, { o: 'wrong-password', n: 'new-password-1' }, carol.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await t.ok(change, { o: 'password-123', n: 'new-password-1' }, carol.token);
    expect((await t.gql('{ me { id } }', {}, other)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await t.ok('{ me { username } }', {}, carol.token)).me.username).toBe('carol');
    await t.login('carol', 'new-password-1');
  });
});
