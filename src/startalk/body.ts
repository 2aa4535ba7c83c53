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
