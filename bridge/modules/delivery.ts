// Core events to stanzas for one bound session (RFC 6121 §8.5.3 delivery to the
// highest-priority available resources; Startalk carbons, ../shared/startalk/PROTOCOL.md §4.2;
// rooms §5 in muc-events.ts, notify presences §4.6 in notify.ts).
import type { DomainEvent, EventOf } from '../../src/core/events/types.js';
import type { Session } from '../session.js';
import { userJid } from '../../src/startalk/address.js';
import { freshBodyId, revokeBody, SERVER_MA_TYPE, startalkBody, storedBody } from '../../src/startalk/body.js';
import { marksFromElsewhere, revokedHere } from '../echo.js';
import { el } from '../xml.js';
import { sendCarbon } from './carbons.js';
import { deliverGroupEvent, deliverGroupMessage, deliverGroupRevoke, deliverGroupTyping } from './muc-events.js';
import { deliverNotify } from './notify.js';
import { CHATSTATES } from './typing.js';

/** Starts taking the user's live events; called once the session is bound. */
export function startDelivery(session: Session): void {
  const { core } = session.ctx;
  const user = session.user!;
  const auth = session.authSession;
  const stream = core.hub.subscribe(
    user.id, null,
    { sessionId: auth?.id ?? `xmpp:${session.streamId}`, expiresAt: auth?.expiresAt ?? new Date(Date.now() + 365 * 86_400_000) },
    (e) => RENDERED.has(e.kind),
  );
  session.onClose(() => void stream.return?.());
  void (async () => {
    for await (const ev of stream) {
      if (session.closed) break;
      await render(session, ev).catch((err) => session.ctx.log.warn({ err: (err as Error).message }, 'xmpp delivery failed'));
    }
    if (!session.closed) session.streamError('reset', 'session ended'); // revoked or expired
  })().catch((err) => {
    // The live stream failed (not a transient database outage: those are waited out): the
    // client reconnects and resumes rather than staying connected to a dead delivery.
    session.ctx.log.warn({ err: (err as Error).message }, 'xmpp delivery stopped');
    if (!session.closed) session.streamError('internal-server-error', 'delivery failed, reconnect');
  });
}

const RENDERED = new Set<DomainEvent['kind']>([
  'message.added', 'message.state', 'message.recalled', 'typing', 'group.members', 'group.updated', 'group.destroyed', 'notify',
]);

async function render(session: Session, ev: DomainEvent): Promise<void> {
  switch (ev.kind) {
    case 'message.added':
      return deliverMessage(session, ev);
    case 'message.state':
      return deliverReadmark(session, ev);
    case 'message.recalled':
      return deliverRevoke(session, ev);
    case 'typing':
      return deliverTyping(session, ev);
    case 'group.members':
    case 'group.updated':
    case 'group.destroyed':
      return deliverGroupEvent(session, ev);
    case 'notify':
      return deliverNotify(session, ev);
  }
}

/** The other participant of a 1:1 conversation, as a bare JID; null for groups. */
async function peerJid(session: Session, conversationId: string, me: string): Promise<string | null> {
  const conv = await session.ctx.core.messages.conversation(conversationId);
  if (conv?.kind !== 'direct') return null; // groups: muc-events.ts
  const other = await session.ctx.core.accounts.userById(conv.memberIds.find((id) => id !== me) ?? me);
  return userJid({ username: other.username, domain: session.ctx.domain });
}

/**
 * COMPAT: state changes go out as Startalk readmarks (read_type 3 delivered, 4 read). The peer's
 * marks reach all my sessions; my own reach my *other* sessions, and only read_type 4, as
 * Startalk's carbons do (qtalk_c2s:carbon_message), with carbon_message="true" (§4.2, §4.3).
 */
async function deliverReadmark(session: Session, ev: EventOf<'message.state'>): Promise<void> {
  const me = session.user!.id;
  const byMe = ev.by === me;
  const ids = byMe ? marksFromElsewhere(session, ev.state, ev.msgIds) : ev.msgIds;
  if (!ids.length || (byMe && ev.state !== 3)) return;
  if (await session.ctx.core.groups.roomNameOf(ev.conversationId)) return; // groups have read pointers, not per-message marks
  const peer = await peerJid(session, ev.conversationId, me);
  if (!peer) return;
  session.send(el('message', {
    type: 'readmark', read_type: ev.state === 3 ? '4' : '3', from: peer, to: session.jid,
    carbon_message: byMe ? 'true' : undefined, msec_times: ev.at,
  }, startalkBody({ id: freshBodyId(), msgType: 1, maType: SERVER_MA_TYPE }, JSON.stringify(ids.map((id) => ({ id }))))));
}

/** COMPAT: my revokes reach my other sessions only, marked carbon_message="true" like chat carbons (§4.2). */
async function deliverRevoke(session: Session, ev: EventOf<'message.recalled'>): Promise<void> {
  const room = await session.ctx.core.groups.roomNameOf(ev.conversationId); // cached, 1:1 included
  if (room) return deliverGroupRevoke(session, ev, room);
  const me = session.user!.id;
  const mine = ev.senderId === me;
  if (mine && revokedHere(session, ev.msgId)) return; // the revoking session knows
  const peer = await peerJid(session, ev.conversationId, me);
  if (!peer) return;
  const sender = mine ? session.bareJid : peer;
  session.send(el('message', {
    type: 'revoke', from: peer, to: session.jid, msec_times: ev.at, carbon_message: mine ? 'true' : undefined,
  }, revokeBody(ev.msgId, sender, SERVER_MA_TYPE)));
}

async function deliverTyping(session: Session, ev: EventOf<'typing'>): Promise<void> {
  const room = await session.ctx.core.groups.roomNameOf(ev.conversationId);
  if (room) return deliverGroupTyping(session, ev, room);
  const peer = await peerJid(session, ev.conversationId, session.user!.id);
  if (!peer) return;
  // COMPAT: Startalk's type="typing", with the XEP-0085 state for other clients
  session.send(el('message', { type: 'typing', from: peer, to: session.jid }, el('composing', { xmlns: CHATSTATES })));
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
  if (peerId === null) {
    // Startalk: the room sends every member's bare JID (best sessions) its copy, the sender's too.
    const room = await core.groups.roomNameOf(m.conversationId);
    if (room && eligible(session)) await deliverGroupMessage(session, ev, room);
    return;
  }
  const mine = m.senderId === session.user!.id;
  if (mine && session.sentHere.delete(m.msgId)) return; // the sending session has it (and its mstat)
  const direct = !mine && eligible(session);
  if (!mine && !direct && !session.carbons) return;
  const other = await core.accounts.userById(mine ? peerId : m.senderId);
  const peerJid = userJid({ username: other.username, domain });
  const body = storedBody(m);
  if (session.carbons && !direct) return sendCarbon(session, { msgId: m.msgId, mine, peerJid, body });
  // COMPAT: a carbon reaches the sender's other sessions "from the peer" with carbon_message="true" (§14).
  session.send(el('message', {
    type: 'chat', id: m.msgId, from: peerJid, to: session.jid, msec_times: m.createdAt,
    carbon_message: mine ? 'true' : undefined,
  }, body));
}
