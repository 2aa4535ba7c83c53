// RFC 6121 §5 chat messages with Startalk's extensions (../shared/startalk/PROTOCOL.md §4.1):
// <body id msgType extendInfo backupinfo>, server msec_times, and the "mstat" sent-ack.
import { parseStartalkBody } from '../../src/startalk/body.js';
import { errorReply } from '../errors.js';
import { sendInOrder } from '../in-order.js';
import type { Module } from '../router.js';
import { bare, el, stanzaError } from '../xml.js';

export function chat(): Module {
  return {
    hooks: {
      'message/chat': async (session, stanza) => {
        const body = stanza.getChild('body');
        const to = bare(stanza.attrs.to ?? '');
        if (!body || !to) return true; // bodiless: chat states are typing.ts's, receipts readmark.ts's; nothing to store
        const [local, domain] = to.split('@');
        if (domain !== session.ctx.domain) {
          session.send(stanzaError(stanza, 'cancel', 'remote-server-not-found'));
          return true;
        }
        // COMPAT: Startalk puts the message id, msgType and extra info on <body>.
        const { text, ...b } = parseStartalkBody(body, stanza.attrs.id);
        const msgId = b.msgId;
        if (msgId) session.sentHere.add(msgId);
        await sendInOrder(
          (ordered) => session.ctx.core.messages.sendDirect(session.user!, { to: local!, ...b, body: text }, ordered),
          (m) => {
            session.sentHere.add(m.msgId);
            // COMPAT: Startalk's "sent" tick carries the server time of the stored message.
            session.send(el('message', { type: 'mstat', to: session.bareJid, msec_times: m.createdAt },
              el('body', { id: m.msgId, stat: 'sent' })));
          },
          (err) => {
            if (msgId) session.sentHere.delete(msgId);
            session.send(errorReply(session, stanza, err));
          },
        );
        return true;
      },
    },
  };
}
