// Groups: every permission rule both ways (allowed, and refused with nothing changed),
// member limit, incremental sync, and membership events.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';

type U = { id: string; token: string; username: string };
let t: TestApp;
const users: Record<string, U> = {};

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', GROUP_MEMBER_LIMIT: '5' });
  for (const n of ['owner', 'boss', 'member', 'member2', 'outsider', 'extra1', 'extra2']) users[n === 'boss' ? 'admin' : n] = await t.createUser(n);
});
afterAll(() => t?.close());

const GROUP = 'id myRole card { name topic version memberCount destroyed } members { user { username } role }';
const create = (token: string, input: Record<string, unknown>) =>
  t.gql(`mutation($i:CreateGroupInput!){ createGroup(input:$i){ ${GROUP} } }`, { i: input }, token);
const call = (token: string, mutation: string, vars: Record<string, unknown>) => t.gql(mutation, vars, token);
const INVITE = `mutation($g:ID!,$u:[String!]!){ inviteToGroup(groupId:$g, users:$u){ ${GROUP} } }`;
const REMOVE = `mutation($g:ID!,$u:String!){ removeFromGroup(groupId:$g, user:$u){ ${GROUP} } }`;
const ROLE = `mutation($g:ID!,$u:String!,$r:GroupRole!){ setGroupRole(groupId:$g, user:$u, role:$r){ ${GROUP} } }`;
const UPDATE = `mutation($g:ID!,$i:UpdateGroupInput!){ updateGroup(groupId:$g, input:$i){ ${GROUP} } }`;
const LEAVE = 'mutation($g:ID!){ leaveGroup(groupId:$g) }';
const DESTROY = 'mutation($g:ID!){ destroyGroup(groupId:$g) }';
const POST = 'mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id body from { username } } }';
const code = (r: any) => r.errors?.[0]?.extensions?.code;

async function snapshot(groupId: string) {
  const m = await t.db.query('SELECT user_id::text, role FROM conversation_members WHERE conversation_id = $1 ORDER BY user_id', [groupId]);
  const c = await t.db.query('SELECT name, topic, version, destroyed_at FROM conversations WHERE id = $1', [groupId]);
  const n = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [groupId]);
  return JSON.stringify([m.rows, c.rows, n.rows]);
}

/** A group with owner, admin and member. */
async function setup(name = 'team'): Promise<string> {
  const r = await create(users.owner!.token, { name, topic: 'work', members: ['boss', 'member'] });
  expect(r.errors).toBeUndefined();
  const id = r.data.createGroup.id;
  expect((await call(users.owner!.token, ROLE, { g: id, u: 'boss', r: 'ADMIN' })).errors).toBeUndefined();
  return id;
}

describe('create and read', () => {
  it('the creator is owner and member, initial members are members', async () => {
    const r = await create(users.owner!.token, { name: '  Project X ', members: ['member', 'member'] });
    expect(r.data.createGroup).toMatchObject({
      myRole: 'OWNER', card: { name: 'Project X', version: 1, memberCount: 2, destroyed: false },
      members: [{ user: { username: 'owner' }, role: 'OWNER' }, { user: { username: 'member' }, role: 'MEMBER' }],
    });
    const seen = await t.gql(`query($g:ID!){ group(id:$g){ myRole } }`, { g: r.data.createGroup.id }, users.member!.token);
    expect(seen.data.group.myRole).toBe('MEMBER');
    const hidden = await t.gql(`query($g:ID!){ group(id:$g){ id } }`, { g: r.data.createGroup.id }, users.outsider!.token);
    expect(code(hidden)).toBe('NOT_FOUND');
  });

  it('refuses bad input', async () => {
    expect(code(await create(users.owner!.token, { name: '' }))).toBe('BAD_USER_INPUT');
    expect(code(await create(users.owner!.token, { name: 'x'.repeat(101) }))).toBe('BAD_USER_INPUT');
    expect(code(await create(users.owner!.token, { name: 'x', pictureUrl: 'javascript:alert(1)' }))).toBe('BAD_USER_INPUT');
    expect(code(await create(users.owner!.token, { name: 'x', members: ['ghost'] }))).toBe('NOT_FOUND');
    expect(code(await create(users.owner!.token, { name: 'x', members: ['boss', 'member', 'member2', 'outsider', 'extra1'] }))).toBe('BAD_USER_INPUT');
  });
});

