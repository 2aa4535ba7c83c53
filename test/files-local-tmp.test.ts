// A second process opening the same DATA_DIR (another node, a tool) must not delete the temp
// files of uploads the first one is writing; a crashed process's old temp files do go.
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createLocalBlobStore } from '../src/storage/files/local.js';

it('keeps fresh temp files of another process and removes stale ones', async () => {
  const root = join(await mkdtemp(join(tmpdir(), 'stn-files-')), 'files');
  try {
    await createLocalBlobStore(root);
    await writeFile(join(root, 'tmp', 'being-written'), 'x');
    await writeFile(join(root, 'tmp', 'left-by-a-crash'), 'y');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(root, 'tmp', 'left-by-a-crash'), old, old);
    await createLocalBlobStore(root); // a second process starts on the same DATA_DIR
    expect(await readdir(join(root, 'tmp'))).toEqual(['being-written']);
  } finally {
    await rm(join(root, '..'), { recursive: true, force: true });
  }
});
