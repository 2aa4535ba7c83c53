// Files, the same suite on every object store: the local disk, s3rver (S3 on loopback, which
// checks expiry but not signatures) and a real MinIO when MINIO_ENDPOINT is set. Uploads over
// GraphQL (presigned) and qfproxy multipart, Range downloads, dedupe, limits, type sniffing,
// expired and tampered URLs, and file messages in GraphQL history.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startTestApp, type TestApp } from './helpers/app.js';
import { users } from './helpers/users.js';
import { eventually } from './helpers/wait.js';
import { ckeyCookie, fakePng, md5, sha256, startStore, type StoreUnderTest } from './helpers/files.js';

const STORES: StoreUnderTest['name'][] = ['local', 's3rver', ...(process.env.MINIO_ENDPOINT ? ['minio' as const] : [])];
const LIMITS = { MAX_FILE_BYTES: String(256 * 1024), MAX_IMAGE_BYTES: String(64 * 1024) };

const REQUEST = `mutation($n:String!,$s:Float!,$t:String!,$k:FileKind){ requestUpload(name:$n,size:$s,contentType:$t,kind:$k){
  uploadId url method fields{name value} headers{name value} expiresAt file{ id ready } } }`;
const COMPLETE = `mutation($id:ID!,$h:String!){ completeUpload(uploadId:$id,sha256:$h){ id name size contentType kind sha256 md5 ready url path } }`;

interface Ticket { uploadId: string; url: string; method: string; fields: { name: string; value: string }[]; headers: { name: string; value: string }[] }