describe('permissions, both ways', () => {
  it('only members post; a non-member is refused and nothing is stored', async () => {
    const g = await setup();
    const ok = await call(users.member!.token, POST, { i: { groupId: g, body: 'hi all' } });
    expect(ok.data.sendGroupMessage).toMatchObject({ body: 'hi all', from: { username: 'member' } });
    const before = await snapshot(g);
    expect(code(await call(users.outsider!.token, POST, { i: { groupId: g, body: 'intruder' } }))).toBe('NOT_FOUND');
    expect(await snapshot(g)).toBe(before);
  });

  it('a removed member can no longer post or read', async () => {
    const g = await setup();
    expect((await call(users.owner!.token, REMOVE, { g, u: 'member' })).errors).toBeUndefined();
    expect(code(await call(users.member!.token, POST, { i: { groupId: g, body: 'still here?' } }))).toBe('NOT_FOUND');
    const h = await t.gql('query($g:ID!){ messages(conversationId:$g, first:5){ edges { node { id } } } }', { g }, users.member!.token);
    expect(code(h)).toBe('NOT_FOUND');
  });

  it('members cannot remove; admins remove members but not admins or the owner; the owner removes admins', async () => {
    const g = await setup();
    await call(users.owner!.token, INVITE, { g, u: ['member2'] });
    let before = await snapshot(g);
    expect(code(await call(users.member!.token, REMOVE, { g, u: 'member2' }))).toBe('FORBIDDEN');
    expect(code(await call(users.admin!.token, REMOVE, { g, u: 'owner' }))).toBe('FORBIDDEN');
    expect(await snapshot(g)).toBe(before);
    const r = await call(users.admin!.token, REMOVE, { g, u: 'member2' });
    expect(r.data.removeFromGroup.members.map((m: any) => m.user.username)).not.toContain('member2');
    await call(users.owner!.token, ROLE, { g, u: 'member', r: 'ADMIN' });
    before = await snapshot(g);
    expect(code(await call(users.admin!.token, REMOVE, { g, u: 'member' }))).toBe('FORBIDDEN');
    expect(await snapshot(g)).toBe(before);
    expect((await call(users.owner!.token, REMOVE, { g, u: 'boss' })).errors).toBeUndefined();
  });

  it('only the owner sets roles; handing over ownership demotes the old owner', async () => {
    const g = await setup();
    const before = await snapshot(g);
    expect(code(await call(users.admin!.token, ROLE, { g, u: 'member', r: 'ADMIN' }))).toBe('FORBIDDEN');
    expect(code(await call(users.member!.token, ROLE, { g, u: 'member', r: 'OWNER' }))).toBe('FORBIDDEN');
    expect(await snapshot(g)).toBe(before);
    const r = await call(users.owner!.token, ROLE, { g, u: 'member', r: 'OWNER' });
    const roles = Object.fromEntries(r.data.setGroupRole.members.map((m: any) => [m.user.username, m.role]));
    expect(roles).toEqual({ member: 'OWNER', owner: 'ADMIN', boss: 'ADMIN' });
  });

  it('only the owner destroys; members and admins are refused', async () => {
    const g = await setup();
    const before = await snapshot(g);
    expect(code(await call(users.member!.token, DESTROY, { g }))).toBe('FORBIDDEN');
    expect(code(await call(users.admin!.token, DESTROY, { g }))).toBe('FORBIDDEN');
    expect(code(await call(users.outsider!.token, DESTROY, { g }))).toBe('NOT_FOUND');
    expect(await snapshot(g)).toBe(before);
    expect((await call(users.owner!.token, DESTROY, { g })).data.destroyGroup).toBe(true);
    expect(code(await call(users.member!.token, POST, { i: { groupId: g, body: 'after' } }))).toBe('FORBIDDEN');
    const card = await t.gql('query($g:ID!){ group(id:$g){ card { destroyed } } }', { g }, users.member!.token);
    expect(card.data.group.card.destroyed).toBe(true);
  });

  it('owner and admins edit the card (version increases), members cannot', async () => {
    const g = await setup();
    const before = await snapshot(g);
    expect(code(await call(users.member!.token, UPDATE, { g, i: { name: 'hijacked' } }))).toBe('FORBIDDEN');
    expect(await snapshot(g)).toBe(before);
    const a = await call(users.admin!.token, UPDATE, { g, i: { topic: 'new topic' } });
    expect(a.data.updateGroup.card).toMatchObject({ name: 'team', topic: 'new topic', version: 2 });
    const o = await call(users.owner!.token, UPDATE, { g, i: { name: 'renamed', topic: null } });
    expect(o.data.updateGroup.card).toMatchObject({ name: 'renamed', topic: null, version: 3 });
    const same = await call(users.owner!.token, UPDATE, { g, i: { name: 'renamed' } });
    expect(same.data.updateGroup.card.version).toBe(3); // no change, no new version
  });

  it('invites are bounded by the member limit; an owner who leaves hands over ownership', async () => {
    const g = await setup();
    const before = await snapshot(g);
    expect(code(await call(users.member!.token, INVITE, { g, u: ['member2', 'extra1', 'extra2'] }))).toBe('BAD_USER_INPUT');
    expect(await snapshot(g)).toBe(before);
    expect(code(await call(users.outsider!.token, INVITE, { g, u: ['extra1'] }))).toBe('NOT_FOUND');
    const ok = await call(users.member!.token, INVITE, { g, u: ['member2', 'extra1'] });
    expect(ok.data.inviteToGroup.card.memberCount).toBe(5);
    expect((await call(users.owner!.token, LEAVE, { g })).data.leaveGroup).toBe(true);
    const after = await t.gql(`query($g:ID!){ group(id:$g){ ${GROUP} } }`, { g }, users.admin!.token);
    expect(after.data.group.myRole).toBe('OWNER');
    expect(after.data.group.members.map((m: any) => m.user.username)).not.toContain('owner');
  });
});

