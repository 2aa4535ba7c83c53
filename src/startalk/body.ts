// Startalk's <body> element (../shared/startalk/PROTOCOL.md §4.1), built in one place so every
// body the server emits carries what Startalk's parsers read: `id` and `msgType` always
// (COMPAT: the web SDK calls msgType.toString() on every message with text, and a handler
// that throws is dropped by Strophe, so one bare <body> leaves the client deaf), `maType`
// where a Startalk client would have put it. A leaf: ltx only, no edge, no storage.
import { randomUUID } from 'node:crypto';
import { Element } from 'ltx';

export interface BodyAttrs {
  /** the message id; a fresh one when the server makes the stanza up (see freshBodyId) */
  id: string;
  msgType: number | string;
  /** the legacy client type (1 mac, 3 pc, 4 android, 6 web …); only where a client would set it */
  maType?: number | string;
  extendInfo?: string | null;
  backupinfo?: string | null;
}

/** COMPAT: what a Startalk client would have set on read marks and revokes it sends (PC, as the PB shim's default). */
export const SERVER_MA_TYPE = 3;

/** A message id for stanzas the server makes up: 32 hex digits, as Startalk clients write them. */
export function freshBodyId(): string {
  return randomUUID().replaceAll('-', '');
}

/** <body id msgType [maType] [extendInfo] [backupinfo]>text</body> */
export function startalkBody(a: BodyAttrs, text: string): Element {
  const attrs: Record<string, string> = { id: a.id, msgType: String(a.msgType) };
  if (a.maType !== undefined) attrs.maType = String(a.maType);
  if (a.extendInfo != null) attrs.extendInfo = a.extendInfo;
  if (a.backupinfo != null) attrs.backupinfo = a.backupinfo;
  const body = new Element('body', attrs);
  if (text) body.t(text);
  return body;
}

/** What a client's <body> carries; `msgId` null when the client sent none (the server picks one). */
export interface ParsedBody {
  msgId: string | null;
  msgType: number;
  text: string;
  extendInfo: string | null;
  backupInfo: string | null;
}

/**
 * Reads a client's <body id msgType extendInfo backupinfo>text</body>. COMPAT: a missing
 * msgType is 1 (text); `backupinfo` is all lower case on the wire, unlike `extendInfo`.
 */
export function parseStartalkBody(body: Element, fallbackId?: string): ParsedBody {
  const a = body.attrs as Record<string, string | undefined>;
  return {
    msgId: a.id || fallbackId || null,
    msgType: a.msgType !== undefined && a.msgType !== '' ? Number(a.msgType) : 1,
    text: body.getText(),
    extendInfo: a.extendInfo ?? null,
    backupInfo: a.backupinfo ?? null,
  };
}

/** The <body> of a stored message (what chat, MAM and group deliveries send back). */
export function storedBody(m: { msgId: string; msgType: number; body: string; extendInfo: string | null; backupInfo: string | null }): Element {
  return startalkBody({ id: m.msgId, msgType: m.msgType, extendInfo: m.extendInfo, backupinfo: m.backupInfo }, m.body);
}

/**
 * The same attributes in the legacy HTTP API's XML-as-JSON shape (PROTOCOL.md §6.2): every
 * value a string, the text under `content`.
 */
export function bodyJson(a: BodyAttrs, text: string): Record<string, string> {
  const out: Record<string, string> = { id: a.id, msgType: String(a.msgType), content: text };
  if (a.maType !== undefined) out.maType = String(a.maType);
  if (a.extendInfo != null) out.extendInfo = a.extendInfo;
  if (a.backupinfo != null) out.backupinfo = a.backupinfo;
  return out;
}

/** Reads the JSON shape back (the inverse of bodyJson). */
export function parseBodyJson(b: Record<string, string | undefined>): ParsedBody {
  return {
    msgId: b.id || null,
    msgType: b.msgType !== undefined && b.msgType !== '' ? Number(b.msgType) : 1,
    text: b.content ?? '',
    extendInfo: b.extendInfo ?? null,
    backupInfo: b.backupinfo ?? null,
  };
}

/** COMPAT: Startalk's revoke text (PROTOCOL.md §4.4): JSON naming the recalled message and its sender. */
export function revokeText(msgId: string, fromJid: string): string {
  return JSON.stringify({ messageId: msgId, fromId: fromJid, message: 'revoke a message' });
}

/** <body id=<recalled id> msgType="-1">revokeText</body> */
export function revokeBody(msgId: string, fromJid: string, maType?: number): Element {
  return startalkBody({ id: msgId, msgType: -1, maType }, revokeText(msgId, fromJid));
}
