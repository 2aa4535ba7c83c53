// Startalk muc#del_register to a room: the sender leaves (../shared/startalk/PROTOCOL.md §5 flow 4, §2.4 DEL_MUC_USER).
// The members' del_register presence and the leaver's del_user IQ come from the core's group.members event.
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { groupOf, MUC, roomResult } from '../muc.js';

export function mucLeave(): Module {
  return {
    hooks: {
      [`iq-set/${MUC.delRegister}:query`]: async (session, iq) => {
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        try {
          await session.ctx.core.groups.leave(session.user!, groupId);
          session.send(roomResult(session, iq, MUC.delRegister));
        } catch (err) {
          session.send(errorReply(session, iq, err));
        }
        return true;
      },
    },
  };
}
