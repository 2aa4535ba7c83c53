// RFC 6121 §2 roster, read-only: the people the user shares a conversation or group with.
// Pushes and edits are refused (not-allowed); the read-only feature says so in disco.
import type { Module } from '../router.js';
import { userJid } from '../../src/startalk/address.js';
import { el, result, stanzaError } from '../xml.js';

const ROSTER = 'jabber:iq:roster';

export function roster(): Module {
  return {
    // COMPAT note for clients: the roster cannot be edited; it follows your conversations.
    features: [ROSTER, 'urn:startalk-next:roster:read-only'],
    hooks: {
      [`iq-get/${ROSTER}:query`]: async (session, iq) => {
        const { core, domain } = session.ctx;
        const ids = await core.messages.contactsOf(session.user!);
        const users = await core.accounts.usersByIds(ids.slice(0, 2000));
        const query = el('query', { xmlns: ROSTER });
        for (const u of users.values()) {
          query.cnode(el('item', { jid: userJid({ username: u.username, domain }), name: u.displayName, subscription: 'both' }));
        }
        session.send(result(iq, query));
        return true;
      },
      [`iq-set/${ROSTER}:query`]: (session, iq) => {
        session.send(stanzaError(iq, 'cancel', 'not-allowed', 'the roster follows your conversations and is read-only'));
        return true;
      },
    },
  };
}
