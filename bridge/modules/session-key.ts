// Startalk's per-session HTTP key (../shared/startalk/PROTOCOL.md §2.3 steps 7, 8, 11, §3.3),
// issued at bind (bind.ts): <key xmlns="urn:xmpp:key"/> (PB GET_USER_KEY, ejab mod_extend_iq)
// reads it again; protobuf clients get it with the bind result, then the navigation version.
import type { Element } from 'ltx';
import type { Module } from '../router.js';
import type { Session } from '../session.js';
import { el, result } from '../xml.js';
import { PRESENCE_NOTIFY } from './notify.js';

const KEY_NS = 'urn:xmpp:key';
/** Startalk keeps the navigation version in Redis db15 `navversion`, 10000 unless set */
const NAV_VERSION = '10000';

/** §4.6 category 3: the navigation version, which Startalk pushes at login. */
export function navVersionNotify(session: Session): Element {
  return el('presence', { from: session.ctx.domain, to: session.jid, type: 'notify', category: 3, data: JSON.stringify({ navversion: NAV_VERSION }) },
    el('notify', { xmlns: PRESENCE_NOTIFY }));
}

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
