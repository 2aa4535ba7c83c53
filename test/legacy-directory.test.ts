// Legacy HTTP, part 3: org sync by version, cards, status, profile, roaming client settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from './helpers/app.js';
import { legacyCall, qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';

let t: TestApp;
let base: string;
let ls: SocketSession;
let marcId: string;
const call = (path: string, body: unknown) => legacyCall(base, path, body, qckey('lena', ls.key));

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0' });
  base = t.url.replace(/\/graphql$/, '');
  await t.createUser('lena');
  marcId = (await t.createUser('marc')).id;
  await t.createUser('nina');
  ls = await socketLogin(t.app.bridgePort as number, 'lena', 'password-123');
});
afterAll(async () => {
  await ls?.close();
  await t?.close();
});

describe('org and cards', () => {
  it('getUpdateUsers lists everyone, then only what changed; frozen users come as deletions', async () => {
    const full = await call('/newapi/update/getUpdateUsers.qunar', { version: 0 });
    expect(full.body.ret).toBe(true);
    expect(full.body.data.update.map((u: any) => u.U)).toEqual(expect.arrayContaining(['admin', 'lena', 'marc', 'nina']));
    expect(full.body.data.update.find((u: any) => u.U === 'marc')).toMatchObject({ N: 'MARC' });
    const v = full.body.data.version;
    expect((await call('/newapi/update/getUpdateUsers.qunar', { version: v })).body.data).toEqual({ update: [], delete: [], version: v });
    await t.ok('mutation($id:ID!){ updateUser(id:$id, input:{displayName:"Marc M.", department:"/eng"}){ id } }', { id: marcId }, t.adminToken);
    const nina = await t.ok('{ user(address:"nina"){ id } }', {}, t.adminToken);
    await t.ok('mutation($id:ID!){ updateUser(id:$id, input:{frozen:true}){ id } }', { id: nina.user.id }, t.adminToken);
    // a password change is not an org change
    await t.ok('mutation($id:ID!){ updateUser(id:$id, input:{password:"another-pass-1"}){ id } }', { id: marcId }, t.adminToken);
    const inc = await call('/package/qtapi/update/getUpdateUsers.qunar', { version: v });
    expect(inc.body.data.update).toEqual([expect.objectContaining({ U: 'marc', N: 'Marc M.', D: '/eng' })]);
    expect(inc.body.data.delete.map((u: any) => u.U)).toEqual(['nina']);
    expect(inc.body.data.version).toBeGreaterThan(v);
  });

  it('get_vcard_info returns cards newer than the client copy; profile is set by its owner only', async () => {
    const cards = await call('/newapi/domain/get_vcard_info.qunar', [{ domain: 'localhost', users: [{ user: 'marc', version: 0 }, { user: 'lena', version: 999 }, { user: 'ghost', version: 0 }] }]);
    expect(cards.body.data).toEqual([{ domain: 'localhost', users: [expect.objectContaining({ username: 'marc', nickname: 'Marc M.', V: expect.any(String) })] }]);
    const set = await call('/newapi/profile/set_profile.qunar', [{ user: 'lena', domain: 'localhost', mood: 'shipping', url: 'https://img.example/l.png' }]);
    expect(set.body.data[0]).toMatchObject({ user: 'lena', mood: 'shipping', url: 'https://img.example/l.png' });
    const got = await call('/newapi/profile/get_profile.qunar', { user: 'lena', domain: 'localhost' });
    expect(got.body.data).toMatchObject({ mood: 'shipping', url: 'https://img.example/l.png' });
    const foreign = await call('/newapi/profile/set_profile.qunar', [{ user: 'marc', mood: 'hacked' }]);
    expect(foreign.body).toMatchObject({ ret: false, errcode: 3 });
    const card = await call('/newapi/domain/get_vcard_info.qunar', [{ domain: 'localhost', users: [{ user: 'lena' }] }]);
    expect(card.body.data[0].users[0]).toMatchObject({ mood: 'shipping', imageurl: 'https://img.example/l.png' });
  });

  it('search_vcard finds people by name prefix in ejabberd\'s own envelope', async () => {
    const r = await fetch(`${base}/newapi/domain/search_vcard.qunar?p=pc&v=1&keyword=mar`, { headers: { cookie: `q_ckey=${qckey('lena', ls.key)}` } });
    expect(await r.json()).toEqual({ ret: '1', message: 'sucess', data: [{ domain: 'localhost', nickname: 'Marc M.', username: 'marc' }] });
  });

  it('get_user_status tells online from offline', async () => {
    ls.send('<presence><priority>5</priority></presence>');
    await sleep(300);
    const r = await call('/newapi/domain/get_user_status.qunar', { users: ['lena@localhost', 'marc@localhost', 'ghost@localhost'] });
    expect(r.body.data.ul).toEqual([{ u: 'lena@localhost', o: 'online' }, { u: 'marc@localhost', o: 'offline' }]);
  });
});

describe('client settings', () => {
  it('set, batch, delete and incremental get', async () => {
    const a = await call('/newapi/configuration/setclientconfig.qunar', {
      username: 'lena', host: 'localhost', key: 'kStickJidDic', subkey: 'marc@localhost', value: '{"topType":1}', type: 1, operate_plat: 'PC',
    });
    expect(a.body.ret).toBe(true);
    const v1 = a.body.data.version;
    const all = await call('/newapi/configuration/getincreclientconfig.qunar', { username: 'lena', host: 'localhost', version: 0 });
    expect(all.body.data.clientConfigInfos).toEqual([{ key: 'kStickJidDic', infos: [{ subkey: 'marc@localhost', configinfo: '{"topType":1}', isdel: 0 }] }]);
    await call('/newapi/configuration/setclientconfig.qunar', {
      username: 'lena', type: 1, batchProcess: [{ key: 'kNoticeStickJidDic', subkey: 'g1', value: '1' }, { key: 'kStickJidDic', subkey: 'marc@localhost', type: 2 }],
    });
    const inc = await call('/newapi/configuration/getincreclientconfig.qunar', { username: 'lena', version: v1 });
    expect(inc.body.data.clientConfigInfos).toEqual(expect.arrayContaining([
      { key: 'kStickJidDic', infos: [{ subkey: 'marc@localhost', configinfo: '', isdel: 1 }] },
      { key: 'kNoticeStickJidDic', infos: [{ subkey: 'g1', configinfo: '1', isdel: 0 }] },
    ]));
    expect(inc.body.data.version).toBeGreaterThan(v1);
    const bad = await call('/newapi/configuration/setclientconfig.qunar', { key: 'kEvil', subkey: 'x', value: '1' });
    expect(bad.body).toMatchObject({ ret: false, errcode: 1 });
    const other = await call('/newapi/configuration/getincreclientconfig.qunar', { username: 'marc', version: 0 });
    expect(other.body).toMatchObject({ ret: false, errcode: 3 });
  });
});
