// Object stores for the files contract suite: the local disk, s3rver (an S3 server from npm,
// on loopback: it checks expiry but NOT signatures) and, when MINIO_ENDPOINT is set, a real MinIO.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'minio';
import S3rver from 's3rver';

export interface StoreUnderTest {
  name: 'local' | 's3rver' | 'minio';
  /** true when the store verifies signatures (s3rver does not) */
  checksSignatures: boolean;
  env: Record<string, string>;
  /** content objects (not staging or temp) */
  objects(): Promise<string[]>;
  /** staged or temporary leftovers */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name))));
    else out.push(join(dir, e.name));
  }
  return out;
}

async function s3Store(name: 's3rver' | 'minio', endpoint: string, accessKey: string, secretKey: string, dataDir: string, close: () => Promise<void>): Promise<StoreUnderTest> {
  const bucket = `stn-test-${randomBytes(4).toString('hex')}`;
  const u = new URL(endpoint);
  const client = new Client({
    endPoint: u.hostname, port: Number(u.port), useSSL: u.protocol === 'https:', accessKey, secretKey, pathStyle: true, region: 'us-east-1',
  });
  const list = async () => {
    const names: string[] = [];
    if (!(await client.bucketExists(bucket))) return names;
    for await (const o of client.listObjects(bucket, '', true)) names.push((o as { name: string }).name);
    return names;
  };
  return {
    name,
    checksSignatures: name === 'minio',
    env: { DATA_DIR: dataDir, MINIO_ENDPOINT: endpoint, MINIO_ACCESS_KEY: accessKey, MINIO_SECRET_KEY: secretKey, MINIO_BUCKET: bucket },
    objects: async () => (await list()).filter((n) => !n.startsWith('staging/')),
    leftovers: async () => [...(await list()).filter((n) => n.startsWith('staging/')), ...(await walk(join(dataDir, 'files', 'tmp')))],
    async close() {
      for (const n of await list()) await client.removeObject(bucket, n);
      if (await client.bucketExists(bucket)) await client.removeBucket(bucket);
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startStore(name: StoreUnderTest['name']): Promise<StoreUnderTest> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stn-files-'));
  if (name === 'local') {
    return {
      name, checksSignatures: true, env: { DATA_DIR: dataDir },
      objects: async () => (await walk(join(dataDir, 'files', 'objects'))).map((p) => p.split('/').pop()!),
      leftovers: async () => [...(await walk(join(dataDir, 'files', 'tmp'))), ...(await walk(join(dataDir, 'files', 'staging')))],
      close: () => rm(dataDir, { recursive: true, force: true }),
    };
  }
  if (name === 's3rver') {
    const s3dir = await mkdtemp(join(tmpdir(), 'stn-s3rver-'));
    const server = new S3rver({ port: 0, address: '127.0.0.1', directory: s3dir, silent: true });
    const { port } = await server.run();
    return s3Store('s3rver', `http://127.0.0.1:${port}`, 'S3RVER', 'S3RVER', dataDir, async () => {
      await server.close();
      await rm(s3dir, { recursive: true, force: true });
    });
  }
  const e = process.env;
  return s3Store('minio', e.MINIO_ENDPOINT!, e.MINIO_ACCESS_KEY ?? 'minioadmin', e.MINIO_SECRET_KEY ?? 'minioadmin', dataDir, async () => {});
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

/** a small valid PNG header followed by random bytes (enough for sniffing) */
export function fakePng(size: number): Buffer {
  const b = randomBytes(size);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  return b;
}

/** q_ckey cookie value for a user with a freshly issued session key */
export function ckeyCookie(username: string, key: string): string {
  const t = String(Date.now());
  const k = createHash('md5').update(key + t).digest('hex').toUpperCase();
  return `q_ckey=${Buffer.from(`u=${username}&k=${k}&d=localhost&t=${t}`).toString('base64')}`;
}
