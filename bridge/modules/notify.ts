// Startalk notify presences, <presence type="notify" category data><notify xmlns="jabber:x:presence_notify"/>
// (../shared/startalk/PROTOCOL.md §4.6), from the core's notify events: category 9 (the user's online
// clients) on every device change, and whatever an admin sends (sendNotify).
import type { EventOf } from '../../src/core/events/types.js';
import { ONLINE_CLIENTS } from '../../src/core/notify/service.js';
import type { Session } from '../session.js';
import { el } from '../xml.js';

export const PRESENCE_NOTIFY = 'jabber:x:presence_notify';

export function deliverNotify(session: Session, ev: EventOf<'notify'>): void {
  if (session.priority === null) return; // a presence to the bare JID: available sessions only
  // COMPAT: Startalk sends category 9 from the user's own bare JID, others from the server.
  const from = ev.category === ONLINE_CLIENTS ? session.bareJid : session.ctx.domain;
  session.send(el('presence', { type: 'notify', category: ev.category, data: ev.data, from, to: session.jid },
    el('notify', { xmlns: PRESENCE_NOTIFY })));
}
