// Groups as Startalk clients sync them over HTTP (../shared/startalk/PROTOCOL.md §6.4, §13 C.5):
// get_increment_mucs, get_user_increment_muc_vcard, get_muc_vcard, set_muc_vcard.
import type { User } from '../core/accounts/types.js';
import type { GroupCard } from '../core/groups/types.js';
import { conferenceHost, localPart, roomJid } from '../startalk/address.js';
import { withExtra, type LegacyDeps, type LegacyRoute } from './router.js';
import { ERR, LegacyError, str } from './http.js';
import type { RoomNames } from './room-names.js';

/** Versions handed out lag the clock a little: a change committing meanwhile is reported twice, never missed. */
const SAFETY_MS = 2000;
const MAX_CARDS = 1000;

export function groupRoutes(deps: LegacyDeps, rooms: RoomNames): LegacyRoute[] {
  const { core } = deps;
  const conference = conferenceHost(deps.domain);
  const roomJidOf = (c: GroupCard) => roomJid(c.roomName, deps.domain);
  /** COMPAT: MN room JID, SN name, MD description, MT title (topic), MP picture, VS version. */
  const vcard = (c: GroupCard) => ({ MN: roomJidOf(c), SN: c.name, MD: c.description ?? '', MT: c.topic ?? '', MP: c.pictureUrl ?? '', VS: String(c.version) });
  /** Changes since a time in ms (0 or absent: the current list). */
  const changes = async (user: User, t: unknown) => {
    const ms = Number(t ?? 0);
    if (!Number.isFinite(ms) || ms < 0) throw new LegacyError(ERR.BAD_INPUT, 't must be a time in ms');
    return core.groups.sync(user, ms > 0 ? await core.sync.seqAt(ms) : null);
  };
  const groupOf = async (name: string | undefined) => {
    const id = name ? await rooms.group(localPart(name)) : null;
    if (!id) throw new LegacyError(ERR.NOT_FOUND, 'no such group');
    return id;
  };
  const sameUser = (user: User, claimed: string | undefined) => {
    if (claimed && localPart(claimed).toLowerCase() !== user.username) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
  };
  return [
    {
      path: 'muc/get_increment_mucs.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'u'));
        const version = Date.now() - SAFETY_MS;
        const list = await changes(user, str(body, 't'));
        // COMPAT: `version` sits beside `data`; F is registed_flag (1 member, 0 left/removed/destroyed).
        return withExtra(
          list.map((e) => ({ M: e.card.roomName, D: conference, T: e.card.createdAt, F: e.status === 'member' ? 1 : 0 })),
          { version: String(version) },
        );
      },
    },
    {
      path: 'muc/get_user_increment_muc_vcard.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'userid'));
        const version = Date.now() - SAFETY_MS;
        const list = await changes(user, str(body, 'lastupdtime'));
        return list.filter((e) => e.status === 'member').map((e) => ({ ...vcard(e.card), UT: String(version) }));
      },
    },
    {
      path: 'muc/get_muc_vcard.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        if (!Array.isArray(body)) throw new LegacyError(ERR.BAD_INPUT, 'expected [{domain, mucs:[{muc_name, version}]}]');
        let budget = MAX_CARDS;
        const out = [];
        for (const d of body) {
          const mucs = [];
          for (const m of Array.isArray((d as { mucs?: unknown }).mucs) ? (d as { mucs: unknown[] }).mucs : []) {
            if (--budget < 0) throw new LegacyError(ERR.BAD_INPUT, `at most ${MAX_CARDS} cards per call`);
            const id = await rooms.group(localPart(String(str(m, 'muc_name') ?? '')));
            // Members only; others (and unknown rooms) are left out, not an error for the list.
            const state = id ? await core.groups.state(user, id).catch(() => null) : null;
            if (state && state.card.version > Number(str(m, 'version') ?? -1)) mucs.push(vcard(state.card));
          }
          out.push({ domain: str(d, 'domain') ?? conference, mucs });
        }
        return out;
      },
    },
    {
      path: 'muc/set_muc_vcard.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const items = Array.isArray(body) ? body : [body];
        if (items.length > 50) throw new LegacyError(ERR.BAD_INPUT, 'at most 50 groups per call');
        const out = [];
        for (const it of items) {
          const id = await groupOf(str(it, 'muc_name'));
          const patch = {
            ...(str(it, 'nick') !== undefined ? { name: str(it, 'nick') } : {}),
            ...(str(it, 'title') !== undefined ? { topic: str(it, 'title') } : {}),
            ...(str(it, 'desc') !== undefined ? { description: str(it, 'desc') } : {}),
            ...(str(it, 'pic') !== undefined ? { pictureUrl: str(it, 'pic') } : {}),
          };
          // The core announces the change; the bridge turns it into the group-card presence for members.
          const { card } = await core.groups.updateCard(user, id, patch).catch((err) => {
            // Not a member: the same answer as an unknown room.
            if ((err as { code?: string }).code === 'NOT_FOUND') throw new LegacyError(ERR.NOT_FOUND, 'no such group');
            throw err;
          });
          out.push({ muc_name: roomJidOf(card), version: String(card.version), show_name: card.name, muc_title: card.topic ?? '', muc_desc: card.description ?? '' });
        }
        return out;
      },
    },
  ];
}
