// BlobStore on the local disk (the zero-setup default): <DATA_DIR>/files/objects/<ab>/<sha256>,
// presigned uploads land in staging/, streamed uploads are written to tmp/ first and renamed
// into place, so a reader never sees half a file. No direct URLs: our server signs its own.
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, StagedBlob } from '../../core/files/ports.js';
import { writeTemp } from './temp.js';
import type { ByteRange } from '../../core/files/types.js';

const ignoreMissing = (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ENOENT') throw err;
};

export async function createLocalBlobStore(root: string): Promise<BlobStore> {
  // DATA_DIR itself keeps the default mode: as root, the embedded PostgreSQL (DATA_DIR/pg) runs
  // as "postgres" and must be able to enter it; only the files folders are closed to others.
  await mkdir(dirname(root), { recursive: true });
  for (const d of ['objects', 'staging', 'tmp']) await mkdir(join(root, d), { recursive: true, mode: 0o750 });
  // temp files of a crashed process are garbage; those of another live process sharing this
  // DATA_DIR (several nodes, a tool) are not: only files untouched for an hour are removed
  await removeStale(join(root, 'tmp'), 3_600_000);

  const pathOf = (key: string): string => {
    if (/^[0-9a-f]{64}$/.test(key)) return join(root, 'objects', key.slice(0, 2), key);
    const m = /^staging\/([0-9a-f-]{36})$/.exec(key);
    if (m) return join(root, 'staging', m[1]!);
    throw new Error(`bad object key ${JSON.stringify(key.slice(0, 80))}`);
  };
  const exists = async (p: string) => stat(p).then(() => true, () => false);
  const move = async (from: string, to: string) => {
    await mkdir(dirname(to), { recursive: true });
    if (await exists(to)) await unlink(from).catch(ignoreMissing); // same content is already there
    else await rename(from, to);
  };

  return {
    name: 'local',
    async stage(source: Readable): Promise<StagedBlob> {
      const tmp = await writeTemp(join(root, 'tmp'), source);
      let done = false;
      return {
        async commit(key) {
          await move(tmp, pathOf(key));
          done = true;
        },
        async discard() {
          if (!done) await unlink(tmp).catch(ignoreMissing);
          done = true;
        },
      };
    },
    async stat(key) {
      try {
        return { size: (await stat(pathOf(key))).size };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async read(key: string, range?: ByteRange) {
      const fh = await open(pathOf(key), 'r');
      return fh.createReadStream(range ? { start: range.start, end: range.end } : {});
    },
    promote: (from, to) => move(pathOf(from), pathOf(to)),
    remove: (key) => unlink(pathOf(key)).catch(ignoreMissing),
    presignUpload: async () => null,
    presignDownload: async () => null,
    close: async () => {},
  };
}

async function removeStale(dir: string, olderThanMs: number): Promise<void> {
  const cutoff = Date.now() - olderThanMs;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const st = await stat(path).catch(() => null);
    if (st && st.mtimeMs < cutoff) await rm(path, { recursive: true, force: true });
  }
}
