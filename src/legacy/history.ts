// History sync (../shared/startalk/PROTOCOL.md §6.2, §13 D): gethistory, getmuchistory(_v2),
// getmsgs, getmucmsgs, getreadflag, get_muc_readmark(1), getrbl. Every call reads only
// what the q_ckey user belongs to (Startalk's getmucmsgs checked nothing).
import { Element } from 'ltx';
import type { User } from '../core/accounts/types.js';
import { conferenceHost, localPart, userAddress, userJid } from '../startalk/address.js';
import type { LegacyDeps, LegacyRoute } from './router.js';
import { ERR, LegacyError, num, str } from './http.js';
import { renderDirect, renderGroup, renderStanza, usersOf, type Rendered } from './render.js';
import type { RoomNames } from './room-names.js';

/** COMPAT: several calls carry the user again in the body; it must be the cookie's user. */
function sameUser(viewer: User, claimed: string | undefined): void {
  if (claimed === undefined || claimed === '') return;
  if (localPart(claimed).toLowerCase() !== viewer.username) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
}

const direction = (body: unknown): 'older' | 'newer' => (str(body, 'direction') === '1' ? 'newer' : 'older');
/** A page with no time starts from now (older) or from the beginning (newer). */
const timeOr = (body: unknown, dir: 'older' | 'newer') => str(body, 'time') ?? (dir === 'older' ? Date.now() : 0);

export function historyRoutes(deps: LegacyDeps, rooms: RoomNames): LegacyRoute[] {
  const { core } = deps;
  const groupOf = async (name: string | undefined) => {
    const id = name ? await rooms.group(localPart(name)) : null;
    if (!id) throw new LegacyError(ERR.NOT_FOUND, 'no such group');
    return id;
  };
  return [
    {
      path: 'gethistory.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'user'));
        // COMPAT: ihs read time 0 as "now" (so nothing); here 0 is the beginning, paged by num.
        const page = await core.sync.since(user, 'direct', str(body, 'time') ?? 0, num(body, 'num'));
        return renderDirect(core, user, page, str(body, 'f') === 't');
      },
    },
    {
      path: 'getmuchistory.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'user'));
        // COMPAT: time=-1 asks, per group, for the first message after my read pointer.
        const page = str(body, 'time') === '-1' ? await core.sync.firstUnread(user)
          : await core.sync.since(user, 'group', str(body, 'time') ?? 0, num(body, 'num'));
        return renderGroup(core, page, rooms.of);
      },
    },
    {
      path: 'getmuchistory_v2.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'user'));
        const page = str(body, 'time') === '-1' ? await core.sync.firstUnread(user)
          : await core.sync.since(user, 'group', str(body, 'time') ?? 0, num(body, 'num'));
        const items = await renderGroup(core, page, rooms.of);
        // COMPAT: one entry per room {ID, Domain, Time:"0", Msgs:[{…item, N nick, D host, t}]}
        // (ihs QGetHistoryContorller getHistoryByHost_v2).
        const byRoom = new Map<string, { ID: string; Domain: string; Time: string; Msgs: Rendered[] }>();
        for (const it of items) {
          const room = String(it.muc);
          const entry = byRoom.get(room) ?? { ID: room, Domain: conferenceHost(deps.domain), Time: '0', Msgs: [] };
          entry.Msgs.push({ ...it, N: it.nick, D: it.host });
          byRoom.set(room, entry);
        }
        return [...byRoom.values()];
      },
    },
    {
      path: 'getmsgs.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const from = str(body, 'from')?.toLowerCase();
        const to = str(body, 'to')?.toLowerCase();
        if (!from || !to) throw new LegacyError(ERR.BAD_INPUT, 'missing from or to');
        // COMPAT: the cookie's user must be one side of the pair.
        const peer = from === user.username ? to : to === user.username ? from : null;
        if (!peer) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
        const peerHost = (from === user.username ? str(body, 'thost') : str(body, 'fhost')) ?? deps.domain;
        const conv = await core.messages.directWith(user, userAddress(peer, peerHost));
        const dir = direction(body);
        const page = await core.sync.page(user, conv.id, dir, timeOr(body, dir), num(body, 'num'), str(body, 'include') === 't');
        return renderDirect(core, user, page, str(body, 'f') === 't');
      },
    },
    {
      path: 'getmucmsgs.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const groupId = await groupOf(str(body, 'muc'));
        const dir = direction(body);
        try {
          const page = await core.sync.page(user, groupId, dir, timeOr(body, dir), num(body, 'num'), str(body, 'include') === 't');
          return await renderGroup(core, page, rooms.of);
        } catch (err) {
          // Not a member: the same answer as an unknown room.
          if ((err as { code?: string }).code === 'NOT_FOUND') throw new LegacyError(ERR.NOT_FOUND, 'no such group');
          throw err;
        }
      },
    },
    {
      path: 'getreadflag.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const changes = await core.sync.readChanges(user, str(body, 'time') ?? 0);
        // The latest state of each message wins (states only rise).
        const flags = new Map<string, number>();
        for (const c of changes) for (const id of c.msgIds) flags.set(id, Math.max(flags.get(id) ?? 0, c.state));
        return [...flags].map(([msgid, readflag]) => ({ msgid, readflag }));
      },
    },
    ...(['get_muc_readmark1.qunar', 'get_muc_readmark.qunar'] as const).map((path): LegacyRoute => ({
      path,
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'user'));
        const since = path === 'get_muc_readmark1.qunar' ? (str(body, 'time') ?? 0) : undefined;
        const marks = await core.sync.groupReadTimes(user, since);
        return Promise.all(marks.map(async (m) => {
          const room = await rooms.of(m.conversationId);
          return { muc_name: room.name, domain: room.domain, date: m.readMs }; // COMPAT: date in ms
        }));
      },
    })),
    {
      path: 'getrbl.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        sameUser(user, str(body, 'user'));
        const weekAgo = Date.now() - 7 * 86_400_000;
        const recent = (await core.messages.conversations(user, 200)).filter((c) => c.lastMessage.createdAt >= weekAgo);
        const users = await usersOf(core, recent.flatMap((c) => [c.lastMessage.senderId, ...c.conversation.memberIds]));
        return Promise.all(recent.map(async (c) => {
          const m = c.lastMessage;
          const sender = users.get(m.senderId)!;
          let who: { user: string; host: string };
          let stanza: Rendered;
          if (c.conversation.kind === 'group') {
            const room = await rooms.of(c.conversation.id);
            who = { user: room.name, host: room.domain };
            stanza = renderStanza(m, sender, `${room.jid}/${sender.displayName}`, room.jid, 'groupchat');
          } else {
            const peer = users.get(c.conversation.memberIds.find((id) => id !== user.id) ?? user.id)!;
            who = { user: peer.username, host: peer.domain };
            const to = m.senderId === user.id ? peer : user;
            stanza = renderStanza(m, sender, userJid(sender), userJid(to), 'chat');
          }
          return {
            ...who, xmlBody: toXml(stanza), create_time: m.createdAt, cnt: c.unreadCount, time: m.createdAt,
            mFlag: c.conversation.kind === 'group' ? 2 : 1,
          };
        }));
      },
    },
  ];
}

/** The stanza the JSON shape stands for, as the XML string getrbl's xmlBody carries. */
function toXml(r: Rendered): string {
  const { content, ...bodyAttrs } = r.body;
  const msg = new Element('message', r.message);
  msg.c('body', bodyAttrs).t(content ?? '');
  return msg.toString();
}
