// STARTTLS (RFC 6120 §5) and the plain-text policy: with XMPP_PLAIN=never, PLAIN is only
// offered and accepted after TLS.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';
import { eventually } from './helpers/wait.js';

let t: TestApp;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stn-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  t = await startTestApp({
    XMPP_PORT: '0', XMPP_PLAIN: 'never', XMPP_TLS_CERT_FILE: join(dir, 'cert.pem'), XMPP_TLS_KEY_FILE: join(dir, 'key.pem'),
  });
  await t.createUser('tess');
});
afterAll(() => t?.close());

const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
const AUTH = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from('\0tess\0password-123').toString('base64')}</auth>`;

function reader(s: Socket | ReturnType<typeof tlsConnect>) {
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => (buf += d));
  return async (needle: string) => {
    // returns what arrived even without the needle: the callers assert on it
    await eventually(() => buf.includes(needle), { timeoutMs: 5000, intervalMs: 10 }).catch(() => {});
    const out = buf;
    buf = '';
    return out;
  };
}

it('requires STARTTLS before PLAIN, then logs in over TLS', async () => {
  const plain = connect(t.app.bridgePort!, '127.0.0.1');
  const read = reader(plain);
  plain.write(HEADER);
  const features = await read('</stream:features>');
  expect(features).toContain('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls>');
  expect(features).not.toContain('PLAIN');
  plain.write(AUTH);
  expect(await read('</failure>')).toContain('encryption-required');
  plain.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  expect(await read('proceed')).toContain('proceed');
  plain.removeAllListeners('data');
  const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
  await new Promise((r) => secure.once('secureConnect', r));
  const readTls = reader(secure);
  secure.write(HEADER);
  expect(await readTls('</stream:features>')).toContain('<mechanism>PLAIN</mechanism>');
  secure.write(AUTH);
  expect(await readTls('success')).toContain('<success');
  secure.destroy();
});
