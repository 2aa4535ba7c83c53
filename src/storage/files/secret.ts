// The HMAC key of our signed file URLs when FILES_URL_SECRET is not set: generated once and
// kept beside the files (0600), so URLs survive restarts. Several nodes must share one key:
// set FILES_URL_SECRET there.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export async function loadUrlSecret(dir: string, configured?: string): Promise<Buffer> {
  if (configured) return Buffer.from(configured, 'utf8');
  const path = join(dir, '.url-secret');
  try {
    const b = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
    if (b.length >= 32) return b;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(dir), { recursive: true }); // DATA_DIR keeps the default mode (local.ts)
  await mkdir(dir, { recursive: true, mode: 0o750 });
  const fresh = randomBytes(32);
  try {
    await writeFile(path, fresh.toString('base64'), { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'); // another process won the race
  }
}
