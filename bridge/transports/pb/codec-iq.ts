// PROTOCOL.md §2.4 IQs (§2.3 BIND/PING/GET_USER_KEY, §5 group IQs): IQMessage{key|definedKey}
// -> the XML IQ Startalk's ejabberd_pb2xml_iq builds, and IQ results back to IQMessage
// {definedKey 80, value:<tag>} the way ejabberd_xml2pb_iq does, typos included.
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import { conferenceHost } from '../../../src/startalk/address.js';
import { el, NS } from '../../xml.js';
import { headerName, headers } from './headers.js';
import { IQ_ERROR, IQ_KEYS, IQ_RESULT, PB, SIGNAL, type KeyedMessage, type MessageBody, type ProtoMessage } from './schema.js';

const MUC = 'http://jabber.org/protocol';
export const KEY_NS = 'urn:xmpp:key';
/** requests the client may still expect an answer to, by IQ id -> key (an empty result says nothing else) */
export type PendingIqs = Map<string, string>;
const MAX_PENDING = 256;

/** <name attr=…/> from a MessageBody: value is the element name, headers its attributes (make_attrs_xmlel). */
function attrsElement(b: MessageBody | undefined, fallback: string): Element {
  const attrs: Record<string, string> = {};
  for (const h of b?.headers ?? []) {
    const name = headerName(h);
    if (name) attrs[name] = h.value ?? '';
  }
  // COMPAT: Android sends the misspelt `read_jid`; Startalk's room reads it, then real_jid (§2.4).
  if (attrs.read_jid && !attrs.real_jid) attrs.real_jid = attrs.read_jid;
  return el(b?.value || fallback, attrs);
}

export function iqToStanza(pm: ProtoMessage, pending: PendingIqs, domain: string): Element {
  const iq = PB.IQMessage.decode(pm.message ?? new Uint8Array(0)) as unknown as KeyedMessage;
  const key = (iq.definedKey ? IQ_KEYS[iq.definedKey] : undefined) ?? iq.key ?? '';
  const id = iq.messageId || `PBIQ_${randomBytes(6).toString('hex')}`;
  if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!);
  pending.set(id, key);
  const to = pm.to || undefined;
  const make = (type: 'get' | 'set', child: Element, target = to) => el('iq', { type, id, to: target }, child);
  const query = (ns: string, ...children: Element[]) => el('query', { xmlns: `${MUC}/${ns}` }, ...children);
  switch (key) {
    case 'BIND': return make('set', el('bind', { xmlns: NS.bind }, el('resource', {}, iq.value ?? '')));
    case 'PING': return make('get', el('ping', { xmlns: NS.ping }));
    case 'GET_USER_KEY': return make('get', el('key', { xmlns: KEY_NS }));
    case 'CREATE_MUC': return make('set', query('create_muc'), iq.value || to); // the room JID rides in value
    case 'MUC_CREATE': return make('set', query('create_muc'));
    case 'MUC_INVITE_V2': return make('set', query('muc#invite_v2', ...(iq.bodys ?? []).map((b) => attrsElement(b, 'invite'))));
    case 'GET_MUC_USER': return make('get', query('muc#register'));
    case 'SET_MUC_USER': return make('set', query('muc#register'));
    case 'DEL_MUC_USER': return make('set', query('muc#del_register'));
    case 'SET_ADMIN': case 'SET_MEMBER': case 'CANCEL_MEMBER':
      return make('set', query('muc#admin', attrsElement(iq.body, 'item')));
    case 'DESTROY_MUC': return make('set', query('muc#owner', el('destroy')));
    case 'USER_MUCS': return make('get', query('muc#user_mucs'), to ?? conferenceHost(domain));
    case 'GET_FORBIDDEN_WORDS': return make('get', query('muc#muc_forbidden_words'));
    case 'SET_FORBIDDEN_WORDS': {
      const q = attrsElement({ value: 'query', headers: iq.body?.headers }, 'query');
      q.attrs.xmlns = `${MUC}/muc#muc_forbidden_words`;
      return make('set', q);
    }
    default:
      // Not mapped (friends, masks, push, virtual users): the router answers service-unavailable.
      return make('get', el('query', { xmlns: 'urn:startalk-next:pb:unmapped', key }));
  }
}

/** What an IQ result is called on the wire when it has no payload to tell (Startalk: an empty result is "ping"). */
const EMPTY_RESULT: Record<string, string> = {
  CREATE_MUC: 'create_muc', MUC_CREATE: 'create_muc', MUC_INVITE_V2: 'muc_invite_user_v2', GET_MUC_USER: 'muc_users',
  SET_MUC_USER: 'muc_set_register', DEL_MUC_USER: 'muc_del_register', SET_ADMIN: 'muc_admin', SET_MEMBER: 'muc_admin',
  CANCEL_MEMBER: 'muc_admin', DESTROY_MUC: 'desctroy_muc', USER_MUCS: 'user_mucs', GET_USER_KEY: 'get_key', BIND: 'bind',
};

