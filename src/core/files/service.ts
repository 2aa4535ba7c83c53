// Uploads (streamed through our server, or presigned straight to the store), verification,
// dedupe by content hash and signed download URLs. Startalk's qfproxy semantics live in
// src/legacy/files.ts; this is what both edges share.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { User } from '../accounts/types.js';
import { badInput, forbidden, notFound } from '../errors.js';
import type { Message } from '../messages/types.js';
import { extOf, fileRefOf, sanitizeName, sign, signatureOk, sniffImage, SNIFF_BYTES } from './content.js';
import { Meter, tooLarge } from './meter.js';
import type { BlobStore, FileMessageContent, FileMessageExtra, FileMessageFormat, FileStore } from './ports.js';
import type { ByteRange, FileKind, FileRecord, PresignedUpload } from './types.js';

export interface FileOptions {
  maxBytes: Record<FileKind, number>;
  /** lifetime of presigned upload URLs */
  uploadTtlSec: number;
  /** lifetime of signed download URLs */
  downloadTtlSec: number;
  /** COMPAT: Startalk served every file to anyone holding its URL; off by default */
  publicUrls: boolean;
  /** HMAC key of the URLs our server signs (uploads on the local store, downloads) */
  urlSecret: Buffer;
  /** absolute base for URLs put in message bodies (PUBLIC_URL); unset: relative paths */
  publicBase?: string;
  /** the clients' file-message format (Startalk's, from the composition root) */
  messageFormat: FileMessageFormat;
}

