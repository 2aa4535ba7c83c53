// RFC 6120 §7 resource binding; RFC 3921 §3 session establishment (optional, answered).
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import type { Module } from '../router.js';
import { el, NS, result, stanzaError } from '../xml.js';
import { startDelivery } from './delivery.js';

const MAX_SESSIONS_PER_USER = 10;
const RESOURCE_RE = /^[^\s/@]{1,256}$/;

export function bind(): Module {
  return {
    hooks: {
      [`iq-set/${NS.bind}:bind`]: async (session, iq) => {
        if (session.resource) {
          session.send(stanzaError(iq, 'cancel', 'not-allowed', 'already bound'));
          return true;
        }
        const asked = (iq.getChild('bind', NS.bind)?.getChildText('resource') ?? '').trim();
        // COMPAT: Startalk resources look like "V[<ver>]_P[<platform>]_ID[<uuid>]_PB"; kept as given.
        const resource = asked || `stn_${randomBytes(6).toString('hex')}`;
        if (!RESOURCE_RE.test(resource)) {
          session.send(stanzaError(iq, 'modify', 'bad-request', 'invalid resource'));
          return true;
        }
        const { sessions, core } = session.ctx;
        const userId = session.user!.id;
        const replacing = sessions.get(userId).find((s) => s.resource === resource);
        // The cap counts the user's bound sessions on every node: each holds a live session key
        // (PROTOCOL.md §3.3). Checked, then added: two logins racing at the limit may both pass.
        if (!replacing && Math.max(sessions.count(userId), (await core.sessionKeys.live(userId)).length) >= MAX_SESSIONS_PER_USER) {
          session.send(stanzaError(iq, 'wait', 'resource-constraint', `at most ${MAX_SESSIONS_PER_USER} sessions`));
          return true;
        }
        if (session.closed || session.resource) return true; // gone, or a second bind raced this one
        session.resource = resource;
        // COMPAT: the key Startalk hands out with the session (time_key presence, PB bind result).
        const key = await core.sessionKeys.issue(userId);
        session.sessionKey = key;
        session.onClose(() => void core.sessionKeys.revoke(userId, key).catch(() => {}));
        sessions.add(session);
        replacing?.streamError('conflict', 'replaced by a new session with the same resource');
        session.onClose(() => sessions.remove(session));
        const bound = el('bind', { xmlns: NS.bind }, el('jid', {}, session.jid));
        // COMPAT: protobuf clients get the key with this result, then the navigation version (transports/pb/bind-result.ts)
        session.send(result(iq, bound));
        startDelivery(session);
        return true;
      },
      [`iq-set/${NS.session}:session`]: async (session, iq) => {
        session.send(result(iq));
        if (!session.sessionKey) return true;
        // COMPAT: Startalk answers the session IQ with the per-session HTTP key (PROTOCOL.md §2.5, §3.3);
        // its web client waits for this presence before it declares itself ready.
        session.send(el('presence', {
          xmlns: 'config:xmpp:time_key', time_value: Math.floor(Date.now() / 1000), key_value: session.sessionKey,
        }));
        return true;
      },
    },
  };
}

