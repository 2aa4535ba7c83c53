// Legacy HTTP, part 4: group lists and cards as Startalk clients sync them, the card change
// reaching members over the bridge, and the admin /qtalk group actions and send_notify.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from './helpers/app.js';
import { legacyCall, qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';

const KEY = 'admin-key-0123456789abcdef';
let t: TestApp;
let base: string;
const s: Record<string, SocketSession> = {};
const tok: Record<string, string> = {};
const call = (who: string, path: string, body: unknown) => legacyCall(base, path, body, qckey(who, s[who]!.key));
const admin = async (action: string, body: unknown) => {
  const res = await fetch(`${base}/qtalk/${action}`, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-api-key': KEY },
  });
  return (await res.json()) as any;
};

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0', ADMIN_API_KEY: KEY, SEND_RATE_PER_SEC: '0' });
  base = t.url.replace(/\/graphql$/, '');
  for (const u of ['lena', 'marc', 'zack']) {
    tok[u] = (await t.createUser(u)).token;
    s[u] = await socketLogin(t.app.bridgePort as number, u, 'password-123');
    s[u]!.send('<presence><priority>5</priority></presence>');
  }
});
afterAll(async () => {
  for (const x of Object.values(s)) await x.close();
  await t?.close();
});

describe('group sync over HTTP', () => {
  it('lists groups and cards incrementally; set_muc_vcard reaches members over the bridge', async () => {
    const g = await t.ok('mutation{ createGroup(input:{name:"Ops", members:["marc"]}){ id card { roomName } } }', {}, tok.lena);
    const room = g.createGroup.card.roomName;
    const first = await call('marc', '/newapi/muc/get_increment_mucs.qunar', { t: 0 });
    expect(first.body).toMatchObject({ ret: true, version: expect.any(String) }); // COMPAT: version beside data
    expect(first.body.data).toEqual([{ M: room, D: 'conference.localhost', T: expect.any(Number), F: 1 }]);
    const set = await call('lena', '/package/qtapi/muc/set_muc_vcard.qunar', [{ muc_name: `${room}@conference.localhost`, nick: 'Ops team', title: 'on call', desc: 'pager duty' }]);
    expect(set.body.data).toEqual([{ muc_name: `${room}@conference.localhost`, version: '2', show_name: 'Ops team', muc_title: 'on call', muc_desc: 'pager duty' }]);
    await s.marc!.waitFor(/vcard_updte[^>]*nick=['"]Ops team['"]/);
    const refused = await call('marc', '/newapi/muc/set_muc_vcard.qunar', [{ muc_name: room, nick: 'mine now' }]);
    expect(refused.body).toMatchObject({ ret: false, errcode: 3 });
    const cards = await call('lena', '/newapi/muc/get_user_increment_muc_vcard.qunar', { userid: 'lena', lastupdtime: '0' });
    expect(cards.body.data).toEqual([expect.objectContaining({ MN: `${room}@conference.localhost`, SN: 'Ops team', MT: 'on call', MD: 'pager duty', VS: '2' })]);
    const asked = [{ domain: 'conference.localhost', mucs: [{ muc_name: room, version: 0 }] }];
    expect((await call('lena', '/newapi/muc/get_muc_vcard.qunar', asked)).body.data[0].mucs).toEqual([expect.objectContaining({ SN: 'Ops team', VS: '2' })]);
    expect((await call('zack', '/newapi/muc/get_muc_vcard.qunar', asked)).body.data[0].mucs).toEqual([]); // not a member
    // marc is removed: his next incremental sync reports the group with F=0
    const v = first.body.version;
    await sleep(2100);
    await t.ok('mutation($g:ID!){ removeFromGroup(groupId:$g, user:"marc"){ id } }', { g: g.createGroup.id }, tok.lena);
    const inc = await call('marc', '/newapi/muc/get_increment_mucs.qunar', { t: Number(v) });
    expect(inc.body.data).toEqual([expect.objectContaining({ M: room, F: 0 })]);
    const none = await call('lena', '/newapi/muc/get_increment_mucs.qunar', { t: Date.now() + 60_000 });
    expect(none.body.data).toEqual([]);
  });
});

describe('admin group actions', () => {
  it('create_muc, add/del_muc_user, muc_users, groupchat send_message, destroy_muc, send_notify', async () => {
    expect(await admin('create_muc', { muc_id: 'adminroom1', muc_owner: 'lena', muc_domain: 'conference.localhost', system: true, muc_name: 'Admin Room' }))
      .toMatchObject({ ret: true, data: { muc_id: 'adminroom1' } });
    expect((await admin('add_muc_user', { muc_id: 'adminroom1', muc_owner: 'lena', muc_member: ['marc', 'zack@localhost'] })).ret).toBe(true);
    const users = await admin('muc_users', { muc_id: 'adminroom1', muc_domain: 'conference.localhost' });
    expect(users.data.map((u: any) => u.U).sort()).toEqual(['lena', 'marc', 'zack']);
    const sent = await admin('send_message', { From: 'marc', To: [{ User: 'adminroom1' }], Body: 'hello room', Type: 'groupchat' });
    expect(sent.ret).toBe(true);
    await s.zack!.waitFor(/hello room/);
    expect((await admin('del_muc_user', { muc_id: 'adminroom1', muc_owner: 'marc', muc_member: ['zack'] })).ret).toBe(false); // marc is no admin
    expect((await admin('del_muc_user', { muc_id: 'adminroom1', muc_owner: 'lena', muc_member: ['zack'] })).ret).toBe(true);
    expect((await admin('muc_users', { muc_id: 'adminroom1' })).data).toHaveLength(2);
    expect((await admin('destroy_muc', { muc_id: 'adminroom1', muc_owner: 'lena' })).ret).toBe(true);
    expect((await admin('send_message', { From: 'marc', To: [{ User: 'adminroom1' }], Body: 'too late', Type: 'groupchat' })).ret).toBe(false);
    expect(await admin('send_notify', { from: 'admin', to: ['marc@localhost'], category: 5, data: '{"k":1}' })).toMatchObject({ ret: true, data: { users: 1 } });
    await s.marc!.waitFor(/category=['"]5['"]/);
    expect((await admin('send_notify', { to: 'ghost', category: 5, data: 'x' })).ret).toBe(false);
  });

  it('tells the other devices when settings change (notify category 6)', async () => {
    await call('lena', '/newapi/configuration/setclientconfig.qunar', { key: 'kStarContact', subkey: 'marc@localhost', value: '1' });
    await s.lena!.waitFor(/category=['"]6['"]/);
  });
});
