// Startalk create_muc, IQ set to <uuid>@conference.<domain> (../shared/startalk/PROTOCOL.md §5 flow 1, §2.4 CREATE_MUC).
import { isAppError } from '../../src/core/errors.js';
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { MUC, roomNameIn, roomResult } from '../muc.js';
import { el, stanzaError } from '../xml.js';

export function mucCreate(): Module {
  return {
    hooks: {
      [`iq-set/${MUC.create}:query`]: async (session, iq) => {
        const name = roomNameIn(session, iq.attrs.to);
        if (!name) {
          session.send(stanzaError(iq, 'modify', 'bad-request', 'send create_muc to <room>@conference.<domain>'));
          return true;
        }
        let result = 'success';
        try {
          // The creator's add_user IQ and self-presence come from the core's group.members event.
          await session.ctx.core.groups.createRoom(session.user!, name);
        } catch (err) {
          // COMPAT: Startalk answers a refused create with a result, <create_muc result="failed"/>.
          if (!isAppError(err) || (err.code !== 'CONFLICT' && err.code !== 'BAD_USER_INPUT')) {
            session.send(errorReply(session, iq, err));
            return true;
          }
          result = 'failed';
        }
        session.send(roomResult(session, iq, MUC.create, el('create_muc', { result })));
        return true;
      },
    },
  };
}
