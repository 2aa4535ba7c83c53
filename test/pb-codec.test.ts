// The PB <-> stanza codec of PROTOCOL.md §2.4 without a server: the group IQs must become
// the exact XML IQ forms of §5 (the XML group handlers answer both transports), and the
// results, presences and messages those handlers send must come back in Startalk's PB form.
import { describe, expect, it } from 'vitest';
import { PbCodec } from '../bridge/transports/pb/codec.js';
import { PB } from '../bridge/transports/pb/schema.js';
import { el } from '../bridge/xml.js';

const MUC = 'http://jabber.org/protocol';
const ROOM = 'r1@conference.localhost';

function iqFrame(fields: Record<string, unknown>, to?: string) {
  return { signalType: 2, to, message: PB.IQMessage.encode(PB.IQMessage.fromObject({ messageId: 'q1', ...fields })).finish() };
}
const decode = (type: keyof typeof PB, bytes?: Uint8Array) => PB[type].toObject(PB[type].decode(bytes!), { longs: Number }) as any;

describe('PB IQs -> the XML IQ forms of §5', () => {
  const cases: [string, Record<string, unknown>, string | undefined, string][] = [
    ['CREATE_MUC', { key: 'CREATE_MUC', value: ROOM }, undefined,
      `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/create_muc"/></iq>`],
    ['MUC_CREATE', { definedKey: 3 }, ROOM, `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/create_muc"/></iq>`],
    ['MUC_INVITE_V2', { definedKey: 4, bodys: [
      { value: 'invite', headers: [{ key: 'jid', value: 'a@localhost' }] },
      { value: 'invite', headers: [{ definedKey: 7, value: 'b@localhost' }] },
    ] }, ROOM, `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#invite_v2"><invite jid="a@localhost"/><invite jid="b@localhost"/></query></iq>`],
    ['GET_MUC_USER', { definedKey: 5 }, ROOM, `<iq type="get" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#register"/></iq>`],
    ['SET_MUC_USER', { key: 'SET_MUC_USER' }, ROOM, `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#register"/></iq>`],
    ['DEL_MUC_USER', { definedKey: 7 }, ROOM, `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#del_register"/></iq>`],
    ['SET_ADMIN (Android read_jid)', { definedKey: 28, body: { value: 'item', headers: [{ key: 'read_jid', value: 'a@localhost' }, { definedKey: 12, value: 'A' }, { definedKey: 28, value: 'admin' }] } }, ROOM,
      `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#admin"><item read_jid="a@localhost" nick="A" affiliation="admin" real_jid="a@localhost"/></query></iq>`],
    ['CANCEL_MEMBER', { key: 'CANCEL_MEMBER', body: { value: 'item', headers: [{ definedKey: 8, value: 'b@localhost' }, { definedKey: 36, value: 'none' }] } }, ROOM,
      `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#admin"><item real_jid="b@localhost" role="none"/></query></iq>`],
    ['DESTROY_MUC', { definedKey: 40 }, ROOM, `<iq type="set" id="q1" to="${ROOM}"><query xmlns="${MUC}/muc#owner"><destroy/></query></iq>`],
    ['USER_MUCS', { definedKey: 36 }, undefined, `<iq type="get" id="q1" to="conference.localhost"><query xmlns="${MUC}/muc#user_mucs"/></iq>`],
    ['PING', { key: 'PING' }, undefined, '<iq type="get" id="q1"><ping xmlns="urn:xmpp:ping"/></iq>'],
    ['BIND', { definedKey: 1, value: 'V[1]_P[iOS]' }, undefined, '<iq type="set" id="q1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>V[1]_P[iOS]</resource></bind></iq>'],
    ['GET_USER_KEY', { definedKey: 20 }, undefined, '<iq type="get" id="q1"><key xmlns="urn:xmpp:key"/></iq>'],
  ];
  for (const [name, fields, to, xml] of cases) {
    it(name, () => expect(new PbCodec('localhost').inbound(iqFrame(fields, to))!.toString()).toBe(xml));
  }
});

