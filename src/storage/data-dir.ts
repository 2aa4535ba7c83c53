// DATA_DIR must be writable by the user the server runs as (embedded database, local files,
// upload temp files). Checked first, so an unwritable one is one clear line at start-up, not
// an EACCES from whichever component touches it first.
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export async function ensureWritableDataDir(dataDir: string): Promise<string> {
  const dir = resolve(dataDir);
  try {
    await mkdir(dir, { recursive: true });
    const probe = join(dir, `.write-check-${process.pid}`);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const who = process.getuid ? ` (uid ${process.getuid()})` : '';
    throw new Error(
      `DATA_DIR ${dir} is not writable by this user${who}: ${code}; ` +
        'make it writable (chown it, or mount a writable volume there) or set DATA_DIR to a writable directory',
    );
  }
  return dir;
}
