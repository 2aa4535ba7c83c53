// Password hashing: scrypt for new passwords, and verification of Startalk's
// legacy stored form (../shared/startalk/PROTOCOL.md §3.1).
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

const N = 16384;
const R = 8;
const P = 1;
const KEYLEN = 32;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const md5hex = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** COMPAT: Startalk stores "CRY:" + md5(md5(md5(password) + salt)), lowercase hex. */
export function legacyCryHash(password: string, salt: string): string {
  return `CRY:${md5hex(md5hex(md5hex(password) + salt))}`;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function verifyPassword(password: string, stored: string, salt: string | null): Promise<boolean> {
  if (stored.startsWith('scrypt$')) {
    const [, n, r, p, saltB64, keyB64] = stored.split('$');
    if (!n || !r || !p || !saltB64 || !keyB64) return false;
    const expected = Buffer.from(keyB64, 'base64');
    const key = await scrypt(password, Buffer.from(saltB64, 'base64'), expected.length, {
      N: Number(n), r: Number(r), p: Number(p), maxmem: 256 * 1024 * 1024,
    });
    return safeEqual(key, expected);
  }
  if (stored.startsWith('CRY:')) {
    const expected = stored.slice(4).toLowerCase();
    return safeEqual(Buffer.from(legacyCryHash(password, salt ?? '').slice(4)), Buffer.from(expected));
  }
  // COMPAT: Startalk accepted a plaintext stored password; we never write one, but
  // imported rows may carry it. Callers rehash on success.
  return stored.length > 0 && safeEqual(Buffer.from(password), Buffer.from(stored));
}

/** True when a stored hash should be replaced by a fresh scrypt hash after a successful login. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith(`scrypt$${N}$${R}$${P}$`);
}
