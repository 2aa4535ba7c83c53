// Stored messages in Startalk's XML-as-JSON shape (../shared/startalk/PROTOCOL.md §6.2, §4.1,
// §4.4, §14): {"message":{<attrs>},"body":{<attrs>,"content"},"time":{…}} plus per-endpoint
// fields. We keep no XML; the shape is rebuilt from the core's message, so a message sent
// over GraphQL looks right in old clients and one sent by an old client looks the same.
import type { User, UserId } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';
import type { Message } from '../core/messages/types.js';
import type { TimedMessage } from '../core/sync/service.js';
import type { LegacyRoom } from './room-names.js';
import { userJid } from '../startalk/address.js';
import { bodyJson } from '../startalk/body.js';

/** COMPAT: the recall marker ejabberd wrote over a recalled row. */
const REVOKED_TEXT = '[撤销一条消息]';

export interface Rendered {
  message: Record<string, string>;
  body: Record<string, string>;
  time: Record<string, string>;
  [extra: string]: unknown;
}

function stime(ms: number): string {
  // COMPAT: jabber:stime:delay stamp "YYYYMMDDTHH:MM:SS" (UTC)
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 19)}`;
}

/** The message/body/time triple; `from`/`to` are the stanza addresses. */
export function renderStanza(m: Message, sender: User, from: string, to: string, type: 'chat' | 'groupchat'): Rendered {
  // COMPAT: every attribute is a string, as in the XML it stood for.
  const message: Record<string, string> = { from, to, type, msec_times: String(m.createdAt) };
  if (m.recalledAt !== null) {
    message.type = 'revoke';
    return {
      message,
      body: bodyJson({ id: m.msgId, msgType: -1, extendInfo: JSON.stringify({ messageId: m.msgId, fromId: userJid(sender) }) }, REVOKED_TEXT),
      time: { xmlns: 'jabber:stime:delay', stamp: stime(m.recalledAt) },
    };
  }
  const body = bodyJson({ id: m.msgId, msgType: m.msgType, extendInfo: m.extendInfo, backupinfo: m.backupInfo }, m.body);
  return { message, body, time: { stime: '' } };
}

/** Users of a page, through the core's cache (no read per message). */
export async function usersOf(core: Core, ids: Iterable<UserId>): Promise<Map<UserId, User>> {
  return core.accounts.usersByIds([...new Set(ids)]);
}

/** 1:1 items: from, from_host, to, to_host (user parts, §14), read_flag, t. */
export async function renderDirect(core: Core, viewer: User, page: TimedMessage[], rawReadFlag = true): Promise<Rendered[]> {
  const recipients = await Promise.all(page.map(({ message }) => core.messages.recipientOf(message)));
  const users = await usersOf(core, [...page.map(({ message }) => message.senderId), ...recipients.filter((x): x is string => !!x), viewer.id]);
  return page.map(({ message: m, t }, i) => {
    const from = users.get(m.senderId)!;
    const to = users.get(recipients[i] ?? viewer.id) ?? viewer;
    return {
      ...renderStanza(m, from, userJid(from), userJid(to), 'chat'),
      from: from.username, from_host: from.domain, to: to.username, to_host: to.domain,
      // COMPAT: f="t" asks for the raw flag (0/1/3); otherwise only read or not.
      read_flag: rawReadFlag ? m.state : m.state === 3 ? 1 : 0,
      t,
    };
  });
}

/** Group items: muc (room name), nick (sender's display name), host (sender's domain), t. */
export async function renderGroup(
  core: Core, page: TimedMessage[], room: (groupId: string) => Promise<LegacyRoom>,
): Promise<Rendered[]> {
  const users = await usersOf(core, page.map(({ message }) => message.senderId));
  const rooms = new Map<string, LegacyRoom>();
  for (const { message } of page) if (!rooms.has(message.conversationId)) rooms.set(message.conversationId, await room(message.conversationId));
  return page.map(({ message: m, t }) => {
    const from = users.get(m.senderId)!;
    const r = rooms.get(m.conversationId)!;
    const roomJid = r.jid;
    const bare = userJid(from);
    const item = renderStanza(m, from, `${roomJid}/${from.displayName || bare}`, roomJid, 'groupchat');
    // COMPAT: Android reads the sender from sendjid/realfrom, never from the resource (§14).
    item.message.sendjid = bare;
    item.message.realfrom = bare;
    return { ...item, muc: r.name, nick: from.displayName || bare, host: from.domain, t };
  });
}
