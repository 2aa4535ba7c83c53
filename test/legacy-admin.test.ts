// Legacy admin HTTP (PROTOCOL.md §6.9): Startalk's /qtalk/<action> calls, behind an API key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

const KEY = 'admin-key-0123456789abcdef';
let t: TestApp;
let base: string;
let marc: { token: string };

const admin = async (action: string, body: unknown, key: string | null = KEY) => {
  const res = await fetch(`${base}/qtalk/${action}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  });
  return { status: res.status, body: await res.json() as any };
};

beforeAll(async () => {
  t = await startTestApp({ ADMIN_API_KEY: KEY, SEND_RATE_PER_SEC: '0' });
  base = t.url.replace(/\/graphql$/, '');
  await t.createUser('lena');
  marc = await t.createUser('marc');
});
afterAll(async () => t?.close());

describe('admin HTTP', () => {
  it('refuses calls without the key', async () => {
    for (const key of [null, 'wrong-key-wrong-key-wrong']) {
      const r = await admin('send_message', { From: 'lena', To: [{ User: 'marc' }], Body: 'x' }, key);
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ ret: false });
    }
    const hist = await t.ok('{ messages(with:"lena", first:5){ edges { node { body } } } }', {}, marc.token);
    expect(hist.messages.edges).toEqual([]);
  });

  it('send_message and send_thirdmessage send as the user; get_user_nick answers', async () => {
    const r = await admin('send_message', { From: 'lena', To: [{ User: 'marc' }], Body: 'from a script', Type: 'chat', Msg_Type: '1', Host: 'localhost', Domain: 'localhost' });
    expect(r.body).toMatchObject({ ret: true, data: [{ to: 'marc', msgId: expect.any(String) }] });
    const xml = '<message to="marc@localhost" type="chat"><body id="third-1" msgType="1" extendInfo="{&quot;a&quot;:1}">raw &amp; ready</body></message>';
    const third = await admin('send_thirdmessage', { from: 'lena@localhost', to: 'marc@localhost', message: xml });
    expect(third.body).toMatchObject({ ret: true, data: { msgId: 'third-1' } });
    const hist = await t.ok('{ messages(with:"lena", first:5, order:OLDEST_FIRST){ edges { node { body msgId extendInfo } } } }', {}, marc.token);
    expect(hist.messages.edges.map((e: any) => e.node)).toEqual([
      expect.objectContaining({ body: 'from a script' }),
      { body: 'raw & ready', msgId: 'third-1', extendInfo: '{"a":1}' },
    ]);
    const bad = await admin('send_thirdmessage', { from: 'lena', message: '<!DOCTYPE x><message/>' });
    expect(bad.body).toMatchObject({ ret: false, errcode: 1 });
    const nick = await admin('get_user_nick', { ID: 'marc', Domain: 'localhost' });
    expect(nick.body.data).toMatchObject({ Nick: 'MARC' });
    const ghost = await admin('get_user_nick', { ID: 'ghost', Domain: 'localhost' });
    expect(ghost.body).toMatchObject({ ret: false, errcode: 404 });
  });
});
