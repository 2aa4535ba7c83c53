// One contract for both search adapters: PostgreSQL always, Meilisearch when MEILI_URL is
// set (no Meilisearch server can run on the CI machines; nothing here fakes one). Chinese
// names by characters, pinyin and initials; visibility (other people's groups and
// conversations, frozen users); updates showing up; GraphQL and Startalk /py/search shapes.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

type U = { id: string; token: string; username: string };

const adapters: { name: string; env: Record<string, string> }[] = [{ name: 'postgres', env: {} }];
if (process.env.MEILI_URL) {
  adapters.push({
    name: 'meilisearch',
    env: {
      MEILI_URL: process.env.MEILI_URL, ...(process.env.MEILI_API_KEY ? { MEILI_API_KEY: process.env.MEILI_API_KEY } : {}),
      MEILI_INDEX_PREFIX: `stn_test_${randomBytes(4).toString('hex')}`,
    },
  });
}

const SEARCH = `query($q:String!,$k:[SearchKind!],$f:Int,$a:String){ search(query:$q, kinds:$k, first:$f, after:$a){
  hasNextPage endCursor
  edges { cursor node {
    __typename highlights { field value ranges { start length } }
    ... on UserSearchHit { user { username displayName } }
    ... on GroupSearchHit { group { id name } }
    ... on SharedGroupSearchHit { group { id name } with { username } }
    ... on MessageSearchHit { message { body } isFile peer { username } groupName }
  } } } }`;

