// Authorization of user data (issue 14): who may see a file, what a removed group member
// still learns, whose state a group read mark changes, and who owns a push token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { ckeyCookie, fakePng, sha256, startStore, type StoreUnderTest } from './helpers/files.js';
import { legacyCall, qckey, socketLogin } from './helpers/legacy-client.js';
import { xmppLogin } from './helpers/xmpp.js';
import { xml } from '@xmpp/client';

type U = { id: string; token: string; username: string };

const REQUEST = `mutation($n:String!,$s:Float!,$t:String!,$k:FileKind){ requestUpload(name:$n,size:$s,contentType:$t,kind:$k){
  uploadId url method headers{name value} } }`;
const COMPLETE = `mutation($id:ID!,$h:String!){ completeUpload(uploadId:$id,sha256:$h){ id name sha256 url path } }`;
const FILE = `query($id:ID!){ file(id:$id){ id name url } }`;
const SEND_FILE = `mutation($i:SendFileInput!){ sendFile(input:$i){ id conversationId body file{ id name url } } }`;
const HISTORY = `query($w:String!){ messages(with:$w, first:5){ edges{ node{ msgId file{ id name url } } } } }`;
const GROUP_HISTORY = `query($g:ID!){ messages(conversationId:$g, first:5){ edges{ node{ msgId file{ id name } } } } }`;

let store: StoreUnderTest;
let t: TestApp;
let base: string;

beforeAll(async () => {
  store = await startStore('local');
  t = await startTestApp({ ...store.env, SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  base = t.url.replace(/\/graphql$/, '');
});
afterAll(async () => {
  await t?.close();
  await store?.close();
});

/** an error's shape without anything that names the id asked for */
const errorShape = (r: { errors?: { message: string; extensions?: Record<string, unknown> }[] }) =>
  r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code }));

