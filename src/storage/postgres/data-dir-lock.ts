// Who owns the embedded PostgreSQL of a DATA_DIR: a lock file with the owner's pid (and, once
// the database is up, its connection URL). A lock whose pid is gone is stale and taken over;
// only then is a postmaster still running in the directory an orphan. Other processes (a
// second server, `npm run search:reindex`) see a live owner and refuse or connect to it.
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  /** set once the owner's database accepts connections */
  url?: string;
}

export interface DataDirLock {
  /** records the database URL for processes that connect to the owner's database */
  publish(url: string): Promise<void>;
  release(): Promise<void>;
}

export const LOCK_FILE = 'embedded-pg.lock';

/** Takes the lock, or returns the live owner that holds it. */
export async function lockDataDir(root: string): Promise<{ lock: DataDirLock } | { owner: LockOwner }> {
  const path = join(root, LOCK_FILE);
  const mine = (extra: Partial<LockOwner> = {}) => `${JSON.stringify({ pid: process.pid, ...extra })}\n`;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await writeFile(path, mine(), { flag: 'wx', mode: 0o644 });
      const lock: DataDirLock = {
        publish: (url) => writeFile(path, mine({ url }), { mode: 0o644 }),
        async release() {
          if ((await readOwner(path))?.pid === process.pid) await unlink(path).catch(() => {});
        },
      };
      return { lock };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (owner === null && attempt < 10) {
      await new Promise((r) => setTimeout(r, 50)); // being written by its owner, or just released
      continue;
    }
    if (owner && isLive(owner)) return { owner };
    // Stale (or unreadable for half a second): move it aside, atomically, so of two takers only
    // one gets it; if what was moved turns out to be a live lock taken meanwhile, put it back.
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(path, aside);
      const moved = await readOwner(aside);
      if (moved && isLive(moved)) await link(aside, path).catch(() => {});
      await unlink(aside);
    } catch {
      // another process moved it first
    }
  }
  throw new Error(`could not take the lock ${path}; remove it if no server uses this DATA_DIR`);
}

/** A pid that is ours is a lock left by an earlier life of this pid (a restarted container's pid 1). */
function isLive(owner: LockOwner): boolean {
  return owner.pid !== process.pid && alive(owner.pid);
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const o = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) && o.pid > 0 ? o : null;
  } catch {
    return null;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
