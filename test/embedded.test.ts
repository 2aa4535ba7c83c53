// The zero-setup default: with DATABASE_URL unset the server runs its own PostgreSQL
// under DATA_DIR, applies migrations, creates the admin, and keeps data across restarts.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { freePort } from './helpers/cluster.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function gql(url: string, query: string, token?: string) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await r.json()) as any;
}

it('serves with an embedded PostgreSQL and keeps its data across restarts', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stn-embedded-'));
  dirs.push(dataDir);
  await chmod(dataDir, 0o755); // mkdtemp makes it 0700; as root, PostgreSQL runs as "postgres"

  const env = {
    DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()),
    ADMIN_PASSWORD: 'embedded-admin', LOG_LEVEL: 'silent', HOST: '127.0.0.1',
  };
  let app = await buildApp(loadConfig(env));
  let { url } = await app.listen(0, '127.0.0.1');
  const login = `mutation { login(username: "admin", password: "embedded-admin") { token } }`;
  const token = (await gql(url, login)).data.login.token;
  const created = await gql(url, 'mutation { createUser(input: {username: "zoe", password: "zoe-password"}) { id } }', token);
  expect(created.errors).toBeUndefined();
  await app.close();

  app = await buildApp(loadConfig(env));
  ({ url } = await app.listen(0, '127.0.0.1'));
  const again = await gql(url, 'mutation { login(username: "zoe", password: "zoe-password") { user { username } } }');
  expect(again.data.login.user.username).toBe('zoe');
  await app.close();
}, 60_000);