const LEGACY_CODES: Record<string, string> = {
  'bad-request': '400', 'not-authorized': '401', forbidden: '403', 'item-not-found': '404', 'not-allowed': '405',
  conflict: '409', 'internal-server-error': '500', 'service-unavailable': '503', 'resource-constraint': '500',
};

function children(parent: Element | undefined, name: string, keys: string[], bodyValue: string): MessageBody[] {
  return (parent?.getChildren(name) ?? []).map((c) => ({
    value: bodyValue, headers: headers(Object.fromEntries(keys.map((k) => [k, c.attrs[k]]))),
  }));
}

type IqParts = { value?: string; body?: MessageBody; bodys?: MessageBody[] };
// COMPAT: "desctroy_muc" is Startalk's spelling; Android dispatches on it.
const DESTROYED: IqParts = { value: 'desctroy_muc', body: { value: 'desctroy_muc', headers: headers({ result: 'success' }) } };

function resultParts(s: Element, requested: string | undefined): IqParts | null {
  const child = s.children.find((c): c is Element => typeof c !== 'string');
  const ns = child?.attrs.xmlns ?? '';
  const q = child?.name === 'query' ? ns.replace(`${MUC}/`, '') : `${child?.name}|${ns}`;
  switch (q) {
    case `bind|${NS.bind}`:
      // §2.3 step 7: the bind result carries the session's HTTP key (ios23 refuses a login without key_value)
      return { value: 'bind', body: { value: child!.getChildText('jid') ?? '', headers: headers({ time_value: child!.attrs.time_value, key_value: child!.attrs.key_value }) } };
    case `key|${KEY_NS}`:
      return { value: 'get_key', body: { value: 'get_key', headers: headers({ time_key: Math.floor(Date.now() / 1000), key: child!.attrs.value }) } };
    case 'muc#user_mucs':
      return { value: 'user_mucs', bodys: children(child, 'muc_rooms', ['name', 'host'], 'muc_room') };
    case 'create_muc':
      return { value: 'create_muc', body: { value: child!.getChild('create_muc')?.attrs.result ?? 'success' } };
    case 'muc#invite_v2':
      return { value: 'muc_invite_user_v2', bodys: children(child, 'muc_invites', ['jid', 'status'], 'muc_invites') };
    case 'muc#register':
      return requested === 'SET_MUC_USER'
        ? { value: 'muc_set_register', body: { value: 'set_register' } }
        : { value: 'muc_users', bodys: children(child, 'm_user', ['jid', 'affiliation'], 'm_user') };
    case 'muc#del_register':
      return { value: 'muc_del_register', body: { value: 'del_register' } };
    case 'muc#admin':
      return { value: 'muc_admin' };
    case 'muc#owner':
      return DESTROYED;
    case 'muc#muc_forbidden_words': {
      const fw = child!.getChild('forbidden_words');
      return { value: 'forbidden_words', body: { value: 'forbidden_words', headers: headers({ result: fw?.attrs.forbidden || 'false' }) } };
    }
    default: {
      // COMPAT: results Startalk has no PB form for (the add_user/del_user pushes of §5) are not sent
      if (child) return null;
      const value = EMPTY_RESULT[requested ?? ''] ?? 'ping';
      if (value === 'desctroy_muc') return DESTROYED;
      if (value === 'create_muc') return { value, body: { value: 'success' } };
      if (value === 'muc_del_register') return { value, body: { value: 'del_register' } };
      return { value };
    }
  }
}

/** An IQ result or error for the client; null for IQs the server would send unasked (none reach PB clients). */
export function stanzaToIq(s: Element, pending: PendingIqs): ProtoMessage | null {
  const id = s.attrs.id ?? '';
  const requested = pending.get(id);
  pending.delete(id);
  let iq: KeyedMessage;
  if (s.attrs.type === 'error') {
    const err = s.getChild('error');
    const condition = err?.children.find((c): c is Element => typeof c !== 'string' && c.name !== 'text')?.name ?? 'undefined-condition';
    iq = { definedKey: IQ_ERROR, messageId: id, body: { value: 'error_info', headers: headers({
      code: err?.attrs.code ?? LEGACY_CODES[condition] ?? '500', data: err?.getChildText('text') ?? condition,
    }) } };
  } else if (s.attrs.type === 'result') {
    const parts = resultParts(s, requested);
    if (!parts) return null;
    iq = { definedKey: IQ_RESULT, messageId: id, ...parts };
  } else {
    return null;
  }
  return { signalType: SIGNAL.iq, from: s.attrs.from, to: s.attrs.to, message: PB.IQMessage.encode({ ...iq, receivedTime: Date.now() }).finish() };
}
