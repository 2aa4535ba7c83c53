// What the files area needs from storage: an object store for bytes and a table for metadata.
import type { Readable } from 'node:stream';
import type { UserId } from '../accounts/types.js';
import type { ConversationId } from '../messages/types.js';
import type { ByteRange, FileRecord, NewFile, PresignedUpload } from './types.js';

/** Bytes staged in a temporary place (never visible under a content key until committed). */
export interface StagedBlob {
  /** moves the bytes to `key`; when `key` already exists the staged copy is dropped (dedupe) */
  commit(key: string, contentType: string): Promise<void>;
  /** removes the staged bytes; safe to call twice or after commit */
  discard(): Promise<void>;
}

/** Object storage: local disk by default, MinIO/S3 when configured. */
export interface BlobStore {
  readonly name: 'local' | 's3';
  /** writes a stream to a temporary place; rejects (leaving nothing) if the stream errors */
  stage(source: Readable): Promise<StagedBlob>;
  /** size of an object, or null when absent */
  stat(key: string): Promise<{ size: number } | null>;
  /** the object's bytes, or the inclusive `range` of them */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** moves `from` to `to` (keeping an existing `to`, dropping `from`) */
  promote(from: string, to: string, contentType: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** a direct upload to `key` that the store itself limits to `size` bytes of `contentType`; null: through our server */
  presignUpload(key: string, opts: { size: number; contentType: string; expiresSec: number }): Promise<PresignedUpload | null>;
  /**
   * a direct, expiring download URL, or null when downloads go through our server
   * (then FileService signs a URL of ours)
   */
  presignDownload(key: string, opts: { expiresSec: number; filename: string; contentType: string }): Promise<string | null>;
  close(): Promise<void>;
}

/** File metadata in PostgreSQL. */
export interface FileStore {
  insert(file: NewFile): Promise<FileRecord>;
  byId(id: string): Promise<FileRecord | null>;
  /** any ready file with this content (sha256 or md5 hex) */
  byHash(hash: string): Promise<FileRecord | null>;
  /** marks a pending upload ready with its verified hashes */
  complete(id: string, sha256: string, md5: string, contentType: string, ext: string): Promise<FileRecord>;
  remove(id: string): Promise<void>;
  /** true when the file was sent in a conversation the user is now a member of */
  sharedWith(fileId: string, userId: UserId): Promise<boolean>;
  /**
   * Records that the ready file with this content was sent in a conversation: the row
   * `preferId` names, else the sender's own, else one shared with the sender; only rows the
   * sender may see, and only when the sender is a member of the conversation.
   */
  share(sha256: string, conversationId: ConversationId, senderId: UserId, preferId: string | null): Promise<void>;
  /** the file with this content that was sent in the conversation (preferring `preferId`, then the sender's) */
  sharedIn(sha256: string, conversationId: ConversationId, senderId: UserId, preferId: string | null): Promise<FileRecord | null>;
}

export interface FileMessageExtra {
  seconds?: number | null;
  width?: number | null;
  height?: number | null;
}

export interface FileMessageContent {
  msgType: number;
  body: string;
  extendInfo: string | null;
}

/**
 * How a file travels as a message: the wire format of the clients (Startalk's lives in
 * src/startalk/file-message.ts and is handed in by the composition root).
 */
export interface FileMessageFormat {
  /** msgType, body and extendInfo of a message carrying `file`, downloadable at `url` */
  build(file: FileRecord, url: string, extra?: FileMessageExtra): FileMessageContent;
  /** true when messages of this type point at one file (by its URL in the body) */
  carriesFile(msgType: number): boolean;
  /** the file id a body names: a hint, never trusted on its own; null when none */
  fileIdHint(body: string): string | null;
}
