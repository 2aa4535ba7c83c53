// PROTOCOL.md §2.3 steps 7–8, protobuf only: the bind result carries the session's HTTP key,
// and the navigation version follows it. Done here, where the stanza becomes a frame, so the
// bind module sends the same result on every transport.
import type { Element } from 'ltx';
import type { Session } from '../../session.js';
import { PRESENCE_NOTIFY } from '../../modules/notify.js';
import { el, NS } from '../../xml.js';

/** Startalk keeps the navigation version in Redis db15 `navversion`, 10000 unless set */
const NAV_VERSION = '10000';

/** The bind result of `session`, with the key added (COMPAT: ios23 refuses a login without key_value); null for any other stanza. */
export function keyedBindResult(stanza: Element, session: Session): Element | null {
  if (stanza.name !== 'iq' || stanza.attrs.type !== 'result' || !session.sessionKey) return null;
  const bind = stanza.getChild('bind', NS.bind);
  if (!bind) return null;
  bind.attrs.time_value = String(Math.floor(Date.now() / 1000));
  bind.attrs.key_value = session.sessionKey;
  return stanza;
}

/** §4.6 category 3: the navigation version, which Startalk pushes at login. */
export function navVersionNotify(session: Session): Element {
  return el('presence', { from: session.ctx.domain, to: session.jid, type: 'notify', category: 3, data: JSON.stringify({ navversion: NAV_VERSION }) },
    el('notify', { xmlns: PRESENCE_NOTIFY }));
}
