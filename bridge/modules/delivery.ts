// Core events to stanzas for one bound session (RFC 6121 §8.5.3 delivery to the
// highest-priority available resources; Startalk carbons, ../shared/startalk/PROTOCOL.md §4.2).
import type { EventOf } from '../../src/core/events/types.js';
import type { Session } from '../session.js';
import { el } from '../xml.js';

/** Starts taking the user's live events; called once the session is bound. */
export function startDelivery(session: Session): void {
  const { core } = session.ctx;
  const user = session.user!;
  const auth = session.authSession;
  const stream = core.hub.subscribe(
    user.id, null,
    { sessionId: auth?.id ?? `xmpp:${session.streamId}`, expiresAt: auth?.expiresAt ?? new Date(Date.now() + 365 * 86_400_000) },
    (e) => e.kind === 'message.added',
  );
  session.onClose(() => void stream.return?.());
  void (async () => {
    for await (const ev of stream) {
      if (session.closed) break;
      if (ev.kind === 'message.added') await deliverMessage(session, ev).catch(() => {});
    }
    if (!session.closed) session.streamError('reset', 'session ended'); // revoked or expired
  })();
}

/** Startalk's rule: only sessions that sent initial presence, with the highest non-negative priority. */
function eligible(session: Session): boolean {
  if (session.priority === null || session.priority < 0) return false;
  const best = Math.max(...session.ctx.sessions.get(session.user!.id).map((s) => s.priority ?? -1));
  return session.priority >= best;
}

async function deliverMessage(session: Session, ev: EventOf<'message.added'>): Promise<void> {
  const m = ev.message;
  const { core, domain } = session.ctx;
  const peerId = await core.messages.recipientOf(m);
  if (peerId === null) return; // group messages: bridge part 2 (issue 6)
  const mine = m.senderId === session.user!.id;
  if (mine && session.sentHere.delete(m.msgId)) return; // the sending session has it (and its mstat)
  if (!mine && !eligible(session)) return;
  const other = await core.accounts.userById(mine ? peerId : m.senderId);
  const peerJid = `${other.username}@${domain}`;
  const body = el('body', { id: m.msgId, msgType: m.msgType, extendInfo: m.extendInfo ?? undefined, backupinfo: m.backupInfo ?? undefined }, m.body);
  // COMPAT: a carbon reaches the sender's other sessions "from the peer" with carbon_message="true" (§14).
  session.send(el('message', {
    type: 'chat', id: m.msgId, from: peerJid, to: session.jid, msec_times: m.createdAt,
    carbon_message: mine ? 'true' : undefined,
  }, body));
}
