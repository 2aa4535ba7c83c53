// XEP-0280: Message Carbons <https://xmpp.org/extensions/xep-0280.html> for clients that
// enable them; Startalk clients get Startalk's own carbon_message form without asking.
import type { Element } from 'ltx';
import type { Module } from '../router.js';
import type { Session } from '../session.js';
import { el, forwarded, NS, result } from '../xml.js';

export const CARBONS = 'urn:xmpp:carbons:2';

export function carbons(): Module {
  return {
    features: [CARBONS],
    hooks: {
      [`iq-set/${CARBONS}:enable`]: (session, iq) => {
        session.carbons = true;
        session.send(result(iq));
        return true;
      },
      [`iq-set/${CARBONS}:disable`]: (session, iq) => {
        session.carbons = false;
        session.send(result(iq));
        return true;
      },
    },
  };
}

/**
 * The XEP-0280 copy of a 1:1 message for a session that enabled carbons (delivery.ts decides
 * when): <sent/> for the user's own messages, <received/> otherwise.
 */
export function sendCarbon(session: Session, m: { msgId: string; mine: boolean; peerJid: string; body: Element }): void {
  const original = el('message', {
    xmlns: NS.client, type: 'chat', id: m.msgId,
    from: m.mine ? session.bareJid : m.peerJid, to: m.mine ? m.peerJid : session.bareJid,
  }, m.body);
  session.send(el('message', { from: session.bareJid, to: session.jid, type: 'chat' },
    el(m.mine ? 'sent' : 'received', { xmlns: CARBONS }, forwarded(original))));
}
