// Startalk muc#invite_v2, <invite jid=…/> ×N to a room (../shared/startalk/PROTOCOL.md §5 flow 2, §2.4 MUC_INVITE_V2).
// Any member invites, up to the member limit (the core decides); the invitees' add_user IQs and
// every member's invite presence come from the core's group.members event.
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { groupOf, MUC, roomResult } from '../muc.js';
import { bare, el, stanzaError } from '../xml.js';

const MAX_INVITES = 600;

export function mucInvite(): Module {
  return {
    hooks: {
      [`iq-set/${MUC.inviteV2}:query`]: async (session, iq) => {
        const groupId = await groupOf(session, iq);
        if (!groupId) return true;
        const jids = iq.getChild('query')!.getChildren('invite').map((i) => i.attrs.jid as string | undefined).filter((j): j is string => !!j);
        if (jids.length > MAX_INVITES) {
          session.send(stanzaError(iq, 'modify', 'not-acceptable', `at most ${MAX_INVITES} invites per request`));
          return true;
        }
        const { core } = session.ctx;
        // COMPAT: Startalk reports each invitee: status "0" invited (or already in), "1" failed (unknown user).
        const known: string[] = [];
        const status = new Map<string, string>();
        for (const jid of jids) {
          const ok = await core.accounts.findByAddress(bare(jid)).then(() => true, () => false);
          status.set(jid, ok ? '0' : '1');
          if (ok) known.push(bare(jid));
        }
        try {
          if (known.length) await core.groups.invite(session.user!, groupId, known);
          else await core.groups.state(session.user!, groupId); // members only, even for a useless request
        } catch (err) {
          session.send(errorReply(session, iq, err));
          return true;
        }
        session.send(roomResult(session, iq, MUC.inviteV2, ...[...status].map(([jid, s]) => el('muc_invites', { jid, status: s }))));
        return true;
      },
    },
  };
}
