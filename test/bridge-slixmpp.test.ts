// A second, independent client implementation against the bridge: slixmpp (Python),
// installed from Debian's python3-slixmpp by .ci/run, chatting with a GraphQL user.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { collect, sleep, startTestApp, type TestApp } from './helpers/app.js';

const SCRIPT = fileURLToPath(new URL('./slixmpp/client.py', import.meta.url));
let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0', XMPP_PORT: '0' });
  await t.createUser('slix');
  await t.createUser('gq');
});
afterAll(() => t?.close());

it('slixmpp logs in and chats with a GraphQL user both ways', async () => {
  const gqToken = await t.login('gq', 'password-123');
  const sub = collect(t.ws(gqToken), 'subscription { events { ... on MessageAddedEvent { message { body from { username } } } } }');
  await sleep(200);
  // Debian's python3 (not a pyenv one first in PATH) has the slixmpp package
  const py = spawn('/usr/bin/python3', [SCRIPT, String(t.app.bridgePort), 'slix@localhost', 'password-123', 'gq@localhost', 'hello from slixmpp']);
  const lines: any[] = [];
  let stderr = '';
  py.stdout.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l))));
  py.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => py.on('exit', r));
  const [got] = await sub.waitFor(1, 15_000);
  expect(got?.events.message, stderr).toEqual({ body: 'hello from slixmpp', from: { username: 'slix' } });
  expect(lines[0]).toEqual({ ready: true, jid: expect.stringMatching(/^slix@localhost\//) });
  await t.ok('mutation { sendMessage(input:{to:"slix", body:"hello slixmpp"}) { id } }', {}, gqToken);
  expect(await exited).toBe(0);
  expect(lines.find((l) => l.got)).toEqual({ got: 'hello slixmpp', from: 'gq@localhost' });
  sub.stop();
}, 30_000);
