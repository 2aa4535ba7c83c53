// Both blob adapters stage an upload in a temp file first: nothing half-written ever sits
// under a final key, and a failed upload leaves no temp file behind.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Streams source into a new file under dir; returns its path (removed again on failure). */
export async function writeTemp(dir: string, source: Readable): Promise<string> {
  const tmp = join(dir, randomBytes(12).toString('hex'));
  try {
    await pipeline(source, createWriteStream(tmp, { flags: 'wx', mode: 0o640 }));
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  return tmp;
}
