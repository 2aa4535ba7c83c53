// Startalk's per-session HTTP key (../shared/startalk/PROTOCOL.md §2.3 steps 7, 8, 11, §3.3),
// issued at bind (bind.ts): <key xmlns="urn:xmpp:key"/> (PB GET_USER_KEY, ejab mod_extend_iq)
// reads it again; protobuf clients get it with the bind result, then the navigation version
// (transports/pb/bind-result.ts).
import type { Module } from '../router.js';
import { el, result } from '../xml.js';

const KEY_NS = 'urn:xmpp:key';

export function sessionKey(): Module {
  return {
    hooks: {
      [`iq-get/${KEY_NS}:key`]: (session, iq) => {
        if (!session.sessionKey) return false; // not bound yet: service-unavailable
        session.send(result(iq, el('key', { xmlns: KEY_NS, value: session.sessionKey })));
        return true;
      },
    },
  };
}
