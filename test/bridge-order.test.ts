// RFC 6120 §10.1: stanzas from one client are processed in order. A client that pipelines
// many messages in one write finds them stored (and acked) in the order it sent them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { socketLogin } from './helpers/legacy-client.js';

let t: TestApp;
let yuri: { token: string };

beforeAll(async () => {
  t = await startTestApp({ XMPP_PORT: '0', SEND_RATE_PER_SEC: '0' });
  await t.createUser('xena');
  yuri = await t.createUser('yuri');
  await t.createUser('zoe');
});
afterAll(async () => t?.close());

it('stores pipelined messages in the order they were sent, to two peers at once', async () => {
  const s = await socketLogin(t.app.bridgePort as number, 'xena', 'password-123');
  const ids = Array.from({ length: 120 }, (_, i) => `ord-${String(i).padStart(3, '0')}`);
  // First messages to each peer look their conversation up (a cache miss) while later ones would not.
  s.send(ids.map((id, i) => `<message type='chat' to='${i % 2 ? 'yuri' : 'zoe'}@localhost'><body id='${id}' msgType='1'>${id}</body></message>`).join(''));
  await s.waitFor(new RegExp(`id=['"]${ids.at(-1)}['"] stat=['"]sent`), 15_000);
  const acks = [...s.received().matchAll(/<body id=['"](ord-\d+)['"] stat=['"]sent/g)].map((m) => m[1]);
  expect(acks).toEqual(ids);
  const h = await t.ok('{ messages(with:"xena", first:200, order:OLDEST_FIRST){ edges { node { msgId createdAt } } } }', {}, yuri.token);
  expect(h.messages.edges.map((e: any) => e.node.msgId)).toEqual(ids.filter((_, i) => i % 2));
  await s.close();
});