describe('recall', () => {
  it('the sender recalls within the window; others and late recalls are refused', async () => {
    const g = await setup();
    const sent = (await call(users.member!.token, POST, { i: { groupId: g, body: 'oops' } })).data.sendGroupMessage;
    const RECALL = 'mutation($m:ID!){ recallMessage(messageId:$m){ id body msgType recalled } }';
    const before = await snapshot(g);
    expect(code(await call(users.owner!.token, RECALL, { m: sent.id }))).toBe('FORBIDDEN');
    expect(code(await call(users.outsider!.token, RECALL, { m: sent.id }))).toBe('NOT_FOUND');
    expect(await snapshot(g)).toBe(before);
    const r = await call(users.member!.token, RECALL, { m: sent.id });
    expect(r.data.recallMessage).toEqual({ id: sent.id, body: '', msgType: -1, recalled: true });
    const audit = await t.db.query('SELECT body FROM recalled_messages WHERE seq = $1', [sent.id]);
    expect(audit.rows).toEqual([{ body: 'oops' }]);
    const hist = await t.gql('query($g:ID!){ messages(conversationId:$g, first:1){ nodes { id recalled body } } }', { g }, users.admin!.token);
    expect(hist.data.messages.nodes[0]).toEqual({ id: sent.id, recalled: true, body: '' });

    const t2 = await startTestApp({ RECALL_WINDOW_SECONDS: '0' });
    try {
      const a = await t2.createUser('a');
      await t2.createUser('b');
      const m = (await t2.ok('mutation { sendMessage(input:{to:"b", body:"late"}) { id } }', {}, a.token)).sendMessage;
      await sleep(20);
      const late = await t2.gql(RECALL, { m: m.id }, a.token);
      expect(code(late)).toBe('FORBIDDEN');
      const row = await t2.db.query('SELECT body, recalled_at FROM messages WHERE seq = $1', [m.id]);
      expect(row.rows).toEqual([{ body: 'late', recalled_at: null }]);
    } finally {
      await t2.close();
    }
  });
});

