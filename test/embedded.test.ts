// The zero-setup default: with DATABASE_URL unset the server runs its own PostgreSQL
// under DATA_DIR, applies migrations, creates the admin, and keeps data across restarts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { freePort, NodeProcess } from './helpers/cluster.js';

const dirs: string[] = [];
const nodes: NodeProcess[] = [];
afterAll(async () => {
  for (const n of nodes) await n.stop();
  for (const d of dirs) {
    // a failed run must not leave a postmaster behind
    const pidFile = join(d, 'pg', 'postmaster.pid');
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8').split('\n', 1)[0]), 'SIGINT');
      } catch {}
    }
    await rm(d, { recursive: true, force: true });
  }
});

async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'stn-embedded-'));
  dirs.push(d);
  await chmod(d, 0o755); // mkdtemp makes it 0700; as root, PostgreSQL runs as "postgres"
  return d;
}

/** Runs a script as its own process to the end: exit code and output. */
function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const p = spawn(process.execPath, args, { cwd: join(import.meta.dirname, '..'), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b) => (out += b));
  p.stderr.on('data', (b) => (out += b));
  return new Promise((resolve) => p.once('exit', (code) => resolve({ code, out })));
}

async function pgAnswers(port: number): Promise<boolean> {
  const c = new pg.Client({ connectionString: `postgresql://postgres:startalk-embedded@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 3000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function gql(url: string, query: string, token?: string) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await r.json()) as any;
}

it('serves with an embedded PostgreSQL and keeps its data across restarts', async () => {
  const env = {
    DATA_DIR: await dataDir(), EMBEDDED_PG_PORT: String(await freePort()),
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

describe('one owner per DATA_DIR', () => {
  let owner: NodeProcess;
  let env: Record<string, string>;
  let httpPort: number;
  const login = 'mutation { login(username: "admin", password: "embedded-admin") { token } }';
  beforeAll(async () => {
    httpPort = await freePort();
    env = {
      DATA_DIR: await dataDir(), EMBEDDED_PG_PORT: String(await freePort()), DATABASE_URL: '', REDIS_URL: '',
      XMPP_PORT: 'off', PB_PORT: 'off', ADMIN_PASSWORD: 'embedded-admin', LOG_LEVEL: 'info',
    };
    owner = new NodeProcess(httpPort, env);
    nodes.push(owner);
    await owner.start(90_000); // initdb and migrations: slow on a loaded machine
  }, 120_000);

  it('search:reindex beside the running server uses its database and leaves it running', async () => {
    const reindex = await run(['--import', 'tsx', 'scripts/search-reindex.ts'], env);
    expect(reindex.out).not.toContain('stopping an embedded PostgreSQL');
    expect([reindex.code, reindex.out]).toEqual([0, expect.stringContaining('reindexed')]);
    expect(await owner.ready()).toBe(true);
    expect((await gql(owner.url, login)).data.login.token).toBeTruthy();
  }, 120_000);

  it('a second server on the same DATA_DIR refuses before touching the database', async () => {
    const second = await run(['--import', './scripts/register-ts.mjs', 'src/server/main.ts'], { ...env, PORT: String(httpPort), HOST: '127.0.0.1' });
    expect(second.code).not.toBe(0);
    expect(second.out).toContain('is in use by another running server');
    expect(await owner.ready()).toBe(true);
    expect((await gql(owner.url, login)).data.login.token).toBeTruthy();
  }, 120_000);

  it('a clean shutdown frees the directory for the next start', async () => {
    await owner.stop();
    nodes.splice(nodes.indexOf(owner), 1);
    expect(existsSync(join(env.DATA_DIR!, 'embedded-pg.lock'))).toBe(false);
    const next = new NodeProcess(httpPort, env);
    nodes.push(next);
    await next.start(90_000);
    expect((await gql(next.url, login)).data.login.token).toBeTruthy();
  }, 120_000);
});

it('a server that fails on a busy port stops the PostgreSQL it started', async () => {
  const busy = createNetServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const dir = await dataDir();
  const pgPort = await freePort();
  try {
    const failed = await run(['--import', './scripts/register-ts.mjs', 'src/server/main.ts'], {
      DATA_DIR: dir, EMBEDDED_PG_PORT: String(pgPort), DATABASE_URL: '', REDIS_URL: '', XMPP_PORT: 'off', PB_PORT: 'off',
      ADMIN_PASSWORD: 'embedded-admin', PORT: String((busy.address() as AddressInfo).port), HOST: '127.0.0.1',
    });
    expect([failed.code, failed.out]).toEqual([1, expect.stringContaining('EADDRINUSE')]);
    expect(await pgAnswers(pgPort)).toBe(false);
    expect(existsSync(join(dir, 'pg', 'postmaster.pid'))).toBe(false);
    expect(existsSync(join(dir, 'embedded-pg.lock'))).toBe(false);
  } finally {
    busy.close();
  }
}, 120_000);

it('takes over from an owner that died, stopping the postmaster it left', async () => {
  const dir = await dataDir();
  const httpPort = await freePort();
  const env = {
    DATA_DIR: dir, EMBEDDED_PG_PORT: String(await freePort()), DATABASE_URL: '', REDIS_URL: '',
    XMPP_PORT: 'off', PB_PORT: 'off', ADMIN_PASSWORD: 'embedded-admin', LOG_LEVEL: 'info',
  };
  const crashed = new NodeProcess(httpPort, env);
  nodes.push(crashed);
  await crashed.start(90_000);
  await crashed.kill(); // kill -9: its PostgreSQL keeps running, its lock names a dead pid
  nodes.splice(nodes.indexOf(crashed), 1);
  expect(await pgAnswers(Number(env.EMBEDDED_PG_PORT))).toBe(true);
  const next = new NodeProcess(httpPort, env);
  nodes.push(next);
  await next.start(90_000);
  expect(next.log).toContain('stopping an embedded PostgreSQL left running');
  expect((await gql(next.url, 'mutation { login(username: "admin", password: "embedded-admin") { token } }')).data.login.token).toBeTruthy();
}, 120_000);
