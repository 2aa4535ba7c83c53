// What Startalk's clients dereference in what the server sends, written from their parsing rules
// (not their code) so tests can parse our stanzas and frames the way they do and fail where
// they would fail:
// - the public web SDK (Strophe.js + jQuery): core/message.js formatMessage and analysisPresece,
//   core/buildMessage.js, common/utils/messageHelper.js decode/filter;
// - the Android client (protobuf): PbParseUtil parseReceiveReadMessage / parseRevokeMessage and
//   IMLogicManager's dispatch on the signal type, reading headers by definedKey only.
import type { Element } from 'ltx';
import { PB, SIGNAL, type ProtoMessage, type XmppMessage } from '../../bridge/transports/pb/schema.js';

const bareOf = (jid: string | undefined) => (jid ? jid.split('/')[0]! : '');

/** jQuery's $(message).find('body'): every descendant <body>, in document order. */
function descendants(node: Element, name: string, out: Element[] = []): Element[] {
  for (const c of node.children) {
    if (typeof c === 'string') continue;
    if (c.name === name) out.push(c);
    descendants(c, name, out);
  }
  return out;
}

export interface WebSdkMessage {
  id: string | undefined;
  msgType: string | undefined;
  content: string;
  isMe: boolean;
  type: string;
  /** the conversation: the peer for chat, the sender for groupchat */
  sendjid: string;
  carbonMessage: string | undefined;
  readType: string | undefined;
  ids: unknown[];
  /** the read marks the SDK sends back for it (buildMessage result not mine, not a readmark) */
  marksToSend: { read_type: '3' | '4'; to: string; ids: string[] }[];
}

/**
 * The web SDK's message handler. null where it ignores the stanza (any type but chat,
 * groupchat and readmark); throws a TypeError exactly where the SDK's handler throws, after
 * which Strophe removes the handler and the SDK receives no message again.
 */
export function parseLikeStartalkWebSdk(stanza: Element, myBareJid: string, openConversation?: string): WebSdkMessage | null {
  if (stanza.name !== 'message') return null;
  const type = stanza.attrs.type as string | undefined;
  if (!type || !['readmark', 'chat', 'groupchat'].includes(type)) return null;
  const bodies = descendants(stanza, 'body');
  const first = bodies[0];
  const id = first?.attrs.id as string | undefined;
  const msgType = first?.attrs.msgType as string | undefined;
  const content = bodies.map((b) => b.getText()).join(''); // jQuery .text() of every match
  const from = bareOf(stanza.attrs.from);
  const carbonMessage = stanza.attrs.carbon_message as string | undefined;
  const sendjid = bareOf(stanza.attrs.sendjid);
  let isMe = false;
  let sj = '';
  let ids: unknown[] = [];
  if (type === 'chat') {
    isMe = from === myBareJid || !!carbonMessage;
    sj = from;
  } else if (type === 'groupchat') {
    isMe = sendjid === myBareJid;
    sj = sendjid;
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content);
    } catch {
      parsed = [];
    }
    // .map on what JSON.parse gave: anything but an array throws
    if (!Array.isArray(parsed)) throw new TypeError('ids.map is not a function');
    ids = parsed.map((item) => (item as { id?: unknown })?.id);
  }
  decode(content, msgType);
  const marksToSend: WebSdkMessage['marksToSend'] = [];
  if (type === 'chat' && !isMe && id !== undefined) {
    const to = bareOf(stanza.attrs.from);
    marksToSend.push({ read_type: '3', to, ids: [id] });
    if (openConversation === to) marksToSend.push({ read_type: '4', to, ids: [id] });
  }
  return { id, msgType, content, isMe, type, sendjid: sj, carbonMessage, readType: stanza.attrs.read_type, ids, marksToSend };
}

/** The SDK's history page (getHistoryMsg, getGroupHistoryMsg): buildMessage on every JSON item. */
export function historyItemLikeStartalkWebSdk(item: { message?: object; body?: { id?: string; msgType?: string; content?: string } }): void {
  if (!item.message) throw new TypeError("Cannot destructure property 'type' of 'message' as it is undefined");
  if (!item.body) throw new TypeError("Cannot destructure property 'id' of 'body' as it is undefined");
  decode(item.body.content ?? '', item.body.msgType);
}

