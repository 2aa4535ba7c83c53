// File value types. A file row is one upload (owner, name, kind); its bytes are one object,
// keyed by the SHA-256 of the content, shared by every row with the same content.
import type { UserId } from '../accounts/types.js';

/** what a file is for: it picks the size limit, the type check and the Startalk msgType */
export type FileKind = 'file' | 'image' | 'avatar' | 'voice' | 'video';
export const FILE_KINDS: readonly FileKind[] = ['file', 'image', 'avatar', 'voice', 'video'];

export interface FileRecord {
  id: string;
  ownerId: UserId;
  name: string;
  size: number;
  contentType: string;
  kind: FileKind;
  /** hex; null while a presigned upload is pending */
  sha256: string | null;
  md5: string | null;
  /** lower-case extension without the dot ('' when none), part of the download path */
  ext: string;
  status: 'pending' | 'ready';
  /** where a pending presigned upload lands */
  stagingKey: string | null;
  createdAt: Date;
  /** pending uploads only: when the upload URL expires */
  expiresAt: Date | null;
}

export interface NewFile {
  ownerId: UserId;
  name: string;
  size: number;
  contentType: string;
  kind: FileKind;
  ext: string;
  sha256?: string;
  md5?: string;
  status: 'pending' | 'ready';
  stagingKey?: string;
  expiresAt?: Date;
}

/** what a client needs to upload bytes directly to the store */
export interface PresignedUpload {
  url: string;
  /** POST: a multipart form with `fields` then the file as field `file`; PUT: the raw bytes */
  method: 'POST' | 'PUT';
  fields: Record<string, string>;
  /** headers the PUT must carry (content-type) */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}
