// Pure helpers of the files area: image sniffing, name cleaning, Range parsing, URL signing
// and the file a message points at (its body's shape is the FileMessageFormat port's).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FileMessageFormat } from './ports.js';
import type { ByteRange } from './types.js';

/** The image type from its first bytes (never from the name or the declared type). */
export function sniffImage(head: Buffer): { ext: string; mime: string } | null {
  const at = (i: number, bytes: number[]) => bytes.every((b, k) => head[i + k] === b);
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { ext: 'png', mime: 'image/png' };
  if (at(0, [0xff, 0xd8, 0xff])) return { ext: 'jpg', mime: 'image/jpeg' };
  if (at(0, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return { ext: 'gif', mime: 'image/gif' };
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return { ext: 'webp', mime: 'image/webp' };
  if (at(0, [0x42, 0x4d]) && head.length >= 14) return { ext: 'bmp', mime: 'image/bmp' };
  // ISO BMFF: ....ftypheic / ftypmif1 (HEIC/HEIF from phones)
  if (at(4, [0x66, 0x74, 0x79, 0x70])) {
    const brand = head.subarray(8, 12).toString('latin1');
    if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return { ext: 'heic', mime: 'image/heic' };
  }
  return null;
}

/** bytes of the head that sniffImage looks at */
export const SNIFF_BYTES = 16;

/**
 * A file name safe to store, show and put in a Content-Disposition: no path, no control or
 * bidi characters, no leading dots, at most 200 characters; '' becomes 'file'.
 */
export function sanitizeName(raw: string | null | undefined): string {
  let name = String(raw ?? '').normalize('NFC');
  name = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069"<>:|?*]/g, '_');
  name = name.replace(/^[.\s]+/, '').trim();
  if (name.length > 200) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    name = name.slice(0, 200 - ext.length) + ext;
  }
  return name || 'file';
}

/** lower-case extension of a name, letters and digits only ('' when none) */
export function extOf(name: string): string {
  const m = /\.([A-Za-z0-9]{1,10})$/.exec(name);
  return m ? m[1]!.toLowerCase() : '';
}

/**
 * One `bytes=` range of RFC 9110 §14.1.2 against a size; null: no usable Range (send it all);
 * 'unsatisfiable': answer 416. Multi-range requests get the whole body (allowed by the RFC).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** HMAC-SHA256 over the parts, base64url */
export function sign(secret: Buffer, parts: (string | number)[]): string {
  return createHmac('sha256', secret).update(parts.join('\n')).digest('base64url');
}

export function signatureOk(secret: Buffer, parts: (string | number)[], sig: string | null): boolean {
  if (!sig) return false;
  const want = Buffer.from(sign(secret, parts));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** the content key named in a download path of ours: /file/v2/download/<sha256>[.ext] */
export const DOWNLOAD_KEY_RE = /\/file\/v[12]\/download\/([0-9a-f]{64})(?:\.[a-z0-9]{1,10})?/;

/**
 * The file a message body points at: the content key of our download path, when the
 * message format says its type carries a file, and the format's file id hint (never
 * trusted on its own).
 */
export function fileRefOf(format: FileMessageFormat, msgType: number, body: string): { sha256: string; fileId: string | null } | null {
  if (!format.carriesFile(msgType)) return null;
  const sha256 = DOWNLOAD_KEY_RE.exec(body)?.[1];
  if (!sha256) return null;
  return { sha256, fileId: format.fileIdHint(body) };
}
