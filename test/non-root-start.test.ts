// What the Docker image does, without Docker: the server runs as an unprivileged user from a
// root-owned directory (as root, the test drops to "nobody" with setpriv). A writable DATA_DIR:
// it starts, its embedded PostgreSQL running as that user, and /readyz is 200. An unwritable
// one: one clear line and a non-zero exit, no stack trace.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, waitFor } from './helpers/cluster.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const dirs: string[] = [];
const procs: ChildProcess[] = [];
let appDir: string; // like the image's /app: not writable by the server's user

beforeAll(async () => {
  appDir = await mkdtemp(join(tmpdir(), 'stn-app-'));
  dirs.push(appDir);
  await chmod(appDir, 0o555);
});
afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** The production start command as an unprivileged user, cwd the read-only app directory. */
function start(env: Record<string, string>): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const cmd = [process.execPath, '--import', join(ROOT, 'scripts/register-ts.mjs'), join(ROOT, 'src/server/main.ts')];
  const argv = asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...cmd] : cmd;
  const proc = spawn(argv[0]!, argv.slice(1), {
    cwd: appDir,
    env: { PATH: process.env.PATH, HOME: tmpdir(), XMPP_PORT: 'off', PB_PORT: 'off', ADMIN_PASSWORD: 'nonroot-admin', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (b) => (out += b));
  proc.stderr!.on('data', (b) => (out += b));
  return { proc, output: () => out, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
}

it('starts as an unprivileged user with a writable DATA_DIR, embedded PostgreSQL included', async () => {
  const data = await mkdtemp(join(tmpdir(), 'stn-data-'));
  dirs.push(data);
  if (asRoot) await chown(data, NOBODY, NOBODY);
  const port = await freePort();
  const s = start({ DATA_DIR: data, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()) });
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, `readyz\n${s.output()}`, 90_000);
  // the embedded PostgreSQL's files belong to that user (as root it would have been "postgres")
  expect(statSync(join(data, 'pg', 'PG_VERSION')).uid).toBe(asRoot ? NOBODY : process.getuid?.());
  s.proc.kill('SIGTERM');
  expect(await s.exited).toBe(0);
}, 120_000);

it('an unwritable DATA_DIR is one clear line and a non-zero exit', async () => {
  // the image's old default: ./data under a directory the user cannot write
  const s = start({ PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()) });
  const code = await s.exited;
  expect(code).not.toBe(0);
  const lines = s.output().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^startalk-next failed to start: DATA_DIR ${appDir}/data is not writable by this user .*EACCES`));
  expect(lines[0]).not.toMatch(/\n\s+at /);
}, 60_000);

it('the Docker image runs as "node" with DATA_DIR on a volume that user owns', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const dataDir = /^ENV .*\bDATA_DIR=(\S+)/m.exec(dockerfile)?.[1];
  expect(dataDir).toBe('/data');
  expect(dockerfile).toMatch(/^RUN .*mkdir -p \/data.*chown node:node \/data/m);
  expect(dockerfile).toMatch(/^VOLUME \["?\/data"?\]/m);
  expect(dockerfile.trim().split('\n').filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER node');
  // NODE_ENV=production makes npm ci omit dev dependencies, and prisma (one) generates at install
  expect(dockerfile).toMatch(/^RUN npm ci .*--include=dev/m);
});
