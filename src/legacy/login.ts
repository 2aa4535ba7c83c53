// Token login and the RSA public key (../shared/startalk/PROTOCOL.md §3.2, §6.1, §13 A.2).
import { rsaDecrypt, startalkPublicKey, type StartalkKey } from '../startalk/rsa.js';
import { isAppError } from '../core/errors.js';
import { ERR, LegacyError, required } from './http.js';
import type { LegacyDeps, LegacyRoute } from './router.js';

export function loginRoutes(deps: LegacyDeps, key: StartalkKey): LegacyRoute[] {
  const pub = startalkPublicKey(key);
  return [
    {
      // {u,h,p=base64(RSA(pub, password)),mk} -> {u,h,t}; t is a JSON *string* {"token","mk"} (COMPAT)
      // that the client later sends inside {"nauth":{u,p:t,mk}} as its socket password.
      path: 'nck/qtlogin.qunar',
      auth: 'none',
      handle: async ({ body, req }) => {
        const u = required(body, 'u').toLowerCase();
        const h = required(body, 'h').toLowerCase();
        const p = required(body, 'p');
        const mk = required(body, 'mk').slice(0, 128);
        if (h !== deps.domain) throw new LegacyError(ERR.BAD_INPUT, `unknown domain "${h.slice(0, 100)}"`);
        const password = rsaDecrypt(p, key);
        if (!password) throw new LegacyError(ERR.BAD_INPUT, 'p is not encrypted with the server key');
        try {
          const user = await deps.core.accounts.checkPassword(u, password.toString('utf8'));
          const { token } = await deps.core.accounts.issueToken(user, `startalk-nauth mk=${mk} ${String(req.headers['user-agent'] ?? '').slice(0, 100)}`);
          return { u: user.username, h: deps.domain, t: JSON.stringify({ token, mk }) };
        } catch (err) {
          if (isAppError(err) && err.code === 'RATE_LIMITED') throw err;
          // Startalk said 2 for an unknown user and 3 for a wrong password; one answer for both
          // keeps the endpoint from telling who has an account.
          throw new LegacyError(ERR.FORBIDDEN, 'wrong user name or password');
        }
      },
    },
    {
      path: 'nck/rsa/get_public_key.do',
      auth: 'none',
      // COMPAT: rsa_pub_key_* was an unrelated 2048-bit key in Startalk; clients that use it
      // could not log in, so both pairs here are the server's one key.
      handle: async () => ({
        pub_key_fullkey: pub.spkiPem,
        pub_key_shortkey: pub.spkiShort,
        rsa_pub_key_fullkey: pub.pkcs1Pem,
        rsa_pub_key_shortkey: pub.pkcs1Short,
      }),
    },
  ];
}
