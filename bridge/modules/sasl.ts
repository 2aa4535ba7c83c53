// RFC 6120 §6 SASL, RFC 4616 PLAIN; password forms of ../shared/startalk/PROTOCOL.md §3.1.
import type { Module } from '../router.js';
import { decryptStartalkPassword } from '../startalk-password.js';
import { el, NS } from '../xml.js';

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
        const username = authcid.split('@', 1)[0]!;
        const { core } = session.ctx;
        try {
          if (password.startsWith('stn_')) {
            // (d) a GraphQL session token: the socket lives and dies with that session.
            const auth = await core.accounts.authenticate(password);
            if (!auth || auth.user.username !== username.toLowerCase()) throw new Error('bad token');
            session.authSession = auth;
            session.user = auth.user;
          } else {
            // (b) Startalk's RSA-encrypted JSON, else (a) the plain password.
            // TODO (issue 5): (c) {"nauth":{…}} tokens from the legacy token login (issue 7).
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
