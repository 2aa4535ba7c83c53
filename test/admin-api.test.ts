// The admin API: API keys act with exactly their scopes (and never as a user), admin users with
// all; bulk import keeps Startalk passwords; kicks end live sessions; groups are managed through
// their owner; messages are sent as a user; compliance history pages by time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacyCryHash } from '../src/core/accounts/passwords.js';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users as createUsers } from './helpers/users.js';
import { eventually } from './helpers/wait.js';
import { socketLogin } from './helpers/legacy-client.js';

let t: TestApp;
const users: Record<string, { id: string; token: string }> = {};
let readKey: string;
let allKey: string;

const createKey = async (name: string, scopes: string[]) =>
  (await t.ok('mutation($n:String!,$s:[ApiScope!]!){ createApiKey(name:$n, scopes:$s){ secret apiKey { id name scopes } } }',
    { n: name, s: scopes }, t.adminToken)).createApiKey;
const code = (r: { errors?: { extensions?: { code?: string } }[] }) => r.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  Object.assign(users, await createUsers(t, 'alice', 'bob', 'carol'));
  readKey = (await createKey('reader', ['USERS_READ'])).secret;
  allKey = (await createKey('ops', ['USERS_WRITE', 'GROUPS_WRITE', 'MESSAGES_SEND', 'MESSAGES_READ', 'SESSIONS_KICK', 'USERS_READ'])).secret;
});
afterAll(async () => {
  await t?.close();
});

describe('API keys and scopes', () => {
  const createUser = 'mutation($u:String!){ createUser(input:{username:$u, password:"password-123"}){ username } }';

  it('refuses an operation without its scope, allows it with it', async () => {
    expect(code(await t.gql(createUser, { u: 'x1' }, readKey))).toBe('FORBIDDEN'); // key lacks USERS_WRITE
    expect(code(await t.gql(createUser, { u: 'x1' }, users.alice!.token))).toBe('FORBIDDEN'); // plain user
    expect(code(await t.gql(createUser, { u: 'x1' }))).toBe('UNAUTHENTICATED');
    expect((await t.ok(createUser, { u: 'x1' }, allKey)).createUser.username).toBe('x1');
    expect((await t.ok('{ adminUser(address:"x1"){ username frozen } }', {}, readKey)).adminUser).toEqual({ username: 'x1', frozen: false });
    expect(code(await t.gql('{ adminUser(address:"x1"){ username } }', {}, users.bob!.token))).toBe('FORBIDDEN');
    // an admin user's token has every scope
    expect((await t.ok(createUser, { u: 'x2' }, t.adminToken)).createUser.username).toBe('x2');
  });

  it('freezes a user through updateUser with USERS_WRITE', async () => {
    const x1 = await t.ok('{ adminUser(address:"x1"){ id } }', {}, readKey);
    const upd = 'mutation($id:ID!){ updateUser(id:$id, input:{frozen:true}){ frozen } }';
    expect(code(await t.gql(upd, { id: x1.adminUser.id }, readKey))).toBe('FORBIDDEN');
    expect((await t.ok(upd, { id: x1.adminUser.id }, allKey)).updateUser.frozen).toBe(true);
    expect(code(await t.gql('mutation{ login(username:"x1", password:"password-123"){ token } }'))).toBe('FORBIDDEN');
  });

  it('never lets a key act as a user or manage keys', async () => {
    expect(code(await t.gql('{ me { id } }', {}, allKey))).toBe('FORBIDDEN');
    expect(code(await t.gql('mutation{ sendMessage(input:{to:"bob", body:"hi"}){ id } }', {}, allKey))).toBe('FORBIDDEN');
    expect(code(await t.gql('mutation{ createApiKey(name:"more", scopes:[USERS_READ]){ secret } }', {}, allKey))).toBe('FORBIDDEN');
    expect(code(await t.gql('{ apiKeys { id } }', {}, users.alice!.token))).toBe('FORBIDDEN');
  });

  it('stores only a hash, lists keys without secrets, and revoked keys stop working', async () => {
    const k = await createKey('short-lived', ['USERS_READ']);
    expect(k.secret).toMatch(/^stk_\d+_[A-Za-z0-9_-]{43}$/);
    const row = await t.db.query('SELECT * FROM api_keys WHERE id = $1', [k.apiKey.id]);
    expect(JSON.stringify(row.rows[0])).not.toContain(k.secret.slice(k.secret.indexOf('_', 4) + 1)); // the secret part may contain '_'
    const list = await t.ok('{ apiKeys { id name scopes revoked } }', {}, t.adminToken);
    expect(list.apiKeys).toContainEqual({ id: k.apiKey.id, name: 'short-lived', scopes: ['USERS_READ'], revoked: false });
    expect(JSON.stringify(list)).not.toContain('stk_');
    expect((await t.ok('{ adminUser(address:"bob"){ username } }', {}, k.secret)).adminUser.username).toBe('bob');
    expect((await t.ok('mutation($id:ID!){ revokeApiKey(id:$id) }', { id: k.apiKey.id }, t.adminToken)).revokeApiKey).toBe(true);
    expect(code(await t.gql('{ adminUser(address:"bob"){ username } }', {}, k.secret))).toBe('UNAUTHENTICATED');
    // a wrong secret for a valid id
    expect(code(await t.gql('{ adminUser(address:"bob"){ username } }', {}, `${allKey.slice(0, -4)}AAAA`))).toBe('UNAUTHENTICATED');
  });
});

