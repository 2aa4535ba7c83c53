// XEP-0030: Service Discovery <https://xmpp.org/extensions/xep-0030.html> — what this
// server and the user's account support. The roster is read-only (built from conversations).
import type { Module } from '../router.js';
import { el, result } from '../xml.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

export const FEATURES = [
  INFO, ITEMS, 'urn:xmpp:ping', 'urn:xmpp:mam:2', 'http://jabber.org/protocol/rsm', 'urn:xmpp:receipts',
  'http://jabber.org/protocol/chatstates', 'jabber:iq:roster', 'urn:xmpp:carbons:2',
];

export function disco(): Module {
  return {
    hooks: {
      [`iq-get/${INFO}:query`]: (session, iq) => {
        const to = iq.attrs.to;
        const query = el('query', { xmlns: INFO, node: iq.getChild('query')?.attrs.node });
        if (!to || to === session.ctx.domain) {
          query.cnode(el('identity', { category: 'server', type: 'im', name: 'Startalk Next' }));
        } else {
          query.cnode(el('identity', { category: 'account', type: 'registered' }));
        }
        for (const f of FEATURES) query.cnode(el('feature', { var: f }));
        // COMPAT note for clients: the roster cannot be edited; it follows your conversations.
        query.cnode(el('feature', { var: 'urn:startalk-next:roster:read-only' }));
        session.send(result(iq, query));
        return true;
      },
      [`iq-get/${ITEMS}:query`]: (session, iq) => {
        session.send(result(iq, el('query', { xmlns: ITEMS })));
        return true;
      },
    },
  };
}
