// RFC 6121 §4 presence from the client: the initial presence makes the session available
// (Startalk delivers chat only after it, ../shared/startalk/PROTOCOL.md §0 step 3), its
// priority decides which sessions get messages; "unavailable" takes it out again.
import type { Show } from '../../src/core/presence/types.js';
import type { Module } from '../router.js';
import type { Session } from '../session.js';

const SHOWS = new Set(['chat', 'away', 'xa', 'dnd']);
/** sessions whose device is taken offline when they close */
const tracked = new WeakSet<Session>();

function offlineOnClose(session: Session): void {
  if (tracked.has(session)) return;
  tracked.add(session);
  session.onClose(() => {
    const id = session.deviceId;
    session.deviceId = null;
    if (id) void session.ctx.core.presence.deviceOffline(session.user!.id, id).catch(() => {});
  });
}

export function presence(): Module {
  return {
    hooks: {
      presence: async (session, stanza) => {
        if (stanza.attrs.to || !session.resource) return false; // directed presence / before bind: ignored
        const { core } = session.ctx;
        const sessionId = session.authSession?.id ?? `xmpp:${session.streamId}`;
        if (stanza.attrs.type === 'unavailable') {
          session.priority = null;
          if (session.deviceId) await core.presence.deviceOffline(session.user!.id, session.deviceId);
          session.deviceId = null;
          return true;
        }
        if (stanza.attrs.type) return false; // subscriptions: the roster is server-side (read-only)
        const p = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
        session.priority = Number.isFinite(p) ? Math.max(-128, Math.min(127, p)) : 0;
        const showText = stanza.getChildText('show') ?? '';
        const show = (SHOWS.has(showText) ? showText : 'online') as Show;
        if (session.deviceId) await core.presence.deviceOffline(session.user!.id, session.deviceId);
        offlineOnClose(session);
        const deviceId = await core.presence.deviceOnline(session.user!, {
          sessionId, resource: session.resource, show, priority: session.priority,
        });
        if (session.closed) await core.presence.deviceOffline(session.user!.id, deviceId); // closed meanwhile
        else session.deviceId = deviceId;
        return true;
      },
    },
  };
}