describe.each(adapters)('search on $name', ({ name, env }) => {
  let t: TestApp;
  const u: Record<string, U> = {};
  let alpha = '';
  let beta = '';

  const settle = () => t.app.core.search.index.flush();
  const search = async (who: U, q: string, kinds?: string[], first = 20, after?: string) => {
    await settle();
    const d = await t.ok(SEARCH, { q, k: kinds, f: first, a: after }, who.token);
    return d.search as { hasNextPage: boolean; endCursor: string | null; edges: { cursor: string; node: any }[] };
  };
  const people = async (who: U, q: string) => (await search(who, q, ['USER'])).edges.map((e) => e.node.user.username);
  const groups = async (who: U, q: string) => (await search(who, q, ['GROUP'])).edges.map((e) => e.node.group.name);
  const messages = async (who: U, q: string) => (await search(who, q, ['MESSAGE'])).edges.map((e) => e.node.message.body);
  const person = async (username: string, displayName: string, extra: Record<string, string> = {}) => {
    await t.ok('mutation($i:CreateUserInput!){ createUser(input:$i){ id } }',
      { i: { username, password: 'password-123', displayName, ...extra } }, t.adminToken);
    u[username] = { ...(await t.app.core.accounts.findByAddress(username)), token: await t.login(username, 'password-123') };
  };
  const updateUser = (id: string, input: Record<string, unknown>) =>
    t.ok('mutation($id:ID!,$i:UpdateUserInput!){ updateUser(id:$id, input:$i){ id } }', { id, i: input }, t.adminToken);

  beforeAll(async () => {
    t = await startTestApp({ SEND_RATE_PER_SEC: '0', ...env });
    await person('alice', 'Alice Liddell', { department: '/研发部/搜索组' });
    await person('bob', 'Bob');
    await person('zhangsan', '张三', { department: '/技术部/后端' });
    await person('zhangsanfeng', '张三丰');
    await person('lisi', '李四');
    await person('shanxx', '单雄信');
    await person('wangwu', '王五', { pinyin: 'wangwu' });
    alpha = (await t.ok('mutation($i:CreateGroupInput!){ createGroup(input:$i){ id } }',
      { i: { name: '项目群 Alpha', topic: 'release planning', members: ['zhangsan', 'lisi'] } }, u.alice!.token)).createGroup.id;
    beta = (await t.ok('mutation($i:CreateGroupInput!){ createGroup(input:$i){ id } }',
      { i: { name: 'Secret Beta', topic: 'release planning', members: ['zhangsan'] } }, u.bob!.token)).createGroup.id;
    const send = (from: U, to: string, body: string) => t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }',
      { i: { to, body, msgId: randomBytes(16).toString('hex') } }, from.token);
    await send(u.alice!, 'zhangsan', 'hello 世界, the release is friday');
    await send(u.bob!, 'lisi', 'secret release notes for bob and lisi');
    await send(u.alice!, 'bob', JSON.stringify({ FileName: 'roadmap-2027.pdf', HttpUrl: 'https://files.example/roadmap' }));
    await t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }',
      { i: { to: 'bob', body: JSON.stringify({ FileName: 'roadmap-2027.pdf', FileSize: '1 MB' }), msgId: randomBytes(16).toString('hex'), msgType: 5 } }, u.alice!.token);
    await t.ok('mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id } }',
      { i: { groupId: alpha, body: 'alpha group: release checklist' } }, u.alice!.token);
    await t.ok('mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id } }',
      { i: { groupId: beta, body: 'beta group: release secrets' } }, u.bob!.token);
  });
  afterAll(() => t?.close());

  describe('people', () => {
    it('by Chinese characters, full pinyin and initials', async () => {
      expect(await people(u.alice!, '张三')).toEqual(['zhangsan', 'zhangsanfeng']);
      expect(await people(u.alice!, 'zhangs')).toEqual(['zhangsan', 'zhangsanfeng']);
      expect(await people(u.alice!, 'zs')).toEqual(expect.arrayContaining(['zhangsan', 'zhangsanfeng']));
      expect(await people(u.alice!, 'zsf')).toEqual(['zhangsanfeng']);
      expect(await people(u.alice!, 'lisi')).toEqual(['lisi']);
      expect(await people(u.alice!, 'shanxiong')).toEqual(['shanxx']); // 单 as a surname reads shan
      expect(await people(u.alice!, 'wangw')).toEqual(['wangwu']); // stored pinyin
    });

    it('by username and display-name prefix, and department', async () => {
      expect(await people(u.bob!, 'zhang')).toEqual(['zhangsan', 'zhangsanfeng']);
      expect(await people(u.bob!, 'alic')).toEqual(['alice']);
      expect(await people(u.bob!, 'Alice Lid')).toEqual(['alice']);
      expect(await people(u.bob!, '技术部')).toEqual(['zhangsan']);
    });

    it('highlights the characters that pinyin stands for', async () => {
      const r = await search(u.alice!, 'zhangs', ['USER']);
      const hit = r.edges[0]!.node;
      expect(hit.__typename).toBe('UserSearchHit');
      expect(hit.highlights).toContainEqual({ field: 'displayName', value: '张三', ranges: [{ start: 0, length: 2 }] });
      const zs = await search(u.alice!, 'zs', ['USER']);
      expect(zs.edges[0]!.node.highlights[0].ranges).toEqual([{ start: 0, length: 2 }]);
    });

    if (name === 'meilisearch') {
      it('tolerates one wrong letter', async () => {
        expect(await people(u.alice!, 'zhamgsan')).toContain('zhangsan');
      });
    }

    it('a frozen user disappears, and comes back when unfrozen', async () => {
      await updateUser(u.zhangsanfeng!.id, { frozen: true });
      expect(await people(u.alice!, '张三')).toEqual(['zhangsan']);
      expect(await people(u.alice!, 'zsf')).toEqual([]);
      await updateUser(u.zhangsanfeng!.id, { frozen: false });
      expect(await people(u.alice!, 'zsf')).toEqual(['zhangsanfeng']);
    });

    it('a rename shows up by characters and by pinyin', async () => {
      await updateUser(u.lisi!.id, { displayName: '李思思' });
      expect(await people(u.alice!, '李思')).toEqual(['lisi']);
      expect(await people(u.alice!, 'lss')).toEqual(['lisi']);
      expect(await people(u.alice!, '李四')).toEqual([]);
    });
  });

  describe('groups', () => {
    it('only the searcher\'s own groups, by name and topic', async () => {
      expect(await groups(u.alice!, 'alpha')).toEqual(['项目群 Alpha']);
      expect(await groups(u.alice!, '项目')).toEqual(['项目群 Alpha']);
      expect(await groups(u.alice!, 'planning')).toEqual(['项目群 Alpha']);
      expect(await groups(u.alice!, 'beta')).toEqual([]);
      expect(await groups(u.bob!, 'planning')).toEqual(['Secret Beta']);
      expect((await groups(u.zhangsan!, 'planning')).sort()).toEqual(['Secret Beta', '项目群 Alpha']);
    });

    it('groups shared with the people found', async () => {
      const r = await search(u.alice!, '张三', ['SHARED_GROUP']);
      expect(r.edges.map((e) => [e.node.group.name, e.node.with.map((w: U) => w.username)])).toEqual([['项目群 Alpha', ['zhangsan']]]);
      const bob = await search(u.bob!, 'zhangsan', ['SHARED_GROUP']);
      expect(bob.edges.map((e) => e.node.group.name)).toEqual(['Secret Beta']);
    });

    it('renames, leaving and destroying show up', async () => {
      await t.ok('mutation($g:ID!,$i:UpdateGroupInput!){ updateGroup(groupId:$g, input:$i){ id } }', { g: beta, i: { name: 'Gamma Team' } }, u.bob!.token);
      expect(await groups(u.bob!, 'beta')).toEqual([]);
      expect(await groups(u.bob!, 'gamma')).toEqual(['Gamma Team']);
      await t.ok('mutation($g:ID!){ leaveGroup(groupId:$g) }', { g: alpha }, u.lisi!.token);
      expect(await groups(u.lisi!, 'alpha')).toEqual([]);
      expect(await groups(u.alice!, 'alpha')).toEqual(['项目群 Alpha']);
      await t.ok('mutation($g:ID!){ destroyGroup(groupId:$g) }', { g: beta }, u.bob!.token);
      expect(await groups(u.bob!, 'gamma')).toEqual([]);
      expect(await groups(u.zhangsan!, 'gamma')).toEqual([]);
    });
  });

  describe('messages', () => {
    it('only the searcher\'s conversations', async () => {
      expect(await messages(u.alice!, 'release')).toEqual(['alpha group: release checklist', 'hello 世界, the release is friday']);
      expect(await messages(u.alice!, '世界')).toEqual(['hello 世界, the release is friday']);
      expect(await messages(u.alice!, 'secret')).toEqual([]);
      // a destroyed group stays readable history for its last members
      expect(await messages(u.bob!, 'secret release')).toEqual(['beta group: release secrets', 'secret release notes for bob and lisi']);
      expect(await messages(u.alice!, 'secrets')).toEqual([]);
    });

    it('a member who left loses the group\'s messages', async () => {
      expect(await messages(u.lisi!, 'checklist')).toEqual([]);
      expect(await messages(u.zhangsan!, 'checklist')).toEqual(['alpha group: release checklist']);
    });

    it('files by file name only', async () => {
      const r = await search(u.bob!, 'roadmap', ['FILE']);
      expect(r.edges).toHaveLength(1);
      expect(r.edges[0]!.node).toMatchObject({ isFile: true, peer: { username: 'alice' } });
      expect((await search(u.bob!, 'FileSize', ['FILE'])).edges).toHaveLength(0);
    });
  });

  describe('GraphQL', () => {
    it('pages through kinds in order with cursors', async () => {
      const all = await search(u.alice!, 'zhangsan', ['USER', 'MESSAGE', 'SHARED_GROUP'], 50);
      const types = all.edges.map((e) => e.node.__typename);
      expect(types[0]).toBe('UserSearchHit');
      expect(types).toContain('SharedGroupSearchHit');
      const seen: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 10; i++) {
        const p = await search(u.alice!, 'zhangsan', ['USER', 'MESSAGE', 'SHARED_GROUP'], 1, after);
        seen.push(...p.edges.map((e) => e.node.__typename));
        if (!p.hasNextPage) break;
        after = p.endCursor!;
      }
      expect(seen).toEqual(types);
    });

    it('needs a signed-in user and a query', async () => {
      const r = await t.gql(SEARCH, { q: 'zs' });
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      const e = await t.gql(SEARCH, { q: '   ' }, u.alice!.token);
      expect(e.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const c = await t.gql(SEARCH, { q: 'zs', a: 'bogus' }, u.alice!.token);
      expect(c.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('Startalk /py/search', () => {
    const ckeyOf = async (who: U) => {
      const key = await t.app.core.sessionKeys.issue(who.id);
      const ts = String(Date.now());
      const k = createHash('md5').update(key + ts).digest('hex').toUpperCase();
      return Buffer.from(`u=${who.username}&k=${k}&d=localhost&t=${ts}`).toString('base64');
    };
    const post = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      await settle();
      const res = await fetch(t.url.replace('/graphql', '/py/search'), {
        method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };

    it('answers in Startalk\'s grouped shape', async () => {
      const r = await post({ key: 'zhangsan', qtalkId: 'alice', cKey: await ckeyOf(u.alice!), action: 31, start: 0, length: 5 });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ ret: true, errcode: 0 });
      const ids = r.body.data.map((g: any) => g.groupId);
      expect(ids).toEqual(['Q01', 'Q02', 'Q07', 'Q03']);
      const [users, , shared] = r.body.data;
      expect(users).toMatchObject({ groupLabel: expect.any(String), todoType: 0, hasMore: false });
      expect(users.info[0]).toMatchObject({ uri: 'zhangsan@localhost', name: '张三', qtalkname: 'zhangsan', label: '/技术部/后端' });
      const room = await t.app.core.groups.roomNameOf(alpha);
      expect(shared.info).toEqual([expect.objectContaining({ uri: `${room}@conference.localhost`, name: '项目群 Alpha', content: '张三' })]);
      const hist = await post({ key: 'release', qtalkId: 'alice@localhost', cKey: await ckeyOf(u.alice!), action: 8 });
      expect(hist.body.data).toHaveLength(1);
      expect(hist.body.data[0].groupId).toBe('Q03');
      expect(hist.body.data[0].info).toEqual([expect.objectContaining({ uri: 'zhangsan@localhost', mtype: 'chat', from: 'alice@localhost' })]);
      const files = await post({ key: 'roadmap', qtalkId: 'bob', cKey: await ckeyOf(u.bob!), action: 32 });
      expect(files.body.data[0]).toMatchObject({ groupId: 'Q04', info: [expect.objectContaining({ content: 'roadmap-2027.pdf', uri: 'alice@localhost' })] });
    });

    it('takes the q_ckey cookie and pages with start/length', async () => {
      const c = await ckeyOf(u.alice!);
      const p1 = await post({ key: 'zs', qtalkId: 'alice', action: 1, start: 0, length: 1 }, { cookie: `q_ckey=${c}` });
      expect(p1.body.data[0].info).toHaveLength(1);
      expect(p1.body.data[0].hasMore).toBe(true);
      const p2 = await post({ key: 'zs', qtalkId: 'alice', action: 1, start: 1, length: 1 }, { cookie: `q_ckey=${c}` });
      expect(p2.body.data[0].info[0].uri).not.toBe(p1.body.data[0].info[0].uri);
    });

    it('refuses a wrong ckey, someone else\'s qtalkId and a short key', async () => {
      const bad = await post({ key: 'zs', qtalkId: 'alice', cKey: Buffer.from('u=alice&k=00&t=1').toString('base64'), action: 1 });
      expect(bad.body).toMatchObject({ ret: false, errcode: 5000 });
      const other = await post({ key: 'zs', qtalkId: 'bob', cKey: await ckeyOf(u.alice!), action: 1 });
      expect(other.body).toMatchObject({ ret: false, errcode: 3 });
      const none = await post({ key: 'zs', qtalkId: 'alice', action: 1 });
      expect(none.body).toMatchObject({ ret: false, errcode: 5000 });
      const short = await post({ key: 'z', qtalkId: 'alice', cKey: await ckeyOf(u.alice!), action: 1 });
      expect(short.body).toMatchObject({ ret: false, errcode: 1 });
    });
  });
});
