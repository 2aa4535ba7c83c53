// Startalk's RSA password forms (../shared/startalk/PROTOCOL.md §3.1, §3.2): the SASL PLAIN
// password may be base64(RSA_PKCS1v15(publicKey, JSON {"p","u","a","d"[,"mk"]})), and the
// token login (qtlogin) sends base64(RSA(publicKey, <plain password>)). The key is loaded once
// by the composition root (src/server/app.ts) and handed to the bridge and the legacy edge.
import { constants, createPrivateKey, createPublicKey, privateDecrypt, type KeyObject } from 'node:crypto';
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

/** The public half as get_public_key.do serves it: PEM ("fullkey") and bare base64 ("shortkey"). */
export function startalkPublicKey(key: StartalkKey): { spkiPem: string; spkiShort: string; pkcs1Pem: string; pkcs1Short: string } {
  const pub = createPublicKey(key.key);
  const spkiPem = pub.export({ type: 'spki', format: 'pem' }).toString();
  const pkcs1Pem = pub.export({ type: 'pkcs1', format: 'pem' }).toString();
  const short = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return { spkiPem, spkiShort: short(spkiPem), pkcs1Pem, pkcs1Short: short(pkcs1Pem) };
}

/**
 * Decrypts base64 RSA PKCS#1 v1.5 ciphertext; null when it is not one. Node refuses
 * PKCS#1 v1.5 private decryption (CVE-2023-46809), so the padding is removed here.
 * COMPAT: v1.5 padding is what Startalk clients send; with a public key pair a padding
 * oracle would reveal nothing that is not already public.
 */
export function rsaDecrypt(b64: string, key: StartalkKey): Buffer | null {
  if (b64.length < 100 || !/^[A-Za-z0-9+/=\s]+$/.test(b64)) return null;
  let block: Buffer;
  try {
    block = privateDecrypt({ key: key.key, padding: constants.RSA_NO_PADDING }, Buffer.from(b64, 'base64'));
  } catch {
    return null;
  }
  // EM = 0x00 || 0x02 || PS (>= 8 non-zero bytes) || 0x00 || M
  if (block[0] !== 0 || block[1] !== 2) return null;
  const sep = block.indexOf(0, 2);
  if (sep < 10) return null;
  return block.subarray(sep + 1);
}

export interface StartalkCredentials {
  /** the plain password */
  p: string;
  u?: string;
  /** the device ("mac") key, kept for push (issue 10) */
  mk?: string;
}

/** The JSON form of the SASL password; null when the password is not one. */
export function decryptStartalkPassword(password: string, key: StartalkKey): StartalkCredentials | null {
  const plain = rsaDecrypt(password, key);
  if (!plain) return null;
  try {
    const json = JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
    if (typeof json.p !== 'string') return null;
    return { p: json.p, u: typeof json.u === 'string' ? json.u : undefined, mk: typeof json.mk === 'string' ? json.mk : undefined };
  } catch {
    return null;
  }
}