describe('XML IQ results -> PB (value tags of §2.4)', () => {
  const answer = (request: Record<string, unknown>, result: ReturnType<typeof el>) => {
    const codec = new PbCodec('localhost');
    codec.inbound(iqFrame(request, ROOM));
    return decode('IQMessage', codec.outbound(result)!.message);
  };
  const res = (...c: ReturnType<typeof el>[]) => el('iq', { type: 'result', id: 'q1', from: ROOM }, ...c);

  it('create_muc, with or without a payload', () => {
    expect(answer({ definedKey: 2, value: ROOM }, res(el('query', { xmlns: `${MUC}/create_muc` }, el('create_muc', { result: 'success' })))))
      .toMatchObject({ definedKey: 80, messageId: 'q1', value: 'create_muc', body: { value: 'success' } });
    expect(answer({ definedKey: 2, value: ROOM }, res())).toMatchObject({ value: 'create_muc', body: { value: 'success' } });
  });
  it('muc_users with numeric jid/affiliation headers; muc_invite_user_v2; user_mucs', () => {
    const users = answer({ definedKey: 5 }, res(el('query', { xmlns: `${MUC}/muc#register` },
      el('m_user', { jid: 'a@localhost', affiliation: 'owner' }), el('m_user', { jid: 'b@localhost' }))));
    expect(users).toMatchObject({ value: 'muc_users', bodys: [
      { value: 'm_user', headers: [{ definedKey: 7, value: 'a@localhost' }, { definedKey: 28, value: 'owner' }] },
      { value: 'm_user', headers: [{ definedKey: 7, value: 'b@localhost' }] },
    ] });
    expect(answer({ definedKey: 4 }, res(el('query', { xmlns: `${MUC}/muc#invite_v2` }, el('muc_invites', { jid: 'a@localhost', status: '0' })))))
      .toMatchObject({ value: 'muc_invite_user_v2', bodys: [{ value: 'muc_invites', headers: [{ definedKey: 7 }, { definedKey: 40, value: '0' }] }] });
    expect(answer({ definedKey: 36 }, res(el('query', { xmlns: `${MUC}/muc#user_mucs` }, el('muc_rooms', { name: 'r1', host: 'conference.localhost' })))))
      .toMatchObject({ value: 'user_mucs', bodys: [{ value: 'muc_room', headers: [{ definedKey: 56, value: 'r1' }, { definedKey: 58, value: 'conference.localhost' }] }] });
  });
  it('empty results take their tag from the request (Startalk would call them all "ping")', () => {
    expect(answer({ definedKey: 40 }, res())).toMatchObject({ value: 'desctroy_muc', body: { value: 'desctroy_muc', headers: [{ definedKey: 32, value: 'success' }] } });
    expect(answer({ definedKey: 28, body: { value: 'item' } }, res())).toMatchObject({ value: 'muc_admin' });
    expect(answer({ definedKey: 7 }, res())).toMatchObject({ value: 'muc_del_register' });
    expect(answer({ definedKey: 6 }, res())).toMatchObject({ value: 'muc_set_register' });
    expect(answer({ key: 'PING' }, res())).toMatchObject({ value: 'ping' });
  });
  it('pushes with no PB form (add_user) are not sent', () => {
    expect(new PbCodec('localhost').outbound(el('iq', { type: 'result', from: ROOM }, el('add_user', { xmlns: `${MUC}/muc#add_user` })))).toBeNull();
  });
  it('errors become definedKey 90 with error_info code/data', () => {
    const err = el('iq', { type: 'error', id: 'q1' }, el('error', { type: 'cancel' }, el('forbidden', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }), el('text', {}, 'owner only')));
    expect(answer({ definedKey: 40 }, err)).toMatchObject({ definedKey: 90, messageId: 'q1', body: { value: 'error_info', headers: [{ definedKey: 42, value: '403' }, { key: 'data', value: 'owner only' }] } });
  });
});

