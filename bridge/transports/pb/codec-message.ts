// PROTOCOL.md §2.4 messages, §4.1 envelope: XmppMessage <-> <message type=…><body id msgType …>.
// Inbound after ejabberd_pb2xml_message, outbound after ejabberd_xml2pb_message (Startalk's shim).
import { randomInt } from 'node:crypto';
import type { Element } from 'ltx';
import { el } from '../../xml.js';
import { header, headers, headerValue } from './headers.js';
import { CLIENT_TYPE_PC, PB, SIGNAL, toNum, type ProtoMessage, type XmppMessage } from './schema.js';

/** Signal types a client may send as messages (§2.4), and their XML type. */
export const INBOUND_TYPES: Record<number, string> = {
  [SIGNAL.chat]: 'chat', [SIGNAL.groupchat]: 'groupchat', [SIGNAL.subscription]: 'subscription',
  [SIGNAL.typing]: 'typing', [SIGNAL.headline]: 'headline', [SIGNAL.webrtc]: 'webrtc', [SIGNAL.readmark]: 'readmark',
  [SIGNAL.revoke]: 'revoke', [SIGNAL.consult]: 'consult', [SIGNAL.encrypt]: 'encrypt',
};

const OUTBOUND_SIGNALS: Record<string, number> = {
  chat: SIGNAL.chat, groupchat: SIGNAL.groupchat, note: SIGNAL.note, readmark: SIGNAL.readmark, mstat: SIGNAL.mstat,
  carbon: SIGNAL.carbon, subscription: SIGNAL.subscription, headline: SIGNAL.headline, revoke: SIGNAL.revoke,
  webrtc: SIGNAL.webrtc, consult: SIGNAL.consult, typing: SIGNAL.typing, encrypt: SIGNAL.encrypt,
  error: SIGNAL.error, collection: SIGNAL.collection,
};

const CLIENT_NAMES = ['', 'ClientTypeMac', 'ClientTypeiOS', 'ClientTypePC', 'ClientTypeAndroid', 'ClientTypeLinux', 'ClientTypeWeb'];

export function messageToStanza(pm: ProtoMessage, type: string): Element {
  const x = PB.XmppMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as XmppMessage;
  const hs = x.body?.headers;
  const qchatid = headerValue(hs, 'qchatid');
  // The server never trusts `from` (the session's JID is the sender): it is left out.
  const stanza = el('message', {
    to: pm.to || undefined, type,
    client_type: CLIENT_NAMES[x.clientType] || 'ClientTypePC', client_ver: toNum(x.clientVersion) ?? 0,
    read_type: headerValue(hs, 'read_type'), channelid: headerValue(hs, 'channelid'),
    qchatid: qchatid === '4' || qchatid === '5' ? qchatid : undefined,
    realfrom: pm.realfrom || undefined, realto: pm.realto || undefined, auto_reply: headerValue(hs, 'auto_reply'),
  });
  stanza.cnode(el('body', {
    id: x.messageId || undefined, msgType: x.messageType,
    extendInfo: headerValue(hs, 'extendInfo'), backupinfo: headerValue(hs, 'backupinfo'),
  }, x.body?.value ?? ''));
  return stanza;
}

/** null: nothing a PB client would get (Startalk converts a bodiless message only for typing/stat). */
export function stanzaToMessage(s: Element): ProtoMessage | null {
  const type = s.attrs.type ?? 'normal';
  const body = s.getChild('body');
  const now = Date.now();
  const envelope = (x: XmppMessage): ProtoMessage => ({
    signalType: OUTBOUND_SIGNALS[type] ?? SIGNAL.chat,
    from: s.attrs.from, to: s.attrs.to, realfrom: s.attrs.realfrom, realto: s.attrs.realto,
    originfrom: s.attrs.originfrom, originto: s.attrs.originto, origintype: s.attrs.origintype, sendjid: s.attrs.sendjid,
    message: PB.XmppMessage.encode(x).finish(),
  });
  if (!body) {
    if (type !== 'typing' && type !== 'stat') return null;
    return envelope({ messageType: 1, clientType: CLIENT_TYPE_PC, clientVersion: 0, messageId: '', body: { value: '' }, receivedTime: now });
  }
  const a = s.attrs;
  const b = body.attrs;
  const error = type === 'error' ? s.getChild('error')?.attrs.code ?? '0' : undefined;
  const clientType = CLIENT_NAMES.indexOf(a.client_type ?? '');
  return envelope({
    messageType: Number(b.msgType ?? 1) || 1,
    clientType: clientType > 0 ? clientType : Number(b.maType) > 0 && Number(b.maType) <= 6 ? Number(b.maType) : CLIENT_TYPE_PC,
    clientVersion: Number(a.client_ver ?? 0) || 0,
    messageId: b.id ?? `http_${randomInt(1, 65536)}${now}`,
    receivedTime: Number(a.msec_times) || now,
    body: {
      value: body.getText(),
      headers: [
        ...header('qchatid', a.qchatid),
        // COMPAT: Startalk reads channelid from <body> on the way out but writes it on <message> on the way in (§2.4); both are read here.
        ...header('channelid', b.channelid ?? a.channelid),
        ...headers({ extendInfo: b.extendInfo, backupinfo: b.backupinfo, read_type: a.read_type, auto_reply: a.auto_reply, errcode: error }),
        ...header('carbon_message', a.carbon_message),
      ],
    },
  });
}