describe.each(STORES)('files on %s', (storeName) => {
  let store: StoreUnderTest;
  let t: TestApp;
  let base: string;
  let alice: { id: string; token: string; username: string };
  let bob: { id: string; token: string; username: string };

  beforeAll(async () => {
    store = await startStore(storeName);
    t = await startTestApp({ ...store.env, ...LIMITS, SEND_RATE_PER_SEC: '0' });
    base = t.url.replace(/\/graphql$/, '');
    ({ alice, bob } = await users(t, 'alice', 'bob'));
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  const abs = (u: string) => (u.startsWith('/') ? base + u : u);
  const put = (tk: Ticket, bytes: Buffer, type: string) => {
    if (tk.method === 'PUT') {
      const headers = Object.fromEntries(tk.headers.map((h) => [h.name, h.value]));
      return fetch(abs(tk.url), { method: 'PUT', headers, body: new Uint8Array(bytes) });
    }
    const form = new FormData();
    for (const f of tk.fields) form.append(f.name, f.value);
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'upload.bin');
    return fetch(abs(tk.url), { method: 'POST', body: form });
  };
  const request = async (token: string, name: string, size: number, type: string, kind = 'FILE') =>
    (await t.ok(REQUEST, { n: name, s: size, t: type, k: kind }, token)).requestUpload as Ticket & { file: { id: string } };
  const gqlUpload = async (token: string, bytes: Buffer, name = 'doc.bin', type = 'application/octet-stream', kind = 'FILE') => {
    const tk = await request(token, name, bytes.length, type, kind);
    const r = await put(tk, bytes, type);
    expect(r.status).toBeLessThan(300);
    return t.gql(COMPLETE, { id: tk.uploadId, h: sha256(bytes) }, token);
  };
  const legacyUpload = (kind: 'img' | 'file' | 'avatar', bytes: Buffer, opts: { name?: string; type?: string; headers?: Record<string, string> } = {}) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type: opts.type ?? 'application/octet-stream' }), opts.name ?? 'f.bin');
    return fetch(`${base}/file/v2/upload/${kind}?key=${md5(bytes)}&name=${encodeURIComponent(opts.name ?? 'f.bin')}`, {
      method: 'POST', body: form, headers: opts.headers ?? { authorization: `Bearer ${alice.token}` },
    });
  };

  it('uploads over GraphQL (presigned), verifies the hash and serves it back', async () => {
    const bytes = randomBytes(100_000);
    const r = await gqlUpload(alice.token, bytes, 'report.pdf', 'application/pdf');
    expect(r.errors).toBeUndefined();
    const f = r.data.completeUpload;
    expect(f).toMatchObject({ name: 'report.pdf', size: 100_000, contentType: 'application/pdf', kind: 'FILE', sha256: sha256(bytes), md5: md5(bytes), ready: true });
    const got = await fetch(abs(f.url));
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await store.objects()).toContain(sha256(bytes));
    expect(await store.leftovers()).toEqual([]);
  });

  it('only signed-in users upload; only the owner completes (others: not found); a wrong hash is refused and removed', async () => {
    const anon = await t.gql(REQUEST, { n: 'x', s: 10, t: 'text/plain' });
    expect(anon.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const bytes = randomBytes(5000);
    const tk = await request(alice.token, 'a.bin', bytes.length, 'application/octet-stream');
    expect((await put(tk, bytes, 'application/octet-stream')).status).toBeLessThan(300);
    const byBob = await t.gql(COMPLETE, { id: tk.uploadId, h: sha256(bytes) }, bob.token);
    expect(byBob.errors?.[0]?.extensions?.code).toBe('NOT_FOUND'); // someone else's upload looks like none
    const wrong = await t.gql(COMPLETE, { id: tk.uploadId, h: sha256(Buffer.from('other')) }, alice.token);
    expect(wrong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'HASH_MISMATCH' });
    expect(await store.objects()).not.toContain(sha256(bytes));
    expect(await store.leftovers()).toEqual([]);
    const anonLegacy = await legacyUpload('file', bytes, { headers: {} });
    expect(anonLegacy.status).toBe(401);
    expect(anonLegacy.headers.get('x-qfproxy-code')).toBe('501');
  });

  it('uploads over qfproxy multipart (bearer and q_ckey) and downloads with Range', async () => {
    const bytes = randomBytes(50_000);
    const r = await legacyUpload('file', bytes, { name: 'notes.txt' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { ret: boolean; data: string };
    expect(body.ret).toBe(true);
    expect(body.data).toBe(`/file/v2/download/${sha256(bytes)}.txt?name=notes.txt`);

    const key = await t.app.core.sessionKeys.issue(bob.id);
    const cookie = { cookie: ckeyCookie('bob', key) };
    const viaCkey = await legacyUpload('file', randomBytes(10), { headers: cookie });
    expect(viaCkey.status).toBe(200);

    const part = await fetch(base + body.data, { headers: { ...cookie, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await fetch(base + body.data, { headers: { ...cookie, range: 'bytes=-10' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(-10))).toBe(true);
    const whole = await fetch(base + body.data.replace('/v2/', '/v1/'), { headers: cookie });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-disposition')).toContain("attachment; filename*=UTF-8''notes.txt");
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const bad = await fetch(base + body.data, { headers: { ...cookie, range: `bytes=${bytes.length}-` } });
    expect(bad.status).toBe(416);
    // downloads are not public by default
    expect((await fetch(base + body.data)).status).toBe(403);
  });

  it('stores the same content once, and inspection answers with inverted semantics', async () => {
    const bytes = randomBytes(30_000);
    const ins = (key: string) => fetch(`${base}/file/v2/inspection/file?key=${key}&name=x`, { headers: { authorization: `Bearer ${bob.token}` } });
    const before = await ins(md5(bytes));
    expect(await before.json()).toMatchObject({ ret: true });
    const n = (await store.objects()).length;
    expect((await legacyUpload('file', bytes, { name: 'one.bin' })).status).toBe(200);
    const again = await gqlUpload(bob.token, bytes, 'two.bin');
    expect(again.data.completeUpload.sha256).toBe(sha256(bytes));
    expect((await legacyUpload('file', bytes, { name: 'three.bin' })).status).toBe(200);
    expect((await store.objects()).length).toBe(n + 1);
    expect(await store.leftovers()).toEqual([]);
    const after = await ins(md5(bytes));
    expect(after.headers.get('x-qfproxy-code')).toBe('202');
    expect(await after.json()).toMatchObject({ ret: false, data: expect.stringContaining(sha256(bytes)) });
  });

  it('refuses oversize uploads before the body is stored', async () => {
    const n = (await store.objects()).length;
    const big = randomBytes(256 * 1024 + 1);
    // declared too large: refused from Content-Length, before the body is read
    const declared = await legacyUpload('file', Buffer.concat([big, randomBytes(70 * 1024)]));
    expect(declared.status).toBe(413);
    // no Content-Length (chunked): cut off while streaming
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(big)]), 'big.bin');
    const encoded = new Response(form);
    const chunked = await fetch(`${base}/file/v2/upload/file?key=k&name=big.bin`, {
      method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': encoded.headers.get('content-type')! },
      body: encoded.body, duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ ret: false });
    // GraphQL: the declared size is checked, and the presigned URL takes only that size
    const r = await t.gql(REQUEST, { n: 'big', s: big.length, t: 'application/octet-stream' }, alice.token);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_LARGE' });
    const tk = await request(alice.token, 'small', 1000, 'application/octet-stream');
    const over = await put(tk, randomBytes(2000), 'application/octet-stream');
    if (storeName !== 's3rver') expect(over.status).toBeGreaterThanOrEqual(400);
    if (over.status < 300) {
      // a store that did not enforce the POST policy's size: completeUpload catches it
      const c = await t.gql(COMPLETE, { id: tk.uploadId, h: '0'.repeat(64) }, alice.token);
      expect(c.errors?.[0]?.extensions).toMatchObject({ reason: 'SIZE_MISMATCH' });
    }
    expect((await store.objects()).length).toBe(n);
    expect(await store.leftovers()).toEqual([]);
  });

  it('sniffs images: a spoofed type is refused, a real one gets its sniffed type', async () => {
    const n = (await store.objects()).length;
    const text = Buffer.from('<html><script>alert(1)</script></html>'.repeat(20));
    const spoof = await legacyUpload('img', text, { name: 'cat.png', type: 'image/png' });
    expect(spoof.status).toBe(415);
    expect(spoof.headers.get('x-qfproxy-code')).toBe('101');
    const viaGql = await gqlUpload(alice.token, text, 'cat.png', 'image/png', 'IMAGE');
    expect(viaGql.errors?.[0]?.extensions).toMatchObject({ reason: 'BAD_TYPE' });
    expect((await store.objects()).length).toBe(n);
    expect(await store.leftovers()).toEqual([]);

    const png = fakePng(3000);
    const ok = await legacyUpload('img', png, { name: 'photo.jpg', type: 'image/jpeg' });
    const data = ((await ok.json()) as { data: string }).data;
    expect(data).toBe(`/file/v2/download/${sha256(png)}.png?name=photo.png`);
    const got = await fetch(base + data, { headers: { authorization: `Bearer ${bob.token}` } });
    expect(got.headers.get('content-type')).toBe('image/png');
  });

  it('a file message carries Startalk\'s JSON and shows in GraphQL history', async () => {
    const bytes = randomBytes(2048);
    const f = (await gqlUpload(alice.token, bytes, 'plan.xlsx')).data.completeUpload;
    const sent = await t.ok(`mutation($i:SendFileInput!){ sendFile(input:$i){ id msgType body } }`,
      { i: { to: 'bob', fileId: f.id, msgId: `file-${storeName}` } }, alice.token);
    expect(sent.sendFile.msgType).toBe(5);
    const h = await t.ok(`query{ messages(with:"alice", first:1){ edges{ node{ msgId msgType body extendInfo file{ id name sha256 url } } } } }`, {}, bob.token);
    const node = h.messages.edges[0].node;
    expect(node).toMatchObject({ msgId: `file-${storeName}`, msgType: 5, file: { id: f.id, name: 'plan.xlsx', sha256: sha256(bytes) } });
    const json = JSON.parse(node.body);
    expect(json).toEqual({ FILEID: f.id, FileName: 'plan.xlsx', FileSize: '2KB', FILEMD5: md5(bytes), HttpUrl: f.path });
    expect(node.extendInfo).toBe(node.body);
    // the recipient downloads it: with the signed URL, or the message's path when signed in
    expect(Buffer.from(await (await fetch(abs(node.file.url))).arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(base + json.HttpUrl, { headers: { authorization: `Bearer ${bob.token}` } })).status).toBe(200);

    const png = fakePng(500);
    const img = (await gqlUpload(alice.token, png, 'p.png', 'image/png', 'IMAGE')).data.completeUpload;
    const m = await t.ok(`mutation($i:SendFileInput!){ sendFile(input:$i){ msgType body } }`, { i: { to: 'bob', fileId: img.id, width: 10, height: 20 } }, alice.token);
    expect(m.sendFile).toEqual({ msgType: 3, body: `[obj type="image" value="${img.path}" width=10 height=20]` });
  });
});

describe.each(STORES)('expiring URLs on %s', (storeName) => {
  let store: StoreUnderTest;
  let t: TestApp;
  let base: string;
  let token: string;

  beforeAll(async () => {
    store = await startStore(storeName);
    t = await startTestApp({ ...store.env, FILES_UPLOAD_TTL_SECONDS: '1', FILES_URL_TTL_SECONDS: '1' });
    base = t.url.replace(/\/graphql$/, '');
    token = (await t.createUser('carol')).token;
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });
  const abs = (u: string) => (u.startsWith('/') ? base + u : u);

  it('refuses an expired upload URL and an expired download URL', async () => {
    const bytes = randomBytes(1000);
    const tk = (await t.ok(REQUEST, { n: 'late.bin', s: bytes.length, t: 'application/octet-stream' }, token)).requestUpload as Ticket;
    const tk2 = (await t.ok(REQUEST, { n: 'ok.bin', s: bytes.length, t: 'application/octet-stream' }, token)).requestUpload as Ticket & { uploadId: string };
    // upload the second one now, so there is something to download later
    const form = (k: Ticket) => {
      if (k.method === 'PUT') return { method: 'PUT', headers: Object.fromEntries(k.headers.map((h) => [h.name, h.value])), body: new Uint8Array(bytes) };
      const f = new FormData();
      for (const x of k.fields) f.append(x.name, x.value);
      f.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/octet-stream' }), 'b');
      return { method: 'POST', body: f };
    };
    expect((await fetch(abs(tk2.url), form(tk2))).status).toBeLessThan(300);
    const done = await t.ok(COMPLETE, { id: tk2.uploadId, h: sha256(bytes) }, token);
    const url = abs(done.completeUpload.url);
    expect((await fetch(url)).status).toBe(200);
    await sleep(2100);
    const late = await fetch(abs(tk.url), form(tk));
    if (storeName === 's3rver') {
      // s3rver does not check a POST policy's expiry: completeUpload must refuse it instead
      const c = await t.gql(COMPLETE, { id: (tk as Ticket & { uploadId: string }).uploadId, h: sha256(bytes) }, token);
      expect(c.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'EXPIRED' });
    } else {
      expect(late.status).toBe(403);
    }
    expect((await fetch(url)).status).toBe(403);
    expect(await store.leftovers()).toEqual([]);
  });

  it.runIf(storeName === 'local')('refuses a tampered signature (local store: our own HMAC)', async () => {
    const bytes = randomBytes(100);
    const tk = (await t.ok(REQUEST, { n: 'x.bin', s: bytes.length, t: 'application/octet-stream' }, token)).requestUpload as Ticket;
    const u = new URL(abs(tk.url));
    const later = new URL(u);
    later.searchParams.set('e', String(Number(u.searchParams.get('e')) + 3600));
    const forged = new URL(u);
    forged.searchParams.set('s', u.searchParams.get('s')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    for (const bad of [later, forged]) {
      const r = await fetch(bad, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) });
      expect(r.status).toBe(403);
    }
    // and a body longer than declared is refused from its Content-Length
    const r = await fetch(u, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(randomBytes(101)) });
    expect(r.status).toBe(413);
    // a download signature for other content does not open this one
    const f1 = await t.app.core.files.ingest((await t.app.core.accounts.findByAddress('carol')), { name: 'a', kind: 'file', source: (await import('node:stream')).Readable.from([randomBytes(64)]) });
    const f2 = await t.app.core.files.ingest((await t.app.core.accounts.findByAddress('carol')), { name: 'b', kind: 'file', source: (await import('node:stream')).Readable.from([randomBytes(64)]) });
    const signed = new URL(abs(await t.app.core.files.downloadUrl(f1)));
    const swapped = new URL(signed.toString().replace(f1.sha256!, f2.sha256!));
    expect((await fetch(signed)).status).toBe(200);
    expect((await fetch(swapped)).status).toBe(403);
  });
});

