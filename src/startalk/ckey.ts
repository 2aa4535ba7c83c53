// Startalk's q_ckey (../shared/startalk/PROTOCOL.md §3.3): the cookie the legacy HTTP API
// checks, base64("u=<user>&k=<proof>&d=<domain>&t=<time>"), where the proof is
// UPPER(md5(<session key> + t)) for a session key the IM server issued at bind.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface CKey {
  u: string;
  k: string;
  d?: string;
  t: string;
}

/** base64 of `u=..&k=..&d=..&t=..` in any order (COMPAT: Android adds `&sk=`, ignored); null when malformed. */
export function parseCKey(value: string): CKey | null {
  let text: string;
  try {
    text = Buffer.from(value, 'base64').toString('utf8');
  } catch {
    return null;
  }
  const params = new URLSearchParams(text);
  const u = params.get('u');
  const k = params.get('k');
  if (!u || !k) return null;
  return { u, k, d: params.get('d') ?? undefined, t: params.get('t') ?? '' };
}

/** The cookie value a Startalk client builds (the inverse of parseCKey). */
export function encodeCKey(ck: CKey): string {
  const params = new URLSearchParams({ u: ck.u, k: ck.k });
  if (ck.d !== undefined) params.set('d', ck.d);
  params.set('t', ck.t);
  return Buffer.from(params.toString(), 'utf8').toString('base64');
}

/** UPPER(md5(key + t)): what a client holding `key` puts in k */
export function ckeyProof(sessionKey: string, t: string): string {
  return createHash('md5').update(sessionKey + t).digest('hex').toUpperCase();
}

/**
 * True when `k` proves `sessionKey` at time `t`. COMPAT: t is not checked for freshness,
 * as Startalk did not; k is compared case-insensitively and in constant time.
 */
export function ckeyMatches(sessionKey: string, k: string, t: string): boolean {
  const want = Buffer.from(k.toUpperCase());
  const got = Buffer.from(ckeyProof(sessionKey, t));
  return got.length === want.length && timingSafeEqual(got, want);
}
