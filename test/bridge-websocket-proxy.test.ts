// XMPP over WebSocket behind a reverse proxy on the same machine: every peer address is
// loopback, so with TRUST_PROXY the forwarded client address and protocol decide whether a
// plain password may be sent (XMPP_PLAIN=loopback), not the proxy's own address.
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestApp, type TestApp } from './helpers/app.js';

let proxied: TestApp;
let direct: TestApp;
beforeAll(async () => {
  const env = { XMPP_PORT: '0', XMPP_PLAIN: 'loopback' };
  proxied = await startTestApp({ ...env, TRUST_PROXY: 'loopback' });
  direct = await startTestApp(env);
  await proxied.createUser('pia');
  await direct.createUser('pia');
});
afterAll(async () => {
  await proxied?.close();
  await direct?.close();
});

/** Opens an XMPP WebSocket with the given headers, tries SASL PLAIN, returns the server's answer. */
async function plainAuth(t: TestApp, headers: Record<string, string>): Promise<string> {
  const url = t.url.replace('http', 'ws').replace('/graphql', '/websocket');
  const ws = new WebSocket(url, 'xmpp', { headers });
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
  const until = Date.now() + 10_000;
  while (!frames.some((f) => f.includes('stream:features')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const creds = Buffer.from('\u0000pia\u0000password-123').toString('base64');
  ws.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
  while (!frames.some((f) => /<(success|failure)/.test(f)) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  ws.close();
  const answer = frames.find((f) => /<(success|failure)/.test(f)) ?? 'no answer';
  return answer.includes('<success') ? 'success' : /encryption-required/.test(answer) ? 'encryption-required' : answer;
}

it('a client forwarded by a trusted proxy over plain http may not send a plain password', async () => {
  expect(await plainAuth(proxied, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'http' })).toBe('encryption-required');
  expect(await plainAuth(proxied, { 'x-forwarded-for': '203.0.113.7' })).toBe('encryption-required');
});

it('a client forwarded over https by a trusted proxy may', async () => {
  expect(await plainAuth(proxied, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' })).toBe('success');
});

it('without TRUST_PROXY forwarding headers change nothing: a loopback peer is loopback', async () => {
  expect(await plainAuth(direct, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' })).toBe('success');
  expect(await plainAuth(direct, {})).toBe('success');
});