describe('bulk import', () => {
  it("imports rows independently and keeps a Startalk user's password", async () => {
    const hash = legacyCryHash('old-startalk-pw', 's4lt');
    const r = await t.ok(
      'mutation($u:[ImportUserInput!]!){ importUsers(users:$u){ username user { username displayName } error { code message } } }',
      {
        u: [
          { username: 'legacy1', passwordHash: hash, passwordSalt: 's4lt', displayName: 'Legacy One' },
          { username: 'Bad Name!', password: 'password-123' },
          { username: 'alice', password: 'password-123' },
          { username: 'fresh1', password: 'password-123' },
          { username: 'plainpw', passwordHash: 'old-startalk-pw' },
        ],
      },
      allKey,
    );
    const rows = r.importUsers;
    expect(rows.map((x: any) => [x.username, x.user?.username ?? null, x.error?.code ?? null])).toEqual([
      ['legacy1', 'legacy1', null],
      ['Bad Name!', null, 'BAD_USER_INPUT'],
      ['alice', null, 'CONFLICT'],
      ['fresh1', 'fresh1', null],
      ['plainpw', null, 'BAD_USER_INPUT'], // a plaintext "hash" is refused
    ]);
    expect(code(await t.gql('mutation{ login(username:"legacy1", password:"wrong-password"){ token } }'))).toBe('UNAUTHENTICATED');
    await t.login('legacy1', 'old-startalk-pw');
    const stored = await t.db.query("SELECT password_hash, password_salt FROM users WHERE username = 'legacy1'");
    expect(stored.rows[0].password_hash).toMatch(/^scrypt\$/); // upgraded at the first login
    await t.login('legacy1', 'old-startalk-pw');
    await t.login('fresh1', 'password-123');
  });

  it('refuses more than 1000 rows and callers without USERS_WRITE', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ username: `m${i}`, password: 'password-123' }));
    const q = 'mutation($u:[ImportUserInput!]!){ importUsers(users:$u){ username } }';
    expect(code(await t.gql(q, { u: many.slice(0, 1) }, readKey))).toBe('FORBIDDEN');
    const big = await fetch(t.url, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${allKey}` },
      body: JSON.stringify({ query: q, variables: { u: many } }),
    });
    const body = (await big.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('sessions, groups, messages', () => {
  it('kick ends a live graphql-ws subscription, the XMPP session and the token', async () => {
    const carol = users.carol!;
    const sub = collect(t.ws(carol.token), 'subscription { events { cursor } }');
    const xmpp = await socketLogin(t.app.bridgePort as number, 'carol', 'password-123');
    await sleep(300);
    expect(sub.done).toBe(false);
    expect(code(await t.gql('mutation{ kickUser(user:"carol"){ username } }', {}, readKey))).toBe('FORBIDDEN');
    expect((await t.ok('mutation{ kickUser(user:"carol"){ username } }', {}, allKey)).kickUser.username).toBe('carol');
    await eventually(() => sub.done, { timeoutMs: 10_000, what: "the kicked user's subscription to end" });
    expect(sub.done).toBe(true);
    await xmpp.waitFor(/<stream:error[\s>][\s\S]*session ended/);
    await xmpp.close();
    expect(code(await t.gql('{ me { id } }', {}, carol.token))).toBe('UNAUTHENTICATED');
    carol.token = await t.login('carol', 'password-123');
  });

  it('creates a group and manages members through its owner', async () => {
    const q = 'mutation($i:CreateGroupInput!){ adminCreateGroup(owner:"alice", input:$i){ id myRole members { user { username } role } } }';
    expect(code(await t.gql(q, { i: { name: 'Ops', members: ['bob'] } }, readKey))).toBe('FORBIDDEN');
    const g = (await t.ok(q, { i: { name: 'Ops', members: ['bob'] } }, allKey)).adminCreateGroup;
    expect(g.myRole).toBe('OWNER');
    expect(g.members.map((m: any) => [m.user.username, m.role])).toEqual([['alice', 'OWNER'], ['bob', 'MEMBER']]);
    const add = await t.ok('mutation($g:ID!){ adminAddGroupMembers(groupId:$g, users:["carol"]){ members { user { username } } } }', { g: g.id }, allKey);
    expect(add.adminAddGroupMembers.members.map((m: any) => m.user.username)).toEqual(['alice', 'bob', 'carol']);
    const rm = await t.ok('mutation($g:ID!){ adminRemoveGroupMembers(groupId:$g, users:["bob"]){ members { user { username } } } }', { g: g.id }, allKey);
    expect(rm.adminRemoveGroupMembers.members.map((m: any) => m.user.username)).toEqual(['alice', 'carol']);
    // the rules still apply: the owner cannot be removed
    expect(code(await t.gql('mutation($g:ID!){ adminRemoveGroupMembers(groupId:$g, users:["alice"]){ id } }', { g: g.id }, allKey))).toBe('BAD_USER_INPUT');
    const sent = await t.ok('mutation($g:ID!){ adminSendMessage(input:{from:"alice", groupId:$g, body:"welcome"}){ id from { username } } }', { g: g.id }, allKey);
    expect(sent.adminSendMessage.from.username).toBe('alice');
    const seen = await t.ok('query($g:ID!){ messages(conversationId:$g, first:5){ nodes { body } } }', { g: g.id }, users.carol!.token);
    expect(seen.messages.nodes.map((n: any) => n.body)).toEqual(['welcome']);
    expect((await t.ok('mutation($g:ID!){ adminDestroyGroup(groupId:$g) }', { g: g.id }, allKey)).adminDestroyGroup).toBe(true);
  });

  it('sends as a user and notifies with MESSAGES_SEND only', async () => {
    const q = 'mutation{ adminSendMessage(input:{from:"bob", to:"alice", body:"from the system", msgType:1}){ id to { username } } }';
    expect(code(await t.gql(q, {}, readKey))).toBe('FORBIDDEN');
    expect((await t.ok(q, {}, allKey)).adminSendMessage.to.username).toBe('alice');
    expect((await t.ok('mutation{ sendNotify(to:["alice"], category:1, data:"{}") }', {}, allKey)).sendNotify).toBe(1);
    expect(code(await t.gql('mutation{ sendNotify(to:["alice"], category:1, data:"{}") }', {}, users.bob!.token))).toBe('FORBIDDEN');
  });

  it('exports any conversation by time window with cursor paging', async () => {
    const times: number[] = [];
    let conv = '';
    for (let i = 1; i <= 5; i++) {
      const m = await t.ok('mutation($b:String!){ sendMessage(input:{to:"carol", body:$b}){ createdAt conversationId } }', { b: `c${i}` }, users.bob!.token);
      times.push(m.sendMessage.createdAt);
      conv = m.sendMessage.conversationId;
      await sleep(5);
    }
    const convs = await t.ok('{ adminConversations(user:"carol"){ id kind peer { username } } }', {}, allKey);
    expect(convs.adminConversations).toContainEqual({ id: conv, kind: 'DIRECT', peer: { username: 'bob' } });
    expect(code(await t.gql('{ adminConversations(user:"carol"){ id } }', {}, readKey))).toBe('FORBIDDEN');
    const page = 'query($c:ID!,$f:Float,$t:Float,$a:String){ complianceMessages(conversationId:$c, from:$f, to:$t, first:2, after:$a){ messages { body } hasNextPage endCursor } }';
    expect(code(await t.gql(page, { c: conv }, readKey))).toBe('FORBIDDEN');
    expect(code(await t.gql(page, { c: conv }, users.bob!.token))).toBe('FORBIDDEN');
    const p1 = (await t.ok(page, { c: conv, f: times[1], t: times[4] }, allKey)).complianceMessages;
    expect(p1.messages.map((m: any) => m.body)).toEqual(['c2', 'c3']);
    expect(p1.hasNextPage).toBe(true);
    const p2 = (await t.ok(page, { c: conv, f: times[1], t: times[4], a: p1.endCursor }, allKey)).complianceMessages;
    expect(p2.messages.map((m: any) => m.body)).toEqual(['c4']);
    expect(p2.hasNextPage).toBe(false);
    const all = (await t.ok(page, { c: conv }, t.adminToken)).complianceMessages;
    expect(all.messages.map((m: any) => m.body)).toEqual(['c1', 'c2']);
    expect(code(await t.gql(page, { c: '999999' }, allKey))).toBe('NOT_FOUND');
    // a recalled message: a marker by default, its original content on request
    const c3 = (await t.ok('query($c:ID!){ messages(conversationId:$c, first:5, order:OLDEST_FIRST){ nodes { id body } } }', { c: conv }, users.bob!.token))
      .messages.nodes.find((n: any) => n.body === 'c3').id;
    await t.ok('mutation($m:ID!){ recallMessage(messageId:$m){ id } }', { m: c3 }, users.bob!.token);
    const q = 'query($c:ID!,$f:Float,$r:Boolean){ complianceMessages(conversationId:$c, from:$f, first:1, includeRecalled:$r){ messages { body recalled } } }';
    expect((await t.ok(q, { c: conv, f: times[2] }, allKey)).complianceMessages.messages).toEqual([{ body: '', recalled: true }]);
    expect((await t.ok(q, { c: conv, f: times[2], r: true }, allKey)).complianceMessages.messages).toEqual([{ body: 'c3', recalled: true }]);
  });
});
