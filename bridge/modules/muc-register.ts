// Startalk muc#register to a room (../shared/startalk/PROTOCOL.md §5 flow 3, §2.4 GET_MUC_USER / SET_MUC_USER):
// get lists the members as <m_user jid affiliation?/> (members only); set is Startalk's self-registration.
import { notFound } from '../../src/core/errors.js';
import type { Session } from '../session.js';
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { bareOf, groupOf, MUC, roomResult } from '../muc.js';
import { el } from '../xml.js';

/** The group for a current member of a live group; NOT_FOUND otherwise. */
async function live(session: Session, groupId: string) {
  const state = await session.ctx.core.groups.state(session.user!, groupId);
  if (state.card.destroyed) throw notFound('group not found');
  return state;
}

export function mucRegister(): Module {
  return {
    hooks: {
      [`iq-get/${MUC.register}:query`]: async (session, iq) => {
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        const { core } = session.ctx;
        try {
          const state = await live(session, groupId);
          const users = await core.accounts.usersByIds([...state.members.keys()]);
          // COMPAT: plain members carry no affiliation attribute, as in Startalk (affiliation none).
          const items = [...state.members.values()].flatMap((m) => {
            const u = users.get(m.userId);
            return u ? [el('m_user', { jid: bareOf(u), affiliation: m.role === 'member' ? undefined : m.role })] : [];
          });
          session.send(roomResult(session, iq, MUC.register, ...items));
        } catch (err) {
          session.send(errorReply(session, iq, err));
        }
        return true;
      },
      [`iq-set/${MUC.register}:query`]: async (session, iq) => {
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        // COMPAT: Startalk lets anyone register into any room they can name; here rooms are
        // members-only (a member invites), so only a member's (harmless) re-registration succeeds;
        // anyone else gets what an unknown room gets.
        try {
          await live(session, groupId);
        } catch (err) {
          session.send(errorReply(session, iq, err));
          return true;
        }
        session.send(roomResult(session, iq, MUC.register, el('set_register')));
        return true;
      },
    },
  };
}
