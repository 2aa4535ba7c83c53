// Startalk muc#user_mucs to conference.<domain>: the user's groups as <muc_rooms name host/>
// (../shared/startalk/PROTOCOL.md §5 flow 9, §2.4 USER_MUCS).
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { conference, MUC } from '../muc.js';
import { el } from '../xml.js';

export function mucUserMucs(): Module {
  return {
    hooks: {
      [`iq-get/${MUC.userMucs}:query`]: async (session, iq) => {
        try {
          const host = conference(session);
          const groups = await session.ctx.core.groups.sync(session.user!, null);
          const rooms = groups.filter((g) => !g.card.destroyed).map((g) => el('muc_rooms', { name: g.card.roomName, host }));
          session.send(el('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to ?? host, to: session.jid },
            el('query', { xmlns: MUC.userMucs }, ...rooms)));
        } catch (err) {
          session.send(errorReply(session, iq, err));
        }
        return true;
      },
    },
  };
}