/** messageHelper.decode: the only place that dereferences msgType. */
function decode(content: string, msgType: string | undefined): void {
  if (!content) return;
  if (msgType === undefined) throw new TypeError("Cannot read properties of undefined (reading 'toString')");
  if (msgType !== '5') return;
  let file: unknown;
  try {
    file = JSON.parse(content);
  } catch {
    return;
  }
  if (file === null || file === undefined) throw new TypeError('Cannot destructure file');
  const url = (file as { HttpUrl?: unknown }).HttpUrl;
  if (typeof url !== 'string') throw new TypeError("Cannot read properties of undefined (reading 'indexOf')");
}

/** The SDK's presence handler: what it emits for a presence (it never throws on attributes). */
export function presenceLikeStartalkWebSdk(p: Element): { event: string; data?: Record<string, unknown> } | null {
  if (p.name !== 'presence') return null;
  const xmlns = p.attrs.xmlns as string | undefined;
  if (p.attrs.type === 'unavailable' && descendants(p, 'x').some((x) => descendants(x, 'destroy').length)) return { event: 'group_distory' };
  switch (xmlns) {
    case 'jabber:client': {
      // a member's role: only presences that name jabber:client themselves (on WebSocket, every stanza must)
      const x = descendants(p, 'x')[0];
      const item = x ? descendants(x, 'item')[0] : undefined;
      if (x?.attrs.xmlns !== 'http://jabber.org/protocol/muc#user') return null;
      return { event: 'group_change_role', data: { from: bareOf(item?.attrs.jid), role: item?.attrs.affiliation } };
    }
    case 'config:xmpp:time_key':
      return { event: 'ready', data: { key: p.attrs.key_value } };
    case 'http://jabber.org/protocol/muc#del_register':
      return { event: 'group_user_exit', data: { user: bareOf(p.attrs.del_jid) } };
    case 'http://jabber.org/protocol/muc#invite':
      return { event: 'group_invite', data: { user: bareOf(p.attrs.invite_jid) } };
    case 'http://jabber.org/protocol/muc#vcard_update': {
      const v = descendants(p, 'vcard_updte')[0];
      return { event: 'group_vcard_update', data: { nick: v?.attrs.nick, title: v?.attrs.title } };
    }
    default:
      return null;
  }
}

export interface AndroidMessage {
  signal: number;
  carbon: boolean;
  messageId: string;
  messageType: number;
  /** readmark: the ids; revoke: the revoked id */
  ids: string[];
  conversation: string;
}

/**
 * Android's dispatch of a message frame (IMLogicManager by signal type, PbParseUtil): headers
 * count only by definedKey; a readmark body must be a JSON array (new JSONArray), a revoke body
 * JSON with messageId and fromId (Gson, then a user lookup by fromId) and messageType -1.
 */
export function parseLikeStartalkAndroid(pm: ProtoMessage, myBareJid: string): AndroidMessage | null {
  const x = PB.XmppMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as XmppMessage;
  const hs = x.body?.headers ?? [];
  const carbon = hs.some((h) => h.definedKey === 72);
  const value = x.body?.value ?? '';
  const from = bareOf(pm.from);
  const base = { signal: pm.signalType, carbon, messageId: x.messageId ?? '', messageType: x.messageType };
  switch (pm.signalType) {
    case SIGNAL.readmark: {
      if (!hs.some((h) => h.definedKey === 5)) throw new Error('readmark without a ReadType header (definedKey 5)');
      const list = JSON.parse(value) as unknown;
      if (!Array.isArray(list)) throw new Error('JSONException: not a JSONArray');
      const conversation = from === myBareJid ? bareOf(pm.to) : from;
      return { ...base, ids: list.map((i) => String((i as { id?: unknown }).id)), conversation };
    }
    case SIGNAL.revoke: {
      const info = JSON.parse(value) as { messageId?: unknown; fromId?: unknown };
      if (x.messageType !== -1) throw new Error(`revoke with messageType ${x.messageType}`);
      if (typeof info.messageId !== 'string' || typeof info.fromId !== 'string') throw new Error('revoke body without messageId/fromId');
      return { ...base, ids: [info.messageId], conversation: from };
    }
    case SIGNAL.chat:
    case SIGNAL.groupchat: {
      if (!x.messageId) throw new Error('message without an id');
      // COMPAT: "carbon ⇒ conversation = from" (PROTOCOL.md §14)
      return { ...base, ids: [x.messageId], conversation: carbon || from !== myBareJid ? from : bareOf(pm.to) };
    }
    default:
      return { ...base, ids: [], conversation: from };
  }
}
