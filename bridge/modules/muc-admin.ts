// Startalk muc#admin items to a room (../shared/startalk/PROTOCOL.md §5 flow 5, §2.4 SET_ADMIN / SET_MEMBER /
// CANCEL_MEMBER): role="none" removes the member, affiliation="admin"|"member"|"owner" sets the role.
// The core decides who may (owner removes anyone, admins plain members; only the owner sets roles).
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { groupOf, MUC, roomResult } from '../muc.js';
import { bare, stanzaError } from '../xml.js';

const ROLES = new Set(['owner', 'admin', 'member']);

export function mucAdmin(): Module {
  return {
    hooks: {
      [`iq-set/${MUC.admin}:query`]: async (session, iq) => {
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        const { groups } = session.ctx.core;
        const items = iq.getChild('query')!.getChildren('item');
        try {
          for (const item of items) {
            // COMPAT: Android sends the misspelt read_jid; the room takes it before real_jid (mod_muc_room.erl).
            const jid = item.attrs.read_jid || item.attrs.real_jid || item.attrs.jid;
            const { role, affiliation } = item.attrs;
            if (!jid) {
              session.send(stanzaError(iq, 'modify', 'bad-request', "an item needs real_jid"));
              return true;
            }
            if (role === 'none' || affiliation === 'none' || affiliation === 'outcast') {
              await groups.remove(session.user!, groupId, bare(jid));
            } else if (affiliation && ROLES.has(affiliation)) {
              await groups.setRole(session.user!, groupId, bare(jid), affiliation as 'owner' | 'admin' | 'member');
            } else {
              session.send(stanzaError(iq, 'modify', 'not-acceptable', 'give role="none" or affiliation owner/admin/member'));
              return true;
            }
          }
          session.send(roomResult(session, iq, MUC.admin));
        } catch (err) {
          session.send(errorReply(session, iq, err));
        }
        return true;
      },
    },
  };
}
