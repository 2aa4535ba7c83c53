// A real browser (Debian's Chromium driven by playwright-core) against the server, with every
// request that leaves this machine aborted: GraphiQL must render and work from this server
// alone, and a page on another origin must upload and download a file through GraphQL (CORS).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = '/tmp';

let t: TestApp;
let browser: Browser;
let context: BrowserContext;
const outside: string[] = [];

beforeAll(async () => {
  t = await startTestApp({ SEND_RATE_PER_SEC: '0' });
  await t.createUser('alice');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // no request may leave the machine: anything not on loopback is recorded and aborted
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.hostname === '127.0.0.1' || u.hostname === 'localhost') return route.continue();
    outside.push(u.href);
    return route.abort();
  });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** the text GraphiQL shows in its result pane (Monaco renders spaces as no-break spaces) */
const resultText = async (page: Page) => (await page.locator('.graphiql-response').innerText()).replace(/\u00a0/g, ' ');

async function setEditor(page: Page, editor: string, text: string) {
  await page.locator(editor).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

describe('in a browser', () => {
  it('GraphiQL renders offline, signs in, and subscribes with the token from its Headers tab', { timeout: 90_000 }, async () => {
    const page = await context.newPage();
    const login = 'mutation { login(username: "alice", password: "password-123") { token } }';
    await page.goto(`${t.url}?query=${encodeURIComponent(login)}`);
    await page.locator('.graphiql-execute-button').waitFor();
    await page.screenshot({ path: `${SHOTS}/graphiql-loaded.png` });

    const answered = page.waitForResponse((r) => r.url().startsWith(t.url) && r.request().method() === 'POST' && r.request().postData()?.includes('login') === true);
    await page.locator('.graphiql-execute-button').click();
    const token = ((await (await answered).json()) as any).data.login.token as string;
    await page.screenshot({ path: `${SHOTS}/graphiql-login.png` });
    await expect.poll(() => resultText(page)).toContain(token.slice(0, 12));

    await setEditor(page, '.graphiql-query-editor .monaco-editor', 'subscription { events { cursor ... on MessageAddedEvent { message { body from { username } } } } }');
    await page.getByRole('button', { name: 'Headers' }).click();
    await setEditor(page, '.monaco-editor[data-uri$="headers.json"]', `{ "Authorization": "Bearer ${token}" }`);
    await page.locator('.graphiql-execute-button').click();

    // another user writes; until the subscription is live a send may be missed, so keep sending
    let shown = '';
    for (let i = 0; i < 40 && !shown.includes('hello from admin'); i++) {
      await t.ok('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }', { i: { to: 'alice', body: `hello from admin ${i}` } }, t.adminToken);
      await page.waitForTimeout(250);
      shown = await resultText(page);
    }
    await page.screenshot({ path: `${SHOTS}/graphiql-subscription.png` });
    expect(shown).toContain('hello from admin');
    expect(shown).not.toContain('UNAUTHENTICATED');
    expect(outside).toEqual([]);
    await page.close();
  });

  it('a page on another origin uploads and downloads a file through GraphQL', async () => {
    const appPage = `<!doctype html><meta charset="utf-8"><title>other origin</title><pre id="out">working</pre><script type="module">
      const api = ${JSON.stringify(t.url)};
      const token = ${JSON.stringify(await t.login('alice', 'password-123'))};
      const gql = async (query, variables) => {
        const r = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token }, body: JSON.stringify({ query, variables }) });
        const j = await r.json();
        if (j.errors) throw new Error(JSON.stringify(j.errors));
        return j.data;
      };
      const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
      try {
        const bytes = new TextEncoder().encode('hello across origins ' + Math.random());
        const { requestUpload: tk } = await gql('mutation($n:String!,$s:Float!,$t:String!){ requestUpload(name:$n,size:$s,contentType:$t){ uploadId url method headers{name value} fields{name value} } }', { n: 'note.txt', s: bytes.length, t: 'text/plain' });
        const target = new URL(tk.url, api);
        let put;
        if (tk.method === 'PUT') {
          put = await fetch(target, { method: 'PUT', headers: Object.fromEntries(tk.headers.map((h) => [h.name, h.value])), body: bytes });
        } else {
          const form = new FormData();
          for (const f of tk.fields) form.append(f.name, f.value);
          form.append('file', new Blob([bytes], { type: 'text/plain' }), 'note.txt');
          put = await fetch(target, { method: 'POST', body: form });
        }
        if (!put.ok) throw new Error('upload answered ' + put.status);
        const sha = hex(await crypto.subtle.digest('SHA-256', bytes));
        const { completeUpload: f } = await gql('mutation($id:ID!,$h:String!){ completeUpload(uploadId:$id,sha256:$h){ url size } }', { id: tk.uploadId, h: sha });
        const got = await fetch(new URL(f.url, api), { headers: { authorization: 'Bearer ' + token } });
        const text = await got.text();
        document.getElementById('out').textContent = JSON.stringify({ method: tk.method, same: text === new TextDecoder().decode(bytes), size: f.size });
      } catch (e) {
        document.getElementById('out').textContent = 'failed: ' + e.message;
      }
    </script>`;
    const other: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(appPage));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const page = await context.newPage();
      const origin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      expect(origin).not.toBe(new URL(t.url).origin);
      await page.goto(origin);
      await expect.poll(() => page.locator('#out').innerText(), { timeout: 15_000 }).not.toBe('working');
      await page.screenshot({ path: `${SHOTS}/cross-origin-upload.png` });
      const out = await page.locator('#out').innerText();
      expect(out).not.toMatch(/^failed/);
      expect(JSON.parse(out)).toMatchObject({ method: 'PUT', same: true });
      expect(outside).toEqual([]);
      await page.close();
    } finally {
      other.close();
    }
  });
});
