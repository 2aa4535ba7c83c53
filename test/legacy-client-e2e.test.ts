// An unmodified Startalk client's whole start, scripted from PROTOCOL.md §13: navigation ->
// public key -> token login -> nauth socket login -> q_ckey -> history pages, groups and
// cards, a file, all under the URLs the navigation gave; the same messages as GraphQL sees.
import { constants, createHash, publicEncrypt } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { qckey, socketLogin, type SocketSession } from './helpers/legacy-client.js';

let t: TestApp;
let marc: { token: string };
let sock: SocketSession | undefined;

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0', SEND_RATE_PER_SEC: '0' });
  await t.createUser('lena', 'lena-password-1');
  marc = await t.createUser('marc');
});
afterAll(async () => {
  await sock?.close();
  await t?.close();
});

it('logs in and syncs like a Startalk client', async () => {
  const root = t.url.replace(/\/graphql$/, '');
  // 1. navigation (token mode)
  const nav = await (await fetch(`${root}/newapi/nck/qtalk_nav.qunar?nauth=true`)).json();
  expect(nav.Login.loginType).toBe('newpassword');
  const { domain, xmppport, httpurl, javaurl, fileurl } = nav.baseaddess;
  // 2. the server's public key, 3. the token login with the RSA-encrypted password
  const keys = (await (await fetch(`${httpurl}/nck/rsa/get_public_key.do`)).json()).data;
  const p = publicEncrypt({ key: keys.pub_key_fullkey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('lena-password-1')).toString('base64');
  const login = await (await fetch(`${httpurl}/nck/qtlogin.qunar`, { method: 'POST', body: JSON.stringify({ u: 'lena', h: domain, p, mk: 'e2e-device' }) })).json();
  expect(login.ret).toBe(true);
  // 4. the socket login with {"nauth":…}; the session key comes with the session
  sock = await socketLogin(xmppport, 'lena', JSON.stringify({ nauth: { u: 'lena', p: login.data.t, mk: 'e2e-device' } }), 'V[1.0]_P[PC64]_ID[e2e]_PB');
  sock.send('<presence><priority>5</priority></presence>');
  // 5. q_ckey exactly as §3.3: base64("u=&k=UPPER(md5(KEY+t))&d=&t=")
  const tms = String(Date.now());
  const cookie = Buffer.from(`u=lena&k=${createHash('md5').update(sock.key + tms).digest('hex').toUpperCase()}&d=${domain}&t=${tms}`).toString('base64');
  expect(cookie).toBe(qckey('lena', sock.key, domain, tms));
  const post = async (url: string, body: unknown) =>
    (await fetch(url, { method: 'POST', body: JSON.stringify(body), headers: { cookie: `q_ckey=${cookie}`, 'content-type': 'application/json' } })).json();

  // Meanwhile a GraphQL user writes: 1:1 messages, a group, a file.
  for (let i = 0; i < 7; i++) {
    await t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }', { i: { to: 'lena', body: `hi ${i}`, msgId: `e2e-${i}` } }, marc.token);
  }
  const g = await t.ok('mutation{ createGroup(input:{name:"E2E", members:["lena"]}){ id card { roomName } } }', {}, marc.token);
  await t.ok('mutation($g:ID!){ sendGroupMessage(input:{groupId:$g, body:"to the group", msgId:"e2e-g"}){ id } }', { g: g.createGroup.id }, marc.token);
  // the client uploads a file the qfproxy way, marc sends one the GraphQL way
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(Buffer.from('quarterly numbers'))]), 'q3.txt');
  const up = await (await fetch(`${fileurl}/file/v2/upload/file?key=${createHash('md5').update('quarterly numbers').digest('hex')}&name=q3.txt`, {
    method: 'POST', body: form, headers: { cookie: `q_ckey=${cookie}` },
  })).json();
  expect(up).toMatchObject({ ret: true, data: expect.stringMatching(/^\/file\/v2\/download\//) });
  const req = await t.ok('mutation{ requestUpload(name:"plan.txt", size:4, contentType:"text/plain", kind:FILE){ uploadId url method fields { name value } headers { name value } file { id } } }', {}, marc.token);
  const tk = req.requestUpload;
  let put: Response;
  if (tk.method === 'PUT') {
    const headers = Object.fromEntries(tk.headers.map((h: { name: string; value: string }) => [h.name, h.value]));
    put = await fetch(tk.url.startsWith('http') ? tk.url : root + tk.url, { method: 'PUT', body: 'plan', headers });
  }
  else {
    const f = new FormData();
    for (const x of tk.fields) f.append(x.name, x.value);
    f.append('file', new Blob(['plan'], { type: 'text/plain' }));
    put = await fetch(tk.url, { method: 'POST', body: f });
  }
  expect(put.status).toBeLessThan(300);
  await t.ok('mutation($id:ID!,$h:String!){ completeUpload(uploadId:$id, sha256:$h){ id } }', { id: tk.uploadId, h: createHash('sha256').update('plan').digest('hex') }, marc.token);
  await t.ok('mutation($f:ID!){ sendFile(input:{to:"lena", fileId:$f, msgId:"e2e-file"}){ id } }', { f: tk.file.id }, marc.token);
  // the file message reaches the XMPP session with Startalk's msgType 5 JSON body
  await sock.waitFor(/<body[^>]*id=['"]e2e-file['"][^>]*msgType=['"]5['"]|<body[^>]*msgType=['"]5['"][^>]*id=['"]e2e-file['"]/);

  // 6. history sync under javaurl, paging by t: the same messages as GraphQL
  const seen: any[] = [];
  let time: unknown = 0;
  for (;;) {
    const r = await post(`${javaurl}/qtapi/gethistory.qunar`, { user: 'lena', host: domain, domain, time, num: 3, f: 't' });
    expect(r.ret).toBe(true);
    seen.push(...r.data);
    if (r.data.length < 3) break;
    time = r.data.at(-1).t;
  }
  const gql = await t.ok('{ messages(with:"lena", first:50, order:OLDEST_FIRST){ edges { node { msgId } } } }', {}, marc.token);
  expect(seen.map((x) => x.body.id)).toEqual(gql.messages.edges.map((e: any) => e.node.msgId));
  const file = seen.find((x) => x.body.id === 'e2e-file');
  expect(file.body.msgType).toBe('5');
  expect(JSON.parse(file.body.content)).toMatchObject({ FileName: 'plan.txt' });
  const muc = await post(`${httpurl}/getmuchistory.qunar`, { user: 'lena', host: domain, time: 0, num: 100 });
  expect(muc.data.map((x: any) => [x.muc, x.body.content])).toEqual([[g.createGroup.card.roomName, 'to the group']]);
  // 7. groups and cards, users
  const mucs = await post(`${httpurl}/muc/get_increment_mucs.qunar`, { u: 'lena', d: domain, t: 0 });
  expect(mucs.data).toEqual([expect.objectContaining({ M: g.createGroup.card.roomName, F: 1 })]);
  const cards = await post(`${httpurl}/muc/get_user_increment_muc_vcard.qunar`, { userid: 'lena', lastupdtime: '0' });
  expect(cards.data).toEqual([expect.objectContaining({ SN: 'E2E' })]);
  const users = await post(`${httpurl}/update/getUpdateUsers.qunar`, { version: 0 });
  expect(users.data.update.map((u: any) => u.U)).toEqual(expect.arrayContaining(['lena', 'marc']));
});