const TYPE_RE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const KIND_TYPES: Partial<Record<FileKind, RegExp>> = { image: /^image\//, avatar: /^image\//, voice: /^audio\//, video: /^video\// };
const now = () => Math.floor(Date.now() / 1000);

export class FileService {
  constructor(private readonly store: FileStore, readonly blobs: BlobStore, readonly opts: FileOptions) {}

  limit(kind: FileKind): number {
    return this.opts.maxBytes[kind];
  }

  /**
   * Stores a streamed upload (legacy multipart, or a PUT to our signed URL): hashed while it
   * is written to a temporary place, cut off past the kind's limit, images sniffed; on any
   * failure nothing stays behind.
   */
  async ingest(owner: User, input: { name: string; kind: FileKind; source: Readable; contentType?: string }): Promise<FileRecord> {
    const limit = this.limit(input.kind);
    const { staged, meter } = await this.receive(input.source, limit);
    try {
      if (meter.size === 0) throw badInput('the file is empty');
      const { sha256, md5 } = meter.digests();
      let contentType = normalizeType(input.contentType) ?? 'application/octet-stream';
      let name = sanitizeName(input.name);
      let ext = extOf(name);
      if (input.kind === 'image' || input.kind === 'avatar') {
        const img = sniffImage(meter.head);
        if (!img) throw badInput('the file is not an image', { reason: 'BAD_TYPE' });
        contentType = img.mime;
        ext = img.ext;
        if (extOf(name) !== img.ext) name = `${name.replace(/\.[A-Za-z0-9]{1,10}$/, '')}.${img.ext}`;
      }
      await staged.commit(sha256, contentType);
      return await this.store.insert({ ownerId: owner.id, name, size: meter.size, contentType, kind: input.kind, ext, sha256, md5, status: 'ready' });
    } finally {
      await staged.discard();
    }
  }

  /** Declares an upload and returns where to send the bytes (only the declared size and type fit). */
  async requestUpload(owner: User, input: { name: string; size: number; contentType: string; kind: FileKind }): Promise<{ file: FileRecord; upload: PresignedUpload }> {
    const limit = this.limit(input.kind);
    if (!Number.isSafeInteger(input.size) || input.size < 1) throw badInput('size must be a positive integer');
    if (input.size > limit) throw tooLarge(limit);
    const contentType = normalizeType(input.contentType);
    if (!contentType) throw badInput('contentType is not a MIME type');
    const want = KIND_TYPES[input.kind];
    if (want && !want.test(contentType)) throw badInput(`contentType must match ${want.source} for kind ${input.kind}`, { reason: 'BAD_TYPE' });
    const name = sanitizeName(input.name);
    const stagingKey = `staging/${randomUUID()}`;
    const expiresSec = this.opts.uploadTtlSec;
    const expiresAt = new Date((now() + expiresSec) * 1000);
    const file = await this.store.insert({
      ownerId: owner.id, name, size: input.size, contentType, kind: input.kind, ext: extOf(name),
      status: 'pending', stagingKey, expiresAt,
    });
    const direct = await this.blobs.presignUpload(stagingKey, { size: input.size, contentType, expiresSec });
    const upload = direct ?? this.localUpload(file, expiresAt);
    return { file, upload };
  }

  private localUpload(file: FileRecord, expiresAt: Date): PresignedUpload {
    const e = Math.floor(expiresAt.getTime() / 1000);
    const s = sign(this.opts.urlSecret, ['PUT', file.id, file.size, file.contentType, e]);
    return {
      url: `${this.base()}/files/upload/${file.id}?e=${e}&s=${s}`, method: 'PUT', fields: {},
      headers: { 'content-type': file.contentType }, expiresAt,
    };
  }

  /**
   * The PUT of a presigned upload on the local store: signature and expiry, then the declared
   * size (Content-Length, before any byte is read) and type; the body is cut off past the size.
   */
  async receiveSigned(id: string, q: { e: string | null; s: string | null }, h: { length: number | null; type: string | null }, source: Readable): Promise<void> {
    const file = await this.store.byId(id);
    const e = Number(q.e);
    if (!file || file.status !== 'pending' || !file.stagingKey
      || !signatureOk(this.opts.urlSecret, ['PUT', file.id, file.size, file.contentType, q.e ?? ''], q.s)) {
      throw forbidden('bad upload signature');
    }
    if (!Number.isInteger(e) || e < now()) throw forbidden('upload URL expired');
    if (h.length !== null && h.length !== file.size) {
      throw h.length > file.size ? tooLarge(file.size) : badInput('Content-Length differs from the declared size');
    }
    if (normalizeType(h.type) !== file.contentType) throw badInput('Content-Type differs from the declared type', { reason: 'BAD_TYPE' });
    const { staged, meter } = await this.receive(source, file.size);
    try {
      if (meter.size !== file.size) throw badInput('body is shorter than the declared size');
      await staged.commit(file.stagingKey, file.contentType);
    } finally {
      await staged.discard();
    }
  }

  /** Verifies a presigned upload (owner only): size, hash, image type; then dedupes it in place. */
  async completeUpload(viewer: User, id: string, sha256: string): Promise<FileRecord> {
    const file = /^\d{1,19}$/.test(id) ? await this.store.byId(id) : null;
    // only the uploader completes; for anyone else the upload does not exist
    if (!file || file.ownerId !== viewer.id) throw notFound('upload not found');
    if (file.status === 'ready') {
      if (file.sha256 !== sha256.toLowerCase()) throw badInput('sha256 does not match the uploaded bytes');
      return file;
    }
    const key = file.stagingKey!;
    // as long to complete as to upload; after that a pending upload is dead
    if (file.expiresAt && file.expiresAt.getTime() + this.opts.uploadTtlSec * 1000 < Date.now()) {
      await this.blobs.remove(key);
      await this.store.remove(file.id);
      throw badInput('the upload expired', { reason: 'EXPIRED' });
    }
    const stat = await this.blobs.stat(key);
    if (!stat) throw badInput('nothing was uploaded (or the upload URL expired)');
    const fail = async (msg: string, reason: string) => {
      await this.blobs.remove(key);
      await this.store.remove(file.id);
      return badInput(msg, { reason });
    };
    if (stat.size !== file.size) throw await fail(`uploaded ${stat.size} bytes, declared ${file.size}`, 'SIZE_MISMATCH');
    const meter = new Meter(file.size, SNIFF_BYTES);
    const src = await this.blobs.read(key);
    for await (const _chunk of src.pipe(meter)) { /* hashing */ }
    const d = meter.digests();
    if (d.sha256 !== sha256.toLowerCase()) throw await fail('sha256 does not match the uploaded bytes', 'HASH_MISMATCH');
    let { contentType, ext } = file;
    if (file.kind === 'image' || file.kind === 'avatar') {
      const img = sniffImage(meter.head);
      if (!img) throw await fail('the file is not an image', 'BAD_TYPE');
      contentType = img.mime;
      ext = img.ext;
    }
    await this.blobs.promote(key, d.sha256, contentType);
    return this.store.complete(file.id, d.sha256, d.md5, contentType, ext);
  }

  /**
   * A file the viewer may see: their own upload, or a ready file sent in a conversation they
   * are a member of now (1:1 peers, current group members). Anything else, including ids
   * that exist, is NOT_FOUND, exactly as a missing id.
   */
  async byId(viewer: User, id: string): Promise<FileRecord> {
    const file = /^\d{1,19}$/.test(id) ? await this.store.byId(id) : null;
    const visible = file !== null
      && (file.ownerId === viewer.id || (file.status === 'ready' && (await this.store.sharedWith(file.id, viewer.id))));
    if (!visible) throw notFound('file not found');
    return file;
  }

  /**
   * Called before a message is stored: when it carries a file of ours (by its content path),
   * that file is shared with the conversation (see FileStore.share). Null, without a query,
   * for other messages.
   */
  beforeSend(m: Pick<Message, 'conversationId' | 'senderId' | 'msgType' | 'body'>): Promise<void> | null {
    const ref = fileRefOf(this.opts.messageFormat, m.msgType, m.body);
    return ref ? this.store.share(ref.sha256, m.conversationId, m.senderId, ref.fileId) : null;
  }

  /** The file a message carries, as shared with its conversation (callers show it to those who see the message). */
  async ofMessage(m: Pick<Message, 'conversationId' | 'senderId' | 'msgType' | 'body'>): Promise<FileRecord | null> {
    const ref = fileRefOf(this.opts.messageFormat, m.msgType, m.body);
    return ref ? this.store.sharedIn(ref.sha256, m.conversationId, m.senderId, ref.fileId) : null;
  }

  /** a ready file by a download key: "<sha256>[.ext]" or an MD5 (Startalk clients' key) */
  async byKey(key: string): Promise<FileRecord | null> {
    const m = /^([0-9a-f]{64}|[0-9a-f]{32})(?:\.[a-z0-9]{1,10})?$/i.exec(key);
    return m ? this.store.byHash(m[1]!.toLowerCase()) : null;
  }

  open(file: FileRecord, range?: ByteRange): Promise<Readable> {
    if (!file.sha256) throw notFound('file not found');
    return this.blobs.read(file.sha256, range);
  }

  /** The stable path of a file (message bodies): public, or for signed-in legacy clients. */
  downloadPath(file: FileRecord): string {
    return `${this.base()}/file/v2/download/${file.sha256}${file.ext ? `.${file.ext}` : ''}?name=${encodeURIComponent(file.name)}`;
  }

  /** A URL that works without credentials: public path, the store's presigned GET, or ours signed. */
  async downloadUrl(file: FileRecord): Promise<string> {
    if (file.status !== 'ready' || !file.sha256) throw notFound('file not found');
    if (this.opts.publicUrls) return this.downloadPath(file);
    const direct = await this.blobs.presignDownload(file.sha256, { expiresSec: this.opts.downloadTtlSec, filename: file.name, contentType: file.contentType });
    if (direct) return direct;
    const e = now() + this.opts.downloadTtlSec;
    return `${this.downloadPath(file)}&e=${e}&s=${sign(this.opts.urlSecret, ['GET', file.sha256, e])}`;
  }

  /** true when `e`/`s` of a download URL are ours, unexpired, for this content */
  downloadSignatureOk(sha256: string, e: string | null, s: string | null): boolean {
    const exp = Number(e);
    return Number.isInteger(exp) && exp >= now() && signatureOk(this.opts.urlSecret, ['GET', sha256, e ?? ''], s);
  }

  /** body/msgType of a message carrying this file (callers got it through byId: the sender may see it) */
  messageFor(viewer: User, file: FileRecord, extra: FileMessageExtra = {}): FileMessageContent {
    if (file.status !== 'ready') throw badInput('the upload is not complete');
    if (file.kind === 'avatar') throw badInput('avatars are not sent as messages');
    void viewer;
    return this.opts.messageFormat.build(file, this.downloadPath(file), extra);
  }

  private base(): string {
    return (this.opts.publicBase ?? '').replace(/\/$/, '');
  }

  private async receive(source: Readable, limit: number) {
    const meter = new Meter(limit, SNIFF_BYTES);
    let ended = false;
    source.on('end', () => (ended = true));
    source.on('error', (err) => meter.destroy(err));
    // closed before its end (client gone): fail, so the staged bytes are removed
    source.on('close', () => {
      if (!ended) meter.destroy(new Error('upload aborted'));
    });
    source.pipe(meter);
    const staged = await this.blobs.stage(meter);
    return { staged, meter };
  }
}

function normalizeType(t: string | null | undefined): string | null {
  const v = String(t ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return TYPE_RE.test(v) ? v : null;
}
