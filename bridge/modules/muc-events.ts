// The core's group events as Startalk room stanzas for one session (../shared/startalk/PROTOCOL.md §5 flows 1-8,
// §2.4 server→client presences): add_user/del_user IQ pushes, member presences, the room's copies of
// group messages, revokes and typing. Everything needed is in the event or cached by the core
// (room names, users): no database read per delivered stanza once warm.
import type { EventOf } from '../../src/core/events/types.js';
import type { GroupRole } from '../../src/core/groups/types.js';
import { revokeBody, storedBody } from '../../src/startalk/body.js';
import type { Session } from '../session.js';
import { bareOf, MUC, nickOf, roomJid } from '../muc.js';
import { el } from '../xml.js';
import { CHATSTATES } from './typing.js';

type GroupEvent = EventOf<'group.members'> | EventOf<'group.updated'> | EventOf<'group.destroyed'>;

/** Presences and pushes go to the sessions that sent initial presence (a presence to the bare JID). */
const available = (session: Session) => session.priority !== null;

/** XEP-0045 role for an affiliation (Startalk sends both). */
const roleOf = (a: GroupRole) => (a === 'member' ? 'participant' : 'moderator');

async function roomOf(session: Session, ev: GroupEvent): Promise<string> {
  // events stored before room names existed carry none: ask the core (cached)
  const name = ev.card.roomName || (await session.ctx.core.groups.roomNameOf(ev.conversationId)) || ev.conversationId;
  return roomJid(session, name);
}

export async function deliverGroupEvent(session: Session, ev: GroupEvent): Promise<void> {
  if (!available(session)) return;
  const room = await roomOf(session, ev);
  const to = session.jid;
  if (ev.kind === 'group.updated') {
    const c = ev.card;
    // COMPAT: Startalk's element is spelt vcard_updte; nick = name, title = topic, desc, pic.
    session.send(el('presence', { xmlns: MUC.vcardUpdate, from: room, to },
      el('vcard_updte', { nick: c.name, desc: c.description ?? '', title: c.topic ?? '', pic: c.pictureUrl ?? '', version: c.version })));
    return;
  }
  if (ev.kind === 'group.destroyed') {
    // COMPAT: the XEP-0045 destroy presence; Startalk's PB side calls it destory_muc.
    session.send(el('presence', { type: 'unavailable', from: `${room}/${nickOf(session.user!)}`, to },
      el('x', { xmlns: MUC.user }, el('item', { affiliation: 'none', role: 'none' }), el('destroy'))));
    return;
  }
  const me = session.user!.id;
  const users = await session.ctx.core.accounts.usersByIds(ev.userIds);
  const addUser = () => session.send(el('iq', { type: 'result', from: room, to }, el('add_user', { xmlns: MUC.addUser })));
  const delUser = () => session.send(el('iq', { type: 'result', from: room, to }, el('del_user', { xmlns: MUC.delUser })));
  for (const id of ev.userIds) {
    const u = users.get(id);
    if (!u) continue;
    const jid = bareOf(u);
    const item = (affiliation: GroupRole) =>
      el('presence', { from: `${room}/${nickOf(u)}`, to },
        el('x', { xmlns: MUC.user },
          el('item', { jid, real_jid: u.username, domain: u.domain, affiliation, role: roleOf(affiliation) }),
          ...(id === me ? [el('status', { code: '110' })] : [])));
    switch (ev.change) {
      case 'joined': {
        const creator = id === ev.by; // a create lists the creator among the joined; invites never do
        if (id === me) {
          // COMPAT: the add_user IQ result puts the room in the user's group list (Startalk user_register_mucs).
          addUser();
          session.send(item(creator ? 'owner' : 'member')); // user_join_muc
        }
        if (!creator) session.send(el('presence', { xmlns: MUC.invite, from: room, to, invite_jid: jid, status: '0' }));
        break;
      }
      case 'left':
      case 'removed':
        session.send(el('presence', { xmlns: MUC.delRegister, from: room, to, del_jid: jid }));
        if (ev.change === 'removed') {
          // XEP-0045 kick (status 307); Startalk's PB side calls it del_muc_user
          session.send(el('presence', { type: 'unavailable', from: `${room}/${nickOf(u)}`, to },
            el('x', { xmlns: MUC.user }, el('item', { affiliation: 'none', role: 'none', jid }), el('status', { code: '307' }))));
        }
        if (id === me) delUser();
        break;
      case 'role':
        session.send(item(ev.role ?? 'member'));
        break;
    }
  }
}

/** The room's copy of a group message: to every member's best sessions, the sender's included. */
export async function deliverGroupMessage(session: Session, ev: EventOf<'message.added'>, roomName: string): Promise<void> {
  const m = ev.message;
  const sender = await session.ctx.core.accounts.userById(m.senderId);
  const from = bareOf(sender);
  session.send(el('message', {
    type: 'groupchat', id: m.msgId, from: `${roomJid(session, roomName)}/${nickOf(sender)}`, to: session.jid,
    // COMPAT: clients identify the sender by sendjid/realfrom, never by the resource (§14).
    msec_times: m.createdAt, sendjid: from, realfrom: from,
  }, storedBody(m)));
}

export async function deliverGroupRevoke(session: Session, ev: EventOf<'message.recalled'>, roomName: string): Promise<void> {
  const sender = await session.ctx.core.accounts.userById(ev.senderId);
  // COMPAT: Startalk's revoke body, broadcast by the room from the sender's nick (PROTOCOL.md §4.4)
  session.send(el('message', {
    type: 'revoke', from: `${roomJid(session, roomName)}/${nickOf(sender)}`, to: session.jid, msec_times: ev.at,
    sendjid: bareOf(sender), realfrom: bareOf(sender),
  }, revokeBody(ev.msgId, bareOf(sender))));
}

export async function deliverGroupTyping(session: Session, ev: EventOf<'typing'>, roomName: string): Promise<void> {
  const who = await session.ctx.core.accounts.userById(ev.userId);
  session.send(el('message', { type: 'typing', from: `${roomJid(session, roomName)}/${nickOf(who)}`, to: session.jid, sendjid: bareOf(who) },
    el('composing', { xmlns: CHATSTATES })));
}