describe('presences and messages to PB', () => {
  const out = (s: ReturnType<typeof el>) => new PbCodec('localhost').outbound(s)!;
  it('group notices and notify presences (§2.4 table, §4.6)', () => {
    const inv = decode('PresenceMessage', out(el('presence', { xmlns: `${MUC}/muc#invite`, from: ROOM, invite_jid: 'a@localhost', status: '0' })).message);
    expect(inv).toMatchObject({ definedKey: 6, value: 'invite_user', body: { value: 'invite_info', headers: [{ definedKey: 9, value: 'a@localhost' }, { definedKey: 40, value: '0' }] } });
    const del = decode('PresenceMessage', out(el('presence', { xmlns: `${MUC}/muc#del_register`, from: ROOM, del_jid: 'a@localhost' })).message);
    expect(del).toMatchObject({ value: 'del_muc_register', body: { headers: [{ definedKey: 10, value: 'a@localhost' }] } });
    const gone = decode('PresenceMessage', out(el('presence', { type: 'unavailable', from: ROOM }, el('x', { xmlns: `${MUC}/muc#user` }, el('item', { affiliation: 'none', role: 'none' }), el('destroy')))).message);
    expect(gone.value).toBe('destory_muc');
    const n = decode('PresenceMessage', out(el('presence', { type: 'notify', category: 2, data: '{}' }, el('notify', { xmlns: 'jabber:x:presence_notify' }))).message);
    expect(n).toMatchObject({ key: 'result', value: 'notify', definedKey: 7, categoryType: 2, body: { value: '{}' } });
    expect(new PbCodec('localhost').outbound(el('presence', { xmlns: 'config:xmpp:time_key', key_value: 'k' }))).toBeNull();
  });
  it('a group message carries sendjid and realfrom; readmark and carbon headers are numeric', () => {
    const g = out(el('message', { type: 'groupchat', from: `${ROOM}/a_localhost`, to: 'b@localhost', sendjid: 'a@localhost', realfrom: 'a@localhost', msec_times: 123 },
      el('body', { id: 'g1', msgType: '1' }, 'hi all')));
    expect(g).toMatchObject({ signalType: 7, sendjid: 'a@localhost', realfrom: 'a@localhost', from: `${ROOM}/a_localhost` });
    expect(decode('XmppMessage', g.message)).toMatchObject({ messageType: 1, clientType: 3, clientVersion: 0, messageId: 'g1', receivedTime: 123, body: { value: 'hi all' } });
    const rm = out(el('message', { type: 'readmark', read_type: '4', carbon_message: 'true' }, el('body', {}, '[{"id":"x"}]')));
    const x = decode('XmppMessage', rm.message);
    expect(rm.signalType).toBe(13);
    expect(x.messageId).toMatch(/^http_/);
    expect(x.body.headers).toEqual([{ definedKey: 5, value: '4' }, { definedKey: 72, value: 'true' }]);
    // a message to PB with a negative msgType is a 10-byte varint (§2.2)
    expect(decode('XmppMessage', out(el('message', { type: 'revoke' }, el('body', { id: 'r', msgType: '-1' }, '{}'))).message).messageType).toBe(-1);
  });
  it('a client groupchat frame becomes <message type="groupchat"> to the room', () => {
    const x = PB.XmppMessage.encode({ messageType: 1, clientType: 4, clientVersion: 7, messageId: 'm1', body: { value: 'yo', headers: [{ definedKey: 4, value: 'b' }] } }).finish();
    expect(new PbCodec('localhost').inbound({ signalType: 7, to: ROOM, from: 'spoof@localhost', message: x })!.toString())
      .toBe(`<message to="${ROOM}" type="groupchat" client_type="ClientTypeAndroid" client_ver="7"><body id="m1" msgType="1" backupinfo="b">yo</body></message>`);
  });
});
