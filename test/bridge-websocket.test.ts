// The XMPP bridge over WebSocket (RFC 7395) at /websocket with a real client.
import { xml } from '@xmpp/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';
import { xmppLogin } from './helpers/xmpp.js';

// @xmpp/websocket uses the global WebSocket, which Node 20 does not have.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  await t.createUser('wendy');
  await t.createUser('victor');
});
afterAll(() => t?.close());

it('logs in over /websocket and chats with a GraphQL user both ways', async () => {
  const service = t.url.replace('http', 'ws').replace('/graphql', '/websocket');
  const { c, stanzas: got } = await xmppLogin(0, 'wendy', 'web', 'password-123', { service, presence: false });
  expect(c.jid?.toString()).toBe('wendy@localhost/web');
  await c.send(xml('presence'));
  const vToken = await t.login('victor', 'password-123');
  const vSub = collect(t.ws(vToken), 'subscription { events { ... on MessageAddedEvent { message { body from { username } } } } }');
  await sleep(200);
  await c.send(xml('message', { type: 'chat', to: 'victor@localhost' }, xml('body', { id: 'ws-1' }, 'over websocket')));
  expect((await vSub.waitFor(1))[0].events.message).toEqual({ body: 'over websocket', from: { username: 'wendy' } });
  await t.ok('mutation { sendMessage(input:{to:"wendy", body:"back to ws"}) { id } }', {}, vToken);
  await eventually(() => got.some((s) => s.getChildText?.('body') === 'back to ws'), { timeoutMs: 10_000, what: "'back to ws' over the websocket" });
  expect(got.some((s) => s.getChildText?.('body') === 'back to ws')).toBe(true);
  expect(got.some((s) => s.attrs.type === 'mstat')).toBe(true);
  vSub.stop();
  await c.stop();
});

it('refuses other WebSocket paths and still serves GraphQL over /graphql', async () => {
  const bad = new WebSocket(t.url.replace('http', 'ws').replace('/graphql', '/nope'));
  const outcome = await new Promise<string>((r) => {
    bad.on('open', () => r('open'));
    bad.on('error', () => r('error'));
    bad.on('unexpected-response', () => r('refused'));
  });
  expect(outcome).not.toBe('open');
});
