// Opaque cursors: base64url of "<kind>:<seq>". Clients must not build them.
import { badInput } from '../core/errors.js';

export type CursorKind = 'm' | 'e' | 'c';

export function encodeCursor(kind: CursorKind, seq: string): string {
  return Buffer.from(`${kind}:${seq}`).toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string, field: string): string {
  const text = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString() : '';
  const m = /^([mec]):(\d{1,19})$/.exec(text);
  if (!m || m[1] !== kind || BigInt(m[2]!) > 9223372036854775807n) {
    throw badInput(`${field} is not a valid cursor`, { field });
  }
  return m[2]!;
}
