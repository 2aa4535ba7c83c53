// PROTOCOL.md §2.3 step 9 and §2.4 presences, §4.6 notify presences: PresenceMessage <->
// <presence>, as Startalk's ejabberd_pb2xml_presence / ejabberd_xml2pb_presence do.
import type { Element } from 'ltx';
import { el } from '../../xml.js';
import { headerName, headers } from './headers.js';
import { PB, PRESENCE_KEY, SIGNAL, type KeyedMessage, type MessageBody, type ProtoMessage } from './schema.js';

const MUC = 'http://jabber.org/protocol';
export const NOTIFY_NS = 'jabber:x:presence_notify';

/** null: a presence the server ignores (friend verification and the like are not served). */
export function presenceToStanza(pm: ProtoMessage): Element | null {
  const p = PB.PresenceMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as KeyedMessage;
  if (p.definedKey === PRESENCE_KEY.notify) {
    return el('presence', { to: pm.to || undefined, type: 'notify', category: p.categoryType ?? 0, data: p.body?.value ?? '' },
      el('notify', { xmlns: NOTIFY_NS }));
  }
  const key = p.definedKey === PRESENCE_KEY.priority ? 'priority' : p.key;
  if (key === 'priority') return el('presence', {}, el('priority', {}, p.value ?? ''));
  if (key === 'status') {
    // Android: body headers show/priority become child elements
    const stanza = el('presence');
    for (const h of p.body?.headers ?? []) {
      const name = headerName(h);
      if (name) stanza.cnode(el(name, {}, h.value ?? ''));
    }
    return stanza;
  }
  return null;
}

function result(s: Element, value: string, body: MessageBody): ProtoMessage {
  return pb(s, { definedKey: PRESENCE_KEY.result, value, body });
}

function pb(s: Element, p: KeyedMessage): ProtoMessage {
  return {
    signalType: SIGNAL.presence, from: s.attrs.from, to: s.attrs.to,
    message: PB.PresenceMessage.encode({ messageId: '', receivedTime: Date.now(), ...p }).finish(),
  };
}

/** null: nothing a PB client would get (e.g. the XML-only time_key presence). */
export function stanzaToPresence(s: Element): ProtoMessage | null {
  const a = s.attrs;
  if (a.type === 'notify' && s.getChild('notify', NOTIFY_NS)) {
    // §4.6: key "result" and definedKey Notify, the category in categoryType
    return pb(s, { key: 'result', value: 'notify', definedKey: PRESENCE_KEY.notify, categoryType: Number(a.category ?? 1) || 1, body: { value: a.data ?? '' } });
  }
  switch (a.xmlns) {
    case `${MUC}/muc#invite`:
      return result(s, 'invite_user', { value: 'invite_info', headers: headers({ invite_jid: a.invite_jid, status: a.status }) });
    case `${MUC}/muc#del_register`:
      return result(s, 'del_muc_register', { value: 'del_muc_register', headers: headers({ del_jid: a.del_jid }) });
    case `${MUC}/muc#vcard_update`: {
      // COMPAT: "vcard_updte" is Startalk's element name
      const v = s.getChild('vcard_updte')?.attrs ?? {};
      return result(s, 'update_muc_vcard', { value: 'update_muc_vcard', headers: headers({ nick: v.nick, desc: v.desc, title: v.title, pic: v.pic, version: v.version }) });
    }
    case `${MUC}/muc#muc_forbidden_words`:
      return result(s, 'forbidden_words', { value: 'forbidden_words', headers: headers({ forbidden_words: a.forbidden_words }) });
  }
  const x = s.getChild('x', `${MUC}/muc#user`);
  if (x) {
    const item = x.getChild('item')?.attrs ?? {};
    if (a.type !== 'unavailable') {
      return result(s, 'user_join_muc', { value: 'user_info', headers: headers({ jid: item.jid ?? item.real_jid, affiliation: item.affiliation, domain: item.domain }) });
    }
    // COMPAT: "destory_muc" is Startalk's spelling
    if (x.getChild('destroy')) return result(s, 'destory_muc', { value: 'item', headers: headers({ affiliation: item.affiliation, role: item.role }) });
    return result(s, 'del_muc_user', { value: 'item', headers: headers({ affiliation: item.affiliation, role: item.role, code: x.getChild('status')?.attrs.code }) });
  }
  if (s.getChild('show')) {
    return result(s, 'update_user_status', { value: 'user_update_status', headers: headers({ show: s.getChildText('show'), priority: s.getChildText('priority') }) });
  }
  return null;
}
