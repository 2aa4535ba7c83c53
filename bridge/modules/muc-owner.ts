// Startalk muc#owner <destroy/> to a room: the owner destroys it (../shared/startalk/PROTOCOL.md §5 flow 6,
// §2.4 DESTROY_MUC). Members get the destroy presence from the core's group.destroyed event.
// Room configuration forms (XEP-0045 §10) are not offered: the router answers service-unavailable.
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { groupOf, MUC, roomResult } from '../muc.js';

export function mucOwner(): Module {
  return {
    hooks: {
      [`iq-set/${MUC.owner}:query`]: async (session, iq) => {
        if (!iq.getChild('query')!.getChild('destroy')) return false;
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        try {
          await session.ctx.core.groups.destroy(session.user!, groupId);
          session.send(roomResult(session, iq, MUC.owner));
        } catch (err) {
          session.send(errorReply(session, iq, err));
        }
        return true;
      },
    },
  };
}
