// Startalk group messages, type="groupchat" to <room>@conference.<domain> (../shared/startalk/PROTOCOL.md §5
// "Group message on the wire", §4.1): stored once by body id, mstat ack to the sender; every member,
// the sender included, gets the room's copy from the core's message.added event (delivery.ts).
// Revoke and typing addressed to a room go to the group's recall and typing.
import type { Element } from 'ltx';
import { parseStartalkBody } from '../../src/startalk/body.js';
import type { Session } from '../session.js';
import { sendInOrder } from '../in-order.js';
import type { Module } from '../router.js';
import { errorReply } from '../errors.js';
import { groupOf, roomNameIn } from '../muc.js';
import { el } from '../xml.js';

async function groupchat(session: Session, stanza: Element): Promise<boolean> {
  const body = stanza.getChild('body');
  if (!body) return true; // nothing to store (chat states to a room)
  const groupId = await groupOf(session, stanza);
  if (!groupId) return true;
  // COMPAT: Startalk puts the message id, msgType and extra info on <body>.
  const { text, ...b } = parseStartalkBody(body, stanza.attrs.id);
  await sendInOrder(
    (ordered) => session.ctx.core.messages.sendGroup(session.user!, { groupId, ...b, body: text }, ordered),
    // COMPAT: the "sent" tick with the stored message's server time, as for chat.
    (m) => session.send(el('message', { type: 'mstat', to: session.bareJid, msec_times: m.createdAt }, el('body', { id: m.msgId, stat: 'sent' }))),
    (err) => session.send(errorReply(session, stanza, err)),
  );
  return true;
}

async function revoke(session: Session, stanza: Element): Promise<boolean> {
  if (!roomNameIn(session, stanza.attrs.to)) return false; // 1:1: revoke.ts
  const body = stanza.getChild('body');
  let id = body?.attrs.id;
  try {
    id = (JSON.parse(body?.getText() ?? '') as { messageId?: string }).messageId ?? id;
  } catch {
    // COMPAT: older clients put only the id attribute
  }
  const groupId = await groupOf(session, stanza);
  if (!groupId || !id) return true;
  // Startalk: only the sender, within the window; every member gets the room's revoke (delivery.ts).
  await session.ctx.core.messages.recallInGroup(session.user!, groupId, id).catch((err) => session.send(errorReply(session, stanza, err)));
  return true;
}

async function typing(session: Session, stanza: Element): Promise<boolean> {
  if (!roomNameIn(session, stanza.attrs.to) || stanza.getChild('body')) return false;
  const groupId = await session.ctx.core.groups.idByRoomName(roomNameIn(session, stanza.attrs.to)!);
  // rate-limited and never stored by the core; refusals are not worth an error stanza
  if (groupId) await session.ctx.core.messages.typing(session.user!, { groupId }).catch(() => {});
  return true;
}

export function groupchatModule(): Module {
  return {
    hooks: {
      'message/groupchat': groupchat,
      'message/revoke': revoke,
      'message/typing': typing,
    },
  };
}
