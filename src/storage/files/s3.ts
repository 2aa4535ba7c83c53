// BlobStore on MinIO (or any S3) through the `minio` client. Streamed uploads go to a local
// temp file while hashed, then fPutObject under the content key; presigned uploads are POST
// policies that pin the key, the exact size and the content type, so the store refuses others.
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, CopyConditions } from 'minio';
import type { BlobStore, StagedBlob } from '../../core/files/ports.js';
import { writeTemp } from './temp.js';

export interface S3Options {
  /** http(s)://host:port the server reaches the store at */
  endpoint: string;
  /** what clients reach it at, when different (presigned URLs are signed for this host) */
  publicEndpoint?: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
  /** local folder for streamed uploads before they are sent */
  tmpDir: string;
}

function client(endpoint: string, o: S3Options): Client {
  const u = new URL(endpoint);
  const useSSL = u.protocol === 'https:';
  return new Client({
    endPoint: u.hostname, port: u.port ? Number(u.port) : useSSL ? 443 : 80, useSSL,
    accessKey: o.accessKey, secretKey: o.secretKey, region: o.region,
    pathStyle: true, // MinIO and local S3 servers have no per-bucket DNS names
  });
}

const isMissing = (err: unknown) => ['NotFound', 'NoSuchKey', 'NoSuchObject'].includes((err as { code?: string }).code ?? '');

export async function createS3BlobStore(o: S3Options): Promise<BlobStore> {
  const s3 = client(o.endpoint, o);
  const signer = o.publicEndpoint ? client(o.publicEndpoint, o) : s3;
  if (!(await s3.bucketExists(o.bucket))) {
    try {
      await s3.makeBucket(o.bucket, o.region);
    } catch (err) {
      // another node created it meanwhile
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((err as { code?: string }).code ?? '')) throw err;
    }
  }
  await mkdir(dirname(dirname(o.tmpDir)), { recursive: true }); // DATA_DIR keeps the default mode (local.ts)
  await mkdir(o.tmpDir, { recursive: true, mode: 0o750 });

  const stat = async (key: string) => {
    try {
      return { size: (await s3.statObject(o.bucket, key)).size };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  };

  return {
    name: 's3',
    async stage(source: Readable): Promise<StagedBlob> {
      const tmp = await writeTemp(o.tmpDir, source);
      let done = false;
      return {
        async commit(key, contentType) {
          if (!(await stat(key))) await s3.fPutObject(o.bucket, key, tmp, { 'Content-Type': contentType });
          await unlink(tmp).catch(() => {});
          done = true;
        },
        async discard() {
          if (!done) await unlink(tmp).catch(() => {});
          done = true;
        },
      };
    },
    stat,
    async read(key, range) {
      return range
        ? s3.getPartialObject(o.bucket, key, range.start, range.end - range.start + 1)
        : s3.getObject(o.bucket, key);
    },
    async promote(from, to) {
      if (!(await stat(to))) await s3.copyObject(o.bucket, to, `/${o.bucket}/${from}`, new CopyConditions());
      await s3.removeObject(o.bucket, from);
    },
    remove: (key) => s3.removeObject(o.bucket, key),
    async presignUpload(key, { size, contentType, expiresSec }) {
      const policy = signer.newPostPolicy();
      policy.setBucket(o.bucket);
      policy.setKey(key);
      const expiresAt = new Date(Date.now() + expiresSec * 1000);
      policy.setExpires(expiresAt);
      policy.setContentType(contentType);
      policy.setContentLengthRange(size, size);
      const { postURL, formData } = await signer.presignedPostPolicy(policy);
      return { url: postURL, method: 'POST', fields: formData, headers: {}, expiresAt };
    },
    async presignDownload(key, { expiresSec, filename, contentType }) {
      return signer.presignedGetObject(o.bucket, key, expiresSec, {
        'response-content-type': contentType,
        'response-content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
      });
    },
    close: async () => {},
  };
}