describe('public-by-URL files (FILES_PUBLIC_URLS, Startalk behaviour)', () => {
  let store: StoreUnderTest;
  let t: TestApp;
  beforeAll(async () => {
    store = await startStore('local');
    t = await startTestApp({ ...store.env, FILES_PUBLIC_URLS: 'true' });
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  it('serves the stable path to anyone, and uploads still need a user', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const bytes = randomBytes(500);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), 'x.bin');
    expect((await fetch(`${base}/file/v2/upload/file?key=k&name=x.bin`, { method: 'POST', body: form })).status).toBe(401);
    const up = await fetch(`${base}/file/v2/upload/file?key=k&name=x.bin`, { method: 'POST', body: form, headers: { authorization: `Bearer ${t.adminToken}` } });
    const { data } = (await up.json()) as { data: string };
    const r = await fetch(base + data);
    expect(r.status).toBe(200);
    expect(Buffer.from(await r.arrayBuffer()).equals(bytes)).toBe(true);
  });
});

describe('aborted uploads', () => {
  let store: StoreUnderTest;
  let t: TestApp;
  beforeAll(async () => {
    store = await startStore('local');
    t = await startTestApp(store.env);
  });
  afterAll(async () => {
    await t?.close();
    await store?.close();
  });

  it('a client that disconnects mid-body leaves nothing behind', async () => {
    const { request } = await import('node:http');
    const base = new URL(t.url);
    const boundary = 'xAbortx';
    const req = request({
      host: base.hostname, port: base.port, method: 'POST', path: '/file/v2/upload/file?key=k&name=a.bin',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': '200000' },
    });
    req.on('error', () => {});
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n`);
    req.write(randomBytes(50_000));
    // the temp file being written (waited for: on a loaded machine the server may take a while)
    await eventually(async () => (await store.leftovers()).length > 0, { timeoutMs: 10_000, intervalMs: 50, what: 'the temp file' });
    expect((await store.leftovers()).length).toBe(1);
    req.destroy();
    await eventually(async () => (await store.leftovers()).length === 0, { timeoutMs: 10_000, intervalMs: 50, what: 'the temp file to go' });
    expect(await store.leftovers()).toEqual([]);
    expect(await store.objects()).toEqual([]);
    expect((await t.db.query('SELECT count(*)::int AS n FROM files')).rows[0].n).toBe(0);
  });
});
