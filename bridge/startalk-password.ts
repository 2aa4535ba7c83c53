// Startalk's SASL PLAIN password forms (../shared/startalk/PROTOCOL.md §3.1): the password
// field may be base64(RSA_PKCS1v15(publicKey, JSON {"p","u","a","d"[,"mk"]})).
import { constants, createPrivateKey, privateDecrypt, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

const DEFAULT_KEY = new URL('./keys/startalk-default-private.pem', import.meta.url);

export interface StartalkKey {
  key: KeyObject;
  /** true while the published default pair is in use (it protects nothing) */
  isDefault: boolean;
}

export function loadStartalkKey(file?: string): StartalkKey {
  return { key: createPrivateKey(readFileSync(file ?? DEFAULT_KEY)), isDefault: !file };
}

export interface StartalkCredentials {
  /** the plain password */
  p: string;
  u?: string;
  /** the device ("mac") key, kept for push (issue 10) */
  mk?: string;
}

/**
 * Decrypts an RSA-encrypted Startalk password; null when it is not one. Node refuses
 * PKCS#1 v1.5 private decryption (CVE-2023-46809), so the padding is removed here.
 * COMPAT: v1.5 padding is what Startalk clients send; with a public key pair a padding
 * oracle would reveal nothing that is not already public.
 */
export function decryptStartalkPassword(password: string, key: StartalkKey): StartalkCredentials | null {
  if (password.length < 100 || !/^[A-Za-z0-9+/=\s]+$/.test(password)) return null;
  let block: Buffer;
  try {
    block = privateDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, Buffer.from(password, 'base64'));
  } catch {
    return null;
  }
  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M
  if (block[0] !== 0 || block[1] !== 2) return null;
  const sep = block.indexOf(0, 2);
  if (sep < 10) return null;
  try {
    const json = JSON.parse(block.subarray(sep + 1).toString('utf8')) as Record<string, unknown>;
    if (typeof json.p !== 'string') return null;
    return { p: json.p, u: typeof json.u === 'string' ? json.u : undefined, mk: typeof json.mk === 'string' ? json.mk : undefined };
  } catch {
    return null;
  }
}
