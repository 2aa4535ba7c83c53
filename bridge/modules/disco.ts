// XEP-0030: Service Discovery <https://xmpp.org/extensions/xep-0030.html> — what this
// server and the user's account support, as the registered modules declare (Module.features).
import type { Module } from '../router.js';
import { el, result } from '../xml.js';

const INFO = 'http://jabber.org/protocol/disco#info';
const ITEMS = 'http://jabber.org/protocol/disco#items';

/** The features the modules declare, each once, in module order. */
export function featuresOf(modules: Module[]): string[] {
  return [...new Set(modules.flatMap((m) => m.features ?? []))];
}

/** `registered` gives the modules in use (bridge/index.ts); disco lists their features, its own included. */
export function disco(registered: () => Module[]): Module {
  return {
    features: [INFO, ITEMS],
    hooks: {
      [`iq-get/${INFO}:query`]: (session, iq) => {
        const to = iq.attrs.to;
        const query = el('query', { xmlns: INFO, node: iq.getChild('query')?.attrs.node });
        if (!to || to === session.ctx.domain) {
          query.cnode(el('identity', { category: 'server', type: 'im', name: 'Startalk Next' }));
        } else {
          query.cnode(el('identity', { category: 'account', type: 'registered' }));
        }
        for (const f of featuresOf(registered())) query.cnode(el('feature', { var: f }));
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
