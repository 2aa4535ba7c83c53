// XEP-0280: Message Carbons <https://xmpp.org/extensions/xep-0280.html> for clients that
// enable them; Startalk clients get Startalk's own carbon_message form without asking.
import type { Module } from '../router.js';
import { result } from '../xml.js';

export const CARBONS = 'urn:xmpp:carbons:2';

export function carbons(): Module {
  return {
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
