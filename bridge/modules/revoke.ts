// Startalk recall, <message type="revoke"><body msgType="-1" id=<original id>> (../shared/startalk/PROTOCOL.md §4.4).
import { noteRevoke, revokedHere } from '../echo.js';
import type { Module } from '../router.js';
import { bare, stanzaError } from '../xml.js';
import { localPart } from '../../src/startalk/address.js';

export function revoke(): Module {
  return {
    hooks: {
      'message/revoke': async (session, stanza) => {
        const body = stanza.getChild('body');
        let id = body?.attrs.id;
        try {
          id = (JSON.parse(body?.getText() ?? '') as { messageId?: string }).messageId ?? id;
        } catch {
          // COMPAT: older clients put only the id attribute
        }
        if (!id || !stanza.attrs.to) return true;
        const peer = localPart(bare(stanza.attrs.to));
        noteRevoke(session, id); // its copy goes to the user's other sessions only (echo.ts)
        try {
          await session.ctx.core.messages.recallByMsgId(session.user!, peer, id);
        } catch (err) {
          revokedHere(session, id);
          session.send(stanzaError(stanza, 'cancel', 'not-allowed', (err as Error).message));
        }
        return true;
      },
    },
  };
}
