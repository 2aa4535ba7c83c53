// The q_ckey check OpenResty made before every authenticated call (../shared/startalk/PROTOCOL.md §3.3).
import type { IncomingMessage } from 'node:http';
import type { User } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';
import { ckeyMatches, parseCKey, type CKey } from '../startalk/ckey.js';
import { ERR, LegacyError } from './http.js';

/** The q_ckey value from the cookie, else from the `qcookie` header (COMPAT: mobile clients). */
export function ckeyFrom(req: IncomingMessage): string | null {
  for (const header of [req.headers.cookie, req.headers.qcookie]) {
    const raw = Array.isArray(header) ? header.join(';') : header;
    if (!raw) continue;
    for (const part of raw.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === 'q_ckey') return decodeCookie(part.slice(eq + 1).trim());
    }
  }
  return null;
}

/** a bad percent-encoding is a q_ckey that does not verify, like any other wrong value */
function decodeCookie(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** The user a request's q_ckey proves, or a LegacyError 5000 (COMPAT: HTTP 200, ret false). */
export function authenticateCKey(core: Core, domain: string, req: IncomingMessage): Promise<User> {
  return verifyCKey(core, domain, ckeyFrom(req));
}

/**
 * The user a q_ckey value proves (it came from the cookie, the qcookie header, or a body
 * field such as /py/search's cKey); `expect` is checked against its user name before any
 * key is looked at.
 */
export async function verifyCKey(core: Core, domain: string, raw: string | null | undefined, expect?: (ck: CKey) => void): Promise<User> {
  if (!raw) throw new LegacyError(ERR.CKEY, 'ckey is missing');
  const ck = parseCKey(raw);
  if (!ck) throw new LegacyError(ERR.CKEY, 'ckey is malformed');
  if (ck.d && ck.d.toLowerCase() !== domain) throw new LegacyError(ERR.CKEY, 'ckey is wrong');
  expect?.(ck);
  let user: User;
  try {
    user = await core.accounts.findByAddress(ck.u);
  } catch {
    throw new LegacyError(ERR.CKEY, 'ckey is wrong');
  }
  if (user.frozen || !(await core.sessionKeys.anyLive(user.id, (key) => ckeyMatches(key, ck.k, ck.t)))) throw new LegacyError(ERR.CKEY, 'ckey is wrong');
  return user;
}
