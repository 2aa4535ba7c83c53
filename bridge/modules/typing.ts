// Startalk typing, <message type="typing"/> (../shared/startalk/PROTOCOL.md §4.5), and
// XEP-0085 chat states <https://xmpp.org/extensions/xep-0085.html> (composing), onto core typing.
import type { Element } from 'ltx';
import type { Session } from '../session.js';
import type { Module } from '../router.js';
import { bare } from '../xml.js';
import { localPart } from '../../src/startalk/address.js';

export const CHATSTATES = 'http://jabber.org/protocol/chatstates';

async function typing(session: Session, stanza: Element): Promise<void> {
  if (!stanza.attrs.to) return;
  const peer = localPart(bare(stanza.attrs.to));
  // rate-limited and never stored by the core; refusals are not worth an error stanza
  await session.ctx.core.messages.typing(session.user!, { to: peer }).catch(() => {});
}

export function typingModule(): Module {
  return {
    features: [CHATSTATES],
    hooks: {
      'message/typing': async (session, stanza) => (await typing(session, stanza), true),
      'message/chat': async (session, stanza) => {
        if (stanza.getChild('body') || !stanza.getChild('composing', CHATSTATES)) return false;
        await typing(session, stanza);
        return true;
      },
    },
  };
}
