// Admin rights cannot be reached through USERS_WRITE: a key needs ADMINS_WRITE (or the caller
// must be an admin user) to create an admin, grant or remove the flag, or change an admin's
// account; otherwise a USERS_WRITE key could mint an admin, sign in and create any key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let usersKey: string;
let adminsKey: string;
let adminId: string;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

const createKey = async (name: string, scopes: string[]) =>
  (await t.ok('mutation($n:String!,$s:[ApiScope!]!){ createApiKey(name:$n, scopes:$s){ secret } }', { n: name, s: scopes }, t.adminToken))
    .createApiKey.secret as string;
const CREATE = 'mutation($i:CreateUserInput!){ createUser(input:$i){ id username isAdmin } }';
const UPDATE = 'mutation($id:ID!,$i:UpdateUserInput!){ updateUser(id:$id, input:$i){ id isAdmin frozen } }';
const IMPORT = 'mutation($u:[ImportUserInput!]!){ importUsers(users:$u){ username user { isAdmin } error { code } } }';
const exists = async (name: string) => code(await t.gql('query($a:String!){ adminUser(address:$a){ id } }', { a: name }, t.adminToken)) !== 'NOT_FOUND';

beforeAll(async () => {
  t = await startTestApp();
  usersKey = await createKey('users', ['USERS_WRITE', 'USERS_READ']);
  adminId = (await t.ok('{ adminUser(address:"admin"){ id } }', {}, t.adminToken)).adminUser.id;
  await t.createUser('plain');
});
afterAll(async () => t?.close());

describe('a USERS_WRITE key', () => {
  it('cannot create an admin (so cannot sign in as one and mint keys)', async () => {
    const r = await t.gql(CREATE, { i: { username: 'mole', password: 'password-123', isAdmin: true } }, usersKey);
    expect(code(r)).toBe('FORBIDDEN');
    expect(await exists('mole')).toBe(false);
    expect(code(await t.gql('mutation{ login(username:"mole", password:"password-123"){ token } }'))).toBe('UNAUTHENTICATED');
    // a plain user is still fine
    expect((await t.ok(CREATE, { i: { username: 'staff', password: 'password-123' } }, usersKey)).createUser.isAdmin).toBe(false);
  });

  it("cannot change an admin's password, flag or freeze them, nor promote anyone", async () => {
    expect(code(await t.gql(UPDATE, { id: adminId, i: { password: 'taken-over-1' } }, usersKey))).toBe('FORBIDDEN');
    expect(code(await t.gql(UPDATE, { id: adminId, i: { isAdmin: false } }, usersKey))).toBe('FORBIDDEN');
    expect(code(await t.gql(UPDATE, { id: adminId, i: { frozen: true } }, usersKey))).toBe('FORBIDDEN');
    expect(code(await t.gql(UPDATE, { id: adminId, i: { displayName: 'pwned' } }, usersKey))).toBe('FORBIDDEN');
    await t.login('admin', ADMIN_PASSWORD); // the admin's password still works
    const plain = (await t.ok('{ adminUser(address:"plain"){ id } }', {}, usersKey)).adminUser.id;
    expect(code(await t.gql(UPDATE, { id: plain, i: { isAdmin: true } }, usersKey))).toBe('FORBIDDEN');
    expect((await t.ok('{ adminUser(address:"plain"){ isAdmin displayName } }', {}, usersKey)).adminUser).toEqual({ isAdmin: false, displayName: 'PLAIN' });
    // a non-admin's account is still its to manage
    expect((await t.ok(UPDATE, { id: plain, i: { password: 'reset-pass-1', isAdmin: false } }, usersKey)).updateUser.isAdmin).toBe(false);
    await t.login('plain', 'reset-pass-1');
  });

  it('cannot import an admin; the other rows are still imported', async () => {
    const r = await t.ok(IMPORT, { u: [
      { username: 'imp-admin', password: 'password-123', isAdmin: true },
      { username: 'imp-user', password: 'password-123' },
    ] }, usersKey);
    expect(r.importUsers).toEqual([
      { username: 'imp-admin', user: null, error: { code: 'FORBIDDEN' } },
      { username: 'imp-user', user: { isAdmin: false }, error: null },
    ]);
    expect(await exists('imp-admin')).toBe(false);
  });
});

describe('with ADMINS_WRITE or as an admin user', () => {
  it('a key with USERS_WRITE and ADMINS_WRITE may create, promote and demote admins', async () => {
    adminsKey = await createKey('admins', ['USERS_WRITE', 'ADMINS_WRITE']);
    const boss = (await t.ok(CREATE, { i: { username: 'boss', password: 'password-123', isAdmin: true } }, adminsKey)).createUser;
    expect(boss.isAdmin).toBe(true);
    expect((await t.ok(UPDATE, { id: boss.id, i: { isAdmin: false } }, adminsKey)).updateUser.isAdmin).toBe(false);
    const imported = await t.ok(IMPORT, { u: [{ username: 'imp-admin', password: 'password-123', isAdmin: true }] }, adminsKey);
    expect(imported.importUsers[0].user).toEqual({ isAdmin: true });
    // ADMINS_WRITE alone is not USERS_WRITE
    const only = await createKey('only-admins', ['ADMINS_WRITE']);
    expect(code(await t.gql(CREATE, { i: { username: 'nope', password: 'password-123', isAdmin: true } }, only))).toBe('FORBIDDEN');
  });

  it('an admin user may do all of it', async () => {
    const u = (await t.ok(CREATE, { i: { username: 'boss2', password: 'password-123', isAdmin: true } }, t.adminToken)).createUser;
    expect((await t.ok(UPDATE, { id: u.id, i: { password: 'new-pass-123' } }, t.adminToken)).updateUser.isAdmin).toBe(true);
  });
});
