// Startalk rooms on the bridge (../shared/startalk/PROTOCOL.md §5): room JIDs at
// conference.<domain>, named by the core group's room name; shared by the muc-* modules
// and the delivery of group events (error replies: errors.ts). No state: every answer comes from the core.
import type { Element } from 'ltx';
import type { User } from '../src/core/accounts/types.js';
import { conferenceHost, roomJid as startalkRoomJid, roomNameOf, roomNick, userJid } from '../src/startalk/address.js';
import type { Session } from './session.js';
import { el, stanzaError } from './xml.js';

const P = 'http://jabber.org/protocol/';
export const MUC = {
  create: `${P}create_muc`,
  inviteV2: `${P}muc#invite_v2`,
  invite: `${P}muc#invite`,
  register: `${P}muc#register`,
  delRegister: `${P}muc#del_register`,
  admin: `${P}muc#admin`,
  owner: `${P}muc#owner`,
  user: `${P}muc#user`,
  userMucs: `${P}muc#user_mucs`,
  addUser: `${P}muc#add_user`,
  delUser: `${P}muc#del_user`,
  vcardUpdate: `${P}muc#vcard_update`,
} as const;

/** The MUC service host: conference.<domain> */
export const conference = (session: Session) => conferenceHost(session.ctx.domain);

export const roomJid = (session: Session, roomName: string) => startalkRoomJid(roomName, session.ctx.domain);

export const nickOf = (u: Pick<User, 'username' | 'domain'>) => roomNick(u);

export const bareOf = (u: Pick<User, 'username' | 'domain'>) => userJid(u);

/** The room name a stanza is addressed to, when it goes to a room of this server; else null. */
export function roomNameIn(session: Session, to: string | undefined): string | null {
  return roomNameOf(to, session.ctx.domain);
}

/** The core group a stanza addresses, or null after answering item-not-found. */
export async function groupOf(session: Session, stanza: Element): Promise<string | null> {
  const name = roomNameIn(session, stanza.attrs.to);
  const id = name ? await session.ctx.core.groups.idByRoomName(name) : null;
  // the core's words for a group the caller is not in: an unknown room and someone else's answer alike
  if (!id) session.send(stanzaError(stanza, 'cancel', 'item-not-found', 'group not found'));
  return id;
}

/** COMPAT: Startalk answers room IQs from the room with <query xmlns=…> around the result (PB maps on it). */
export function roomResult(session: Session, iq: Element, ns: string, ...children: Element[]): Element {
  return el('iq', { type: 'result', id: iq.attrs.id, from: iq.attrs.to, to: session.jid }, el('query', { xmlns: ns }, ...children));
}
