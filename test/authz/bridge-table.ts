// The bridge's IQ authorization matrix: for every IQ handler a module registers (by its router
// event, 'iq-<type>/<ns>:<child>'), the stanza a client sends and the outcome for each user:
// a room's owner, its admin, a member, a removed member and a stranger (a non-member).
import { xml } from '@xmpp/client';
import { expect } from 'vitest';
import type { Fx } from './fixtures.js';
import type { Stanza, XmppClient } from '../helpers/xmpp.js';

export const BRIDGE_PRINCIPALS = ['owner', 'gadmin', 'member', 'removed', 'stranger'] as const;
export type BridgePrincipal = (typeof BRIDGE_PRINCIPALS)[number];
/** ok: a result; refused: an error other than item-not-found; hidden: the very error an unknown room gets */
export type BridgeOutcome = 'ok' | 'refused' | 'hidden';

export interface BridgeFx extends Fx {
  room: string;
  xmpp: Record<BridgePrincipal, XmppClient>;
  /** the room name of a fresh group shaped like the shared one */
  freshRoom(): Promise<{ id: string; room: string }>;
}

export interface BridgeCase {
  event: string;
  label?: string;
  /** the IQ (without id), given the room it is about */
  iq: (b: BridgeFx, p: BridgePrincipal) => Promise<Stanza> | Stanza;
  /** the same IQ to a room that does not exist */
  missing?: (b: BridgeFx, p: BridgePrincipal) => Stanza;
  expect: Record<BridgePrincipal, BridgeOutcome>;
  check?: (b: BridgeFx, p: BridgePrincipal, res: Stanza, sent: Stanza) => void | Promise<void>;
}

const P = 'http://jabber.org/protocol/';
const CONF = 'conference.localhost';
const jid = (room: string) => `${room}@${CONF}`;
const all = (o: BridgeOutcome) => ({ owner: o, gadmin: o, member: o, removed: o, stranger: o });
const inRoom = (o: Partial<Record<BridgePrincipal, BridgeOutcome>> = {}) => ({ owner: 'ok', gadmin: 'ok', member: 'ok', removed: 'hidden', stranger: 'hidden', ...o }) as Record<BridgePrincipal, BridgeOutcome>;
const roomIq = (type: 'get' | 'set', ns: string, ...children: Stanza[]) => (room: string) => xml('iq', { type, to: jid(room) }, xml('query', { xmlns: ns }, ...children));

const inFresh = (build: (room: string) => Stanza) => async (b: BridgeFx) => build((await b.freshRoom()).room);
const inShared = (build: (room: string) => Stanza) => (b: BridgeFx) => build(b.room);
const nowhere = (build: (room: string) => Stanza) => () => build('nosuchroom');

const remove = roomIq('set', `${P}muc#admin`, xml('item', { real_jid: 'bystander@localhost', role: 'none' }));
const invite = roomIq('set', `${P}muc#invite_v2`, xml('invite', { jid: 'admin@localhost' }));
const leave = roomIq('set', `${P}muc#del_register`);
const destroy = roomIq('set', `${P}muc#owner`, xml('destroy'));
const members = roomIq('get', `${P}muc#register`);
const register = roomIq('set', `${P}muc#register`);