async function upload(u: U, bytes: Buffer, name: string, type = 'application/octet-stream', kind = 'FILE') {
  const tk = (await t.ok(REQUEST, { n: name, s: bytes.length, t: type, k: kind }, u.token)).requestUpload;
  const headers = Object.fromEntries(tk.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
  const put = await fetch(tk.url.startsWith('/') ? base + tk.url : tk.url, { method: 'PUT', headers, body: new Uint8Array(bytes) });
  expect(put.status).toBeLessThan(300);
  return { uploadId: tk.uploadId as string, complete: () => t.gql(COMPLETE, { id: tk.uploadId, h: sha256(bytes) }, u.token) };
}

async function uploaded(u: U, bytes: Buffer, name: string, type?: string, kind?: string) {
  const r = await (await upload(u, bytes, name, type, kind)).complete();
  expect(r.errors).toBeUndefined();
  return r.data.completeUpload as { id: string; name: string; sha256: string; url: string; path: string };
}

describe('files are visible to their uploader and to the conversations they were sent in', () => {
  let alice: U;
  let bob: U;
  let carol: U;
  let dave: U;
  let erin: U;
  beforeAll(async () => {
    [alice, bob, carol, dave, erin] = (await Promise.all(['fa', 'fb', 'fc', 'fd', 'fe'].map((n) => t.createUser(n)))) as [U, U, U, U, U];
  });

  it('a stranger cannot read a file by id, and the refusal looks like a missing id', async () => {
    const f = await uploaded(alice, randomBytes(3000), 'salary.xlsx');
    expect((await t.ok(FILE, { id: f.id }, alice.token)).file).toMatchObject({ id: f.id, name: 'salary.xlsx' });
    const stranger = await t.gql(FILE, { id: f.id }, carol.token);
    expect(stranger.data?.file ?? null).toBeNull();
    const missing = await t.gql(FILE, { id: '987654321' }, carol.token);
    expect(errorShape(stranger)).toEqual(errorShape(missing));
    expect(errorShape(stranger)?.[0]?.code).toBe('NOT_FOUND');
  });

  it('a stranger cannot send (and so mint a URL for) another user\'s file', async () => {
    const f = await uploaded(alice, randomBytes(3000), 'contract.pdf');
    const r = await t.gql(SEND_FILE, { i: { to: bob.username, fileId: f.id } }, carol.token);
    expect(r.data?.sendFile ?? null).toBeNull();
    const missing = await t.gql(SEND_FILE, { i: { to: bob.username, fileId: '987654321' } }, carol.token);
    expect(errorShape(r)).toEqual(errorShape(missing));
    // nothing was sent
    const h = await t.ok(HISTORY, { w: carol.username }, bob.token);
    expect(h.messages.edges).toEqual([]);
  });

  it('only the uploader completes an upload; others get "not found"', async () => {
    const up = await upload(alice, randomBytes(500), 'pending.bin');
    const byBob = await t.gql(COMPLETE, { id: up.uploadId, h: '0'.repeat(64) }, bob.token);
    const missing = await t.gql(COMPLETE, { id: '987654321', h: '0'.repeat(64) }, bob.token);
    expect(errorShape(byBob)).toEqual(errorShape(missing));
  });

  it('the peer of a 1:1 conversation sees a file sent there, and may forward it; others may not', async () => {
    const f = await uploaded(alice, randomBytes(4000), 'plan.docx');
    const sent = (await t.ok(SEND_FILE, { i: { to: bob.username, fileId: f.id } }, alice.token)).sendFile;
    expect(sent.file).toMatchObject({ id: f.id, name: 'plan.docx' });
    expect((await t.ok(FILE, { id: f.id }, bob.token)).file).toMatchObject({ id: f.id, name: 'plan.docx' });
    const node = (await t.ok(HISTORY, { w: alice.username }, bob.token)).messages.edges[0].node;
    expect(node.file).toMatchObject({ id: f.id, name: 'plan.docx' });
    expect((await fetch(base + node.file.url)).status).toBe(200);
    expect((await t.gql(FILE, { id: f.id }, carol.token)).data?.file ?? null).toBeNull();
    // bob forwards it to erin: erin may now see it; carol still not
    await t.ok(SEND_FILE, { i: { to: erin.username, fileId: f.id } }, bob.token);
    expect((await t.ok(FILE, { id: f.id }, erin.token)).file).toMatchObject({ id: f.id });
    expect((await t.gql(FILE, { id: f.id }, carol.token)).data?.file ?? null).toBeNull();
  });

  it('a group\'s current members see a file sent there; a removed member no longer does', async () => {
    const g = (await t.ok(`mutation($m:[String!]){ createGroup(input:{name:"files", members:$m}){ id } }`, { m: [dave.username] }, alice.token)).createGroup;
    const png = fakePng(700);
    const f = await uploaded(alice, png, 'shot.png', 'image/png', 'IMAGE');
    await t.ok(SEND_FILE, { i: { groupId: g.id, fileId: f.id } }, alice.token);
    expect((await t.ok(FILE, { id: f.id }, dave.token)).file).toMatchObject({ id: f.id });
    expect((await t.ok(GROUP_HISTORY, { g: g.id }, dave.token)).messages.edges[0].node.file).toMatchObject({ id: f.id });
    await t.ok(`mutation($g:ID!,$u:String!){ removeFromGroup(groupId:$g, user:$u){ id } }`, { g: g.id, u: dave.username }, alice.token);
    const after = await t.gql(FILE, { id: f.id }, dave.token);
    expect(errorShape(after)).toEqual(errorShape(await t.gql(FILE, { id: '987654321' }, dave.token)));
  });

  it('a message naming someone else\'s file does not hand out that file', async () => {
    const bytes = randomBytes(1500);
    const f = await uploaded(alice, bytes, 'private-name.txt');
    // carol learned the content hash somehow and names alice's file id in a file message to bob
    const body = JSON.stringify({ FILEID: f.id, FileName: 'x', FileSize: '1KB', FILEMD5: '', HttpUrl: `/file/v2/download/${sha256(bytes)}.txt` });
    await t.ok(`mutation($b:String!){ sendMessage(input:{to:"${bob.username}", msgType:5, body:$b}){ id } }`, { b: body }, carol.token);
    const node = (await t.ok(HISTORY, { w: carol.username }, bob.token)).messages.edges[0].node;
    expect(node.file).toBeNull();
    expect((await t.gql(FILE, { id: f.id }, bob.token)).data?.file ?? null).toBeNull();
  });

  it('a file a Startalk client sends over XMPP is shared with that conversation only', async () => {
    const bytes = randomBytes(900);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'minutes.txt');
    const up = await fetch(`${base}/file/v2/upload/file?key=k1&name=minutes.txt`, {
      method: 'POST', body: form, headers: { authorization: `Bearer ${alice.token}` },
    });
    const path = ((await up.json()) as { data: string }).data;
    const id = (await t.db.query<{ id: string }>('SELECT id::text FROM files WHERE sha256 = $1', [sha256(bytes)])).rows[0]!.id;
    expect((await t.gql(FILE, { id }, bob.token)).data?.file ?? null).toBeNull();
    const x = await xmppLogin(t.app.bridgePort!, alice.username);
    try {
      // COMPAT: Startalk's PC client: its own uuid in FILEID, our download path in HttpUrl
      const body = JSON.stringify({ FILEID: '8d3e0c2a5b6f4e1f9a7b3c2d1e0f9a8b', FileName: 'minutes.txt', FileSize: '900B', FILEMD5: '', HttpUrl: path });
      await x.c.send(xml('message', { type: 'chat', to: `${bob.username}@localhost`, id: 'xmpp-file-1' },
        xml('body', { id: 'xmpp-file-1', msgType: '5' }, body)));
      await x.waitFor((s) => s.attrs.type === 'mstat');
    } finally {
      await x.c.stop();
    }
    const node = (await t.ok(HISTORY, { w: alice.username }, bob.token)).messages.edges[0].node;
    expect(node).toMatchObject({ msgId: 'xmpp-file-1', file: { id, name: 'minutes.txt' } });
    expect((await t.ok(FILE, { id }, bob.token)).file).toMatchObject({ id });
    expect((await t.gql(FILE, { id }, carol.token)).data?.file ?? null).toBeNull();
  });

  it('the dedupe check (inspection) does not tell another uploader\'s file name', async () => {
    const bytes = randomBytes(600);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'x');
    await fetch(`${base}/file/v2/upload/file?key=k2&name=${encodeURIComponent('layoffs-2027.xlsx')}`, {
      method: 'POST', body: form, headers: { authorization: `Bearer ${alice.token}` },
    });
    const md5 = (await t.db.query<{ md5: string }>('SELECT md5 FROM files WHERE sha256 = $1', [sha256(bytes)])).rows[0]!.md5;
    const r = await fetch(`${base}/file/v2/inspection/file?key=${md5}&name=mine.xlsx`, { headers: { authorization: `Bearer ${carol.token}` } });
    const body = (await r.json()) as { ret: boolean; data: string };
    expect(body.ret).toBe(false); // COMPAT: present
    expect(body.data).toContain(sha256(bytes));
    expect(body.data).toContain('name=mine.xlsx');
    expect(body.data).not.toContain('layoffs');
    // nor does a download without ?name=
    const got = await fetch(`${base}/file/v2/download/${sha256(bytes)}`, { headers: { authorization: `Bearer ${carol.token}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).not.toContain('layoffs');
  });

  it('legacy clients still fetch a file sent to them by its content path', async () => {
    const bytes = randomBytes(800);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'legacy.bin');
    const up = await fetch(`${base}/file/v2/upload/file?key=abc&name=legacy.bin`, {
      method: 'POST', body: form, headers: { authorization: `Bearer ${alice.token}` },
    });
    const path = ((await up.json()) as { data: string }).data;
    const key = await t.app.core.sessionKeys.issue(bob.id);
    const got = await fetch(base + path, { headers: { cookie: ckeyCookie(bob.username, key) } });
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe('a removed group member learns of the removal, not of later changes', () => {
  const SYNC = `query($c:String){ myGroups(changedSince:$c){ cursor entries{ status card{ id name topic memberCount version destroyed } } } }`;

  it('myGroups(changedSince) shows the card as of the removal, however long they keep polling', async () => {
    const [owner, gone, other] = (await Promise.all(['ga', 'gb', 'gc'].map((n) => t.createUser(n)))) as [U, U, U];
    const g = (await t.ok(`mutation($m:[String!]){ createGroup(input:{name:"before", topic:"old topic", members:$m}){ id } }`,
      { m: [gone.username, other.username] }, owner.token)).createGroup;
    const cursor = (await t.ok(SYNC, {}, gone.token)).myGroups.cursor;
    await t.ok(`mutation($g:ID!,$u:String!){ removeFromGroup(groupId:$g, user:$u){ id } }`, { g: g.id, u: gone.username }, owner.token);
    const atRemoval = (await t.ok(SYNC, { c: cursor }, gone.token)).myGroups;
    expect(atRemoval.entries).toEqual([{ status: 'REMOVED', card: expect.objectContaining({ id: g.id, name: 'before', topic: 'old topic', memberCount: 2 }) }]);

    // later changes: new name and topic, a new member, then the group is destroyed
    await t.ok(`mutation($g:ID!){ updateGroup(groupId:$g, input:{name:"after", topic:"secret plans"}){ id } }`, { g: g.id }, owner.token);
    const newcomer = await t.createUser('gd');
    await t.ok(`mutation($g:ID!,$u:[String!]!){ inviteToGroup(groupId:$g, users:$u){ id } }`, { g: g.id, u: [newcomer.username] }, owner.token);
    for (const c of [cursor, null]) {
      const r = (await t.ok(SYNC, { c }, gone.token)).myGroups;
      for (const e of r.entries) {
        expect(e.card).toMatchObject({ name: 'before', topic: 'old topic', memberCount: 2, version: atRemoval.entries[0].card.version, destroyed: false });
      }
    }
    // polling on from the cursor given with the removal: nothing newer
    expect((await t.ok(SYNC, { c: atRemoval.cursor }, gone.token)).myGroups.entries).toEqual([]);
    await t.ok(`mutation($g:ID!){ destroyGroup(groupId:$g) }`, { g: g.id }, owner.token);
    const late = (await t.ok(SYNC, { c: cursor }, gone.token)).myGroups.entries;
    expect(late).toEqual([{ status: 'REMOVED', card: expect.objectContaining({ name: 'before', topic: 'old topic', memberCount: 2, destroyed: false }) }]);
    // and the group itself stays closed to them
    expect((await t.gql(`query($g:ID!){ group(id:$g){ id } }`, { g: g.id }, gone.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('over legacy HTTP a removed member gets neither the group\'s history nor its card', async () => {
    const [owner, gone] = (await Promise.all(['ia', 'ib'].map((n) => t.createUser(n)))) as [U, U];
    const g = (await t.ok(`mutation($m:[String!]){ createGroup(input:{name:"legacy", members:$m}){ id card{ roomName } } }`,
      { m: [gone.username] }, owner.token)).createGroup;
    const room = g.card.roomName;
    await t.ok(`mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"before"}){ id } }`, { g: g.id }, owner.token);
    const sess = await socketLogin(t.app.bridgePort!, gone.username, 'password-123');
    try {
      const call = (path: string, body: unknown) => legacyCall(base, path, body, qckey(gone.username, sess.key));
      const since = Date.now() - 60_000;
      await t.ok(`mutation($g:ID!,$u:String!){ removeFromGroup(groupId:$g, user:$u){ id } }`, { g: g.id, u: gone.username }, owner.token);
      await t.ok(`mutation($g:ID!){ updateGroup(groupId:$g, input:{name:"renamed", topic:"after"}){ id } }`, { g: g.id }, owner.token);
      await t.ok(`mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"after"}){ id } }`, { g: g.id }, owner.token);
      expect((await call('/newapi/getmucmsgs.qunar', { muc: room, direction: '0', num: 10, domain: 'localhost' })).body.ret).toBe(false);
      const asked = [{ domain: 'conference.localhost', mucs: [{ muc_name: room, version: 0 }] }];
      expect((await call('/newapi/muc/get_muc_vcard.qunar', asked)).body.data[0].mucs).toEqual([]);
      expect((await call('/newapi/muc/get_user_increment_muc_vcard.qunar', { userid: gone.username, lastupdtime: String(since) })).body.data).toEqual([]);
      const inc = (await call('/newapi/muc/get_increment_mucs.qunar', { t: since })).body.data;
      expect(inc).toEqual([expect.objectContaining({ M: room, F: 0 })]);
      const hist = (await call('/newapi/getmuchistory.qunar', { user: gone.username, time: since })).body.data ?? [];
      expect(JSON.stringify(hist)).not.toContain('after');
    } finally {
      await sess.close();
    }
  });

  it('one who left sees the card as they left it', async () => {
    const [owner, leaver] = (await Promise.all(['ha', 'hb'].map((n) => t.createUser(n)))) as [U, U];
    const g = (await t.ok(`mutation($m:[String!]){ createGroup(input:{name:"club", members:$m}){ id } }`, { m: [leaver.username] }, owner.token)).createGroup;
    const cursor = (await t.ok(SYNC, {}, leaver.token)).myGroups.cursor;
    await t.ok(`mutation($g:ID!){ leaveGroup(groupId:$g) }`, { g: g.id }, leaver.token);
    await t.ok(`mutation($g:ID!){ updateGroup(groupId:$g, input:{name:"renamed"}){ id } }`, { g: g.id }, owner.token);
    const r = (await t.ok(SYNC, { c: cursor }, leaver.token)).myGroups.entries;
    expect(r).toEqual([{ status: 'LEFT', card: expect.objectContaining({ name: 'club', memberCount: 1 }) }]);
  });
});

describe('a read mark in a group changes only the reader\'s own state', () => {
  it('markMessages on a group moves the reader\'s pointer, not the message state others see', async () => {
    const [a, b, c] = (await Promise.all(['ma', 'mb', 'mc'].map((n) => t.createUser(n)))) as [U, U, U];
    const g = (await t.ok(`mutation($m:[String!]){ createGroup(input:{name:"reads", members:$m}){ id } }`, { m: [b.username, c.username] }, a.token)).createGroup;
    const msg = (await t.ok(`mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"hello"}){ id state } }`, { g: g.id }, a.token))
      .sendGroupMessage as { id: string; state: string };
    const unread = async (u: U) => (await t.ok(`query{ conversations(first:20){ id unreadCount } }`, {}, u.token))
      .conversations.find((n: { id: string }) => n.id === g.id)?.unreadCount;
    expect(await unread(b)).toBe(1);
    const r = await t.ok(`mutation($g:ID!,$m:[ID!]!){ markMessages(conversationId:$g, messageIds:$m, state:READ){ changedIds } }`, { g: g.id, m: [msg.id] }, b.token);
    expect(r.markMessages.changedIds).toEqual([]);
    const stateSeenBy = async (u: U) => (await t.ok(`query($g:ID!){ messages(conversationId:$g, first:1){ edges{ node{ id state } } } }`, { g: g.id }, u.token))
      .messages.edges[0].node.state;
    expect(await stateSeenBy(a)).toBe(msg.state);
    expect(await stateSeenBy(c)).toBe(msg.state);
    // the reader's own pointer moved; the other member's did not
    expect(await unread(b)).toBe(0);
    expect(await unread(c)).toBe(1);
  });
});

describe('a push token belongs to one user, and to the session that registered it', () => {
  const REGISTER = `mutation($t:String!){ registerPushDevice(token:$t, platform:"ios", os:IOS){ token } }`;
  const devices = async (token: string) =>
    ((await t.ok(`query{ pushSettings{ devices{ token } } }`, {}, token)).pushSettings.devices as { token: string }[]).map((d) => d.token);
  const activeOwners = async (token: string) =>
    (await t.db.query<{ user_id: string }>('SELECT user_id::text FROM push_devices WHERE token = $1 AND disabled_at IS NULL', [token])).rows
      .map((r) => r.user_id);

  it('registering a token moves it: the previous owner no longer gets pushes on it', async () => {
    const [a, b] = (await Promise.all(['pa', 'pb'].map((n) => t.createUser(n)))) as [U, U];
    const token = `apns-${randomBytes(16).toString('hex')}`;
    await t.ok(REGISTER, { t: token }, a.token);
    await t.ok(REGISTER, { t: token }, b.token);
    expect(await devices(a.token)).not.toContain(token);
    expect(await devices(b.token)).toContain(token);
    expect(await activeOwners(token)).toEqual([b.id]);
    await t.ok(REGISTER, { t: token }, a.token);
    expect(await devices(b.token)).not.toContain(token);
    expect(await activeOwners(token)).toEqual([a.id]);
  });

  it('logging out unregisters the tokens that session registered; the other sessions keep theirs', async () => {
    const u = await t.createUser('pc');
    const other = await t.login(u.username, 'password-123');
    const phone = `fcm-${randomBytes(16).toString('hex')}`;
    const tablet = `fcm-${randomBytes(16).toString('hex')}`;
    await t.ok(REGISTER, { t: phone }, u.token);
    await t.ok(REGISTER, { t: tablet }, other);
    await t.ok(`mutation{ logout }`, {}, u.token);
    expect(await devices(other)).toEqual([tablet]);
    expect(await activeOwners(phone)).toEqual([]);
  });

  it('a password change ends the other sessions and their tokens', async () => {
    const u = await t.createUser('pd');
    const sold = await t.login(u.username, 'password-123');
    const token = `apns-${randomBytes(16).toString('hex')}`;
    await t.ok(REGISTER, { t: token }, sold);
    await t.ok(`mutation{ changePassword(oldPassword:"password-123", newPassword:"password-456") }`, {}, u.token);
    expect(await activeOwners(token)).toEqual([]);
  });
});