describe('incremental myGroups', () => {
  it('returns only changes after the cursor, including leaves, removals and destroys', async () => {
    const SYNC = 'query($s:String){ myGroups(changedSince:$s){ cursor entries { card { id name version destroyed } status role } } }';
    const me = users.member2!;
    const a = (await create(users.owner!.token, { name: 'sync-a', members: ['member2'] })).data.createGroup.id;
    const b = (await create(users.owner!.token, { name: 'sync-b', members: ['member2'] })).data.createGroup.id;
    const c = (await create(users.owner!.token, { name: 'sync-c', members: ['member2'] })).data.createGroup.id;
    const d = (await create(users.owner!.token, { name: 'sync-d', members: ['member2'] })).data.createGroup.id;
    const full = (await t.gql(SYNC, {}, me.token)).data.myGroups;
    expect(full.entries.map((e: any) => e.card.name).sort()).toEqual(expect.arrayContaining(['sync-a', 'sync-b', 'sync-c', 'sync-d']));
    const none = (await t.gql(SYNC, { s: full.cursor }, me.token)).data.myGroups;
    expect(none.entries).toEqual([]);

    await call(me.token, LEAVE, { g: a });
    await call(users.owner!.token, REMOVE, { g: b, u: 'member2' });
    await call(users.owner!.token, DESTROY, { g: c });
    await call(users.owner!.token, UPDATE, { g: d, i: { name: 'sync-d2' } });
    await create(users.owner!.token, { name: 'unrelated' }); // not mine: must not appear
    const delta = (await t.gql(SYNC, { s: full.cursor }, me.token)).data.myGroups;
    const byId = Object.fromEntries(delta.entries.map((e: any) => [e.card.id, e]));
    expect(Object.keys(byId).sort()).toEqual([a, b, c, d].sort());
    expect(byId[a].status).toBe('LEFT');
    expect(byId[b].status).toBe('REMOVED');
    expect(byId[c]).toMatchObject({ status: 'DESTROYED', card: { destroyed: true } });
    expect(byId[d]).toMatchObject({ status: 'MEMBER', card: { name: 'sync-d2', version: 2 } });
    expect((await t.gql(SYNC, { s: delta.cursor }, me.token)).data.myGroups.entries).toEqual([]);
  });
});

describe('live events', () => {
  const EVENTS = `subscription { events { __typename cursor
    ... on MessageAddedEvent { message { body from { username } } }
    ... on GroupMembersEvent { change users { username } role by { username } }
    ... on GroupUpdatedEvent { card { name version } }
    ... on GroupDestroyedEvent { groupId }
    ... on MessageRecalledEvent { messageId }
    ... on TypingEvent { user { username } } } }`;

  it('membership changes reach members and the affected user; typing is live only', async () => {
    const g = await setup('live');
    const ownerSub = collect(t.ws(users.owner!.token), EVENTS);
    const memberSub = collect(t.ws(users.member!.token), EVENTS);
    const newcomer = collect(t.ws(users.member2!.token), EVENTS);
    await sleep(200);
    await call(users.admin!.token, INVITE, { g, u: ['member2'] });
    await call(users.member!.token, 'mutation($g:ID!){ sendTyping(groupId:$g) }', { g });
    await call(users.owner!.token, REMOVE, { g, u: 'member' });
    await call(users.owner!.token, UPDATE, { g, i: { name: 'live2' } });
    // stored events keep their order; typing is ephemeral (published at once, not through the
    // commit-ordered stream), so under load it may overtake an earlier stored event
    const stored = (xs: any[]) => xs.filter((e) => e.events.__typename !== 'TypingEvent');
    const o = await ownerSub.waitFor(4);
    expect(o.filter((e) => e.events.__typename === 'TypingEvent').length).toBe(1);
    const os = stored(o);
    expect(os.map((e) => e.events.__typename)).toEqual(['GroupMembersEvent', 'GroupMembersEvent', 'GroupUpdatedEvent']);
    expect(os[0].events).toMatchObject({ change: 'JOINED', users: [{ username: 'member2' }], by: { username: 'boss' } });
    expect(os[1].events).toMatchObject({ change: 'REMOVED', users: [{ username: 'member' }] });
    const m = await memberSub.waitFor(2);
    await sleep(200);
    // the removed member hears of its removal, and nothing after it
    expect(memberSub.items.map((e) => e.events.__typename)).toEqual(['GroupMembersEvent', 'GroupMembersEvent']);
    expect(m[1].events.change).toBe('REMOVED');
    const n = await newcomer.waitFor(3);
    expect(stored(n).map((e) => e.events.__typename)).toEqual(['GroupMembersEvent', 'GroupMembersEvent', 'GroupUpdatedEvent'].slice(0, stored(n).length));
    // typing is never stored
    const typingRows = await t.db.query("SELECT count(*)::int AS n FROM events WHERE kind = 'typing'");
    expect(typingRows.rows[0].n).toBe(0);
    for (const s of [ownerSub, memberSub, newcomer]) s.stop();
  });
});