export const BRIDGE_CASES: BridgeCase[] = [
  // the session's own things: the same for everyone
  { event: 'iq-get/urn:xmpp:ping:ping', iq: () => xml('iq', { type: 'get' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), expect: all('ok') },
  { event: 'iq-get/http://jabber.org/protocol/disco#info:query', iq: () => xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: `${P}disco#info` })), expect: all('ok') },
  { event: `iq-get/${P}disco#items:query`, iq: () => xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: `${P}disco#items` })), expect: all('ok') },
  { event: 'iq-set/urn:ietf:params:xml:ns:xmpp-session:session', iq: () => xml('iq', { type: 'set' }, xml('session', { xmlns: 'urn:ietf:params:xml:ns:xmpp-session' })), expect: all('ok') },
  { event: 'iq-get/urn:xmpp:key:key', iq: () => xml('iq', { type: 'get' }, xml('key', { xmlns: 'urn:xmpp:key' })), expect: all('ok') },
  { event: 'iq-get/jabber:iq:roster:query', iq: () => xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })), expect: all('ok') },
  {
    event: 'iq-set/jabber:iq:roster:query', expect: all('refused'),
    iq: () => xml('iq', { type: 'set' }, xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: 'owner@localhost' }))),
  },
  { event: 'iq-set/urn:xmpp:carbons:2:enable', iq: () => xml('iq', { type: 'set' }, xml('enable', { xmlns: 'urn:xmpp:carbons:2' })), expect: all('ok') },
  { event: 'iq-set/urn:xmpp:carbons:2:disable', iq: () => xml('iq', { type: 'set' }, xml('disable', { xmlns: 'urn:xmpp:carbons:2' })), expect: all('ok') },
  // a bound session cannot bind again, whoever asks
  {
    event: 'iq-set/urn:ietf:params:xml:ns:xmpp-bind:bind', expect: all('refused'),
    iq: () => xml('iq', { type: 'set' }, xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, xml('resource', {}, 'again'))),
  },
  {
    event: 'iq-set/urn:xmpp:mam:2:query', label: "with gadmin (or owner): only their own 1:1 shows", expect: all('ok'),
    iq: (_b, p) => xml('iq', { type: 'set' }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: `q${Math.random().toString(36).slice(2)}` },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, xml('field', { var: 'with' }, xml('value', {}, p === 'gadmin' ? 'owner@localhost' : 'gadmin@localhost'))))),
    check: (b, p, _res, sent) => {
      const qid = sent.getChild('query')!.attrs.queryid;
      const bodies = b.xmpp[p].stanzas.filter((s) => s.getChild('result')?.attrs.queryid === qid).map((s) => s.toString());
      expect(bodies.some((x) => x.includes('just us'))).toBe(p === 'owner' || p === 'gadmin');
    },
  },
  {
    event: `iq-get/${P}muc#user_mucs:query`, expect: all('ok'),
    iq: () => xml('iq', { type: 'get', to: CONF }, xml('query', { xmlns: `${P}muc#user_mucs` })),
    check: (b, p, res) => {
      const rooms = res.getChild('query')!.getChildren('muc_rooms').map((r: Stanza) => r.attrs.name);
      expect(rooms.includes(b.room)).toBe(p !== 'removed' && p !== 'stranger');
    },
  },
  {
    event: `iq-set/${P}create_muc:query`, expect: all('ok'),
    iq: () => xml('iq', { type: 'set', to: jid(`new${Date.now()}${Math.random().toString(36).slice(2, 8)}`) }, xml('query', { xmlns: `${P}create_muc` })),
  },

  // a room's things: outsiders get exactly what an unknown room gets
  { event: `iq-get/${P}muc#register:query`, iq: inShared(members), missing: nowhere(members), expect: inRoom() },
  { event: `iq-set/${P}muc#register:query`, iq: inShared(register), missing: nowhere(register), expect: inRoom() },
  { event: `iq-set/${P}muc#invite_v2:query`, iq: inFresh(invite), missing: nowhere(invite), expect: inRoom() },
  { event: `iq-set/${P}muc#del_register:query`, iq: inFresh(leave), missing: nowhere(leave), expect: inRoom() },
  { event: `iq-set/${P}muc#admin:query`, iq: inFresh(remove), missing: nowhere(remove), expect: inRoom({ member: 'refused' }) },
  {
    event: `iq-set/${P}muc#admin:query`, label: 'gadmin demoted just before', missing: nowhere(remove), expect: inRoom({ gadmin: 'refused', member: 'refused' }),
    iq: async (b) => {
      const { id: g, room } = await b.freshRoom();
      await b.ok('owner', 'mutation($g:ID!){ setGroupRole(groupId:$g, user:"gadmin", role:MEMBER){ id } }', { g });
      return remove(room);
    },
  },
  { event: `iq-set/${P}muc#owner:query`, iq: inFresh(destroy), missing: nowhere(destroy), expect: inRoom({ gadmin: 'refused', member: 'refused' }) },
];
