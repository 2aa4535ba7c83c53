// RFC 6120 §6 SASL, RFC 4616 PLAIN; password forms (plain, RSA JSON, nauth token, GraphQL token) of ../shared/startalk/PROTOCOL.md §3.1.
import type { AuthSession } from '../../src/core/accounts/types.js';
import type { Module } from '../router.js';
import type { Session } from '../session.js';
import { decryptStartalkPassword } from '../../src/startalk/rsa.js';
import { el, NS } from '../xml.js';
import { localPart } from '../../src/startalk/address.js';

const failure = (condition: string, text?: string) =>
  el('failure', { xmlns: NS.sasl }, el(condition), ...(text ? [el('text', {}, text)] : []));

export function sasl(): Module {
  return {
    hooks: {
      'sasl/auth': async (session, stanza) => {
        if (session.user) {
          session.send(failure('aborted', 'already authenticated'));
          return true;
        }
        if (!session.plainAllowed()) {
          session.send(failure('encryption-required', 'use STARTTLS first'));
          return true;
        }
        if (stanza.attrs.mechanism !== 'PLAIN') {
          session.send(failure('invalid-mechanism'));
          return true;
        }
        const raw = Buffer.from(stanza.getText().trim(), 'base64').toString('utf8');
        const [, authcid, password] = raw.split('\u0000');
        if (!authcid || password === undefined) {
          session.send(failure('malformed-request'));
          return true;
        }
        const username = localPart(authcid);
        const { core } = session.ctx;
        try {
          const auth = password.startsWith('stn_') ? await core.accounts.authenticate(password)
            : password.startsWith('{') ? await nauth(session, password) : undefined;
          if (auth !== undefined) {
            // (d) a GraphQL session token, or (c) the token of the legacy token login: the
            // socket lives and dies with that session.
            if (!auth || auth.user.username !== username.toLowerCase()) throw new Error('bad token');
            session.authSession = auth;
            session.user = auth.user;
          } else {
            // (b) Startalk's RSA-encrypted JSON, else (a) the plain password.
            const rsa = decryptStartalkPassword(password, session.ctx.startalkKey);
            if (rsa?.u && rsa.u.toLowerCase() !== username.toLowerCase()) throw new Error('user mismatch');
            session.user = await core.accounts.checkPassword(username, rsa ? rsa.p : password);
          }
        } catch {
          session.send(failure('not-authorized'));
          return true;
        }
        session.send(el('success', { xmlns: NS.sasl }));
        session.transport.restart(); // RFC 6120 §6.4.6: the client opens a new stream
        return true;
      },
    },
  };
}

/**
 * COMPAT: {"nauth":{"u","p","mk"}} where p is qtlogin's `t`, itself a JSON string
 * {"token","mk"} (PROTOCOL.md §3.1 step 3, §3.2); p given as an object is accepted too.
 * undefined when the password is not this form (then it is tried as a plain password).
 */
async function nauth(session: Session, password: string): Promise<AuthSession | null | undefined> {
  let outer: { nauth?: { p?: unknown } };
  try {
    outer = JSON.parse(password) as typeof outer;
  } catch {
    return undefined;
  }
  if (!outer || typeof outer !== 'object' || !outer.nauth || typeof outer.nauth !== 'object') return undefined;
  let p = outer.nauth.p;
  if (typeof p === 'string' && p.trim().startsWith('{')) {
    try {
      p = JSON.parse(p);
    } catch {
      return null;
    }
  }
  const token = typeof p === 'string' ? p : (p as { token?: unknown } | null)?.token;
  return typeof token === 'string' ? session.ctx.core.accounts.authenticate(token) : null;
}
