// The legacy HTTP authorization matrix: for every route of src/legacy (by its ihs path), a
// request about `owner`'s things and the expected outcome with no credentials, with a stranger's
// q_ckey (the wrong user), with owner's q_ckey, and with the admin API key alone.
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { rsaEncrypt } from '../helpers/legacy-client.js';
import { PASSWORD, type Fx } from './fixtures.js';

/** forged: a q_ckey naming owner, built with a stranger's session key */
export type LegacyPrincipal = 'none' | 'other' | 'self' | 'adminKey' | 'forged';
export const LEGACY_PRINCIPALS: LegacyPrincipal[] = ['none', 'other', 'self', 'adminKey', 'forged'];
/** ok: answered; refused: an auth refusal (ckey/ukey errcode, 401/403); hidden: as for a room that does not exist */
export type LegacyOutcome = 'ok' | 'refused' | 'hidden';

export interface LegacyFx extends Fx {
  room: string;
  /** owner's file, as its download path (no signature) */
  filePath: string;
  adminApiKey: string;
}

export interface LegacyRequest {
  method?: 'GET' | 'POST' | 'PUT';
  /** served path with query */
  url: string;
  body?: unknown;
}

export interface LegacyCase {
  /** the route's path as declared (src/legacy) */
  route: string;
  /** ckey: the q_ckey of the caller (for routes that take it in the body) */
  req: (l: LegacyFx, ckey: string | undefined) => LegacyRequest | Promise<LegacyRequest>;
  missing?: (l: LegacyFx, ckey: string | undefined) => LegacyRequest;
  expect: Record<LegacyPrincipal, LegacyOutcome>;
  check?: (l: LegacyFx, p: LegacyPrincipal, body: any) => void;
}

/** the room name of a fresh group (shaped like the shared one) */
const roomOf = async (l: LegacyFx) =>
  (await l.ok('owner', 'query($g:ID!){ group(id:$g){ card { roomName } } }', { g: await l.freshGroup() })).group.card.roomName as string;
/** a forged q_ckey is worth exactly no credentials */
const row = (none: LegacyOutcome, other: LegacyOutcome, self: LegacyOutcome, adminKey: LegacyOutcome) => ({ none, other, self, adminKey, forged: none });
/** q_ckey routes whose request names owner: only owner's q_ckey */
const ownerOnly = row('refused', 'refused', 'ok', 'refused');
/** q_ckey routes about the caller alone: any user's q_ckey */
const anyCkey = row('refused', 'ok', 'ok', 'refused');
const adminOnly = row('refused', 'refused', 'refused', 'ok');
const open = row('ok', 'ok', 'ok', 'ok');
const N = '/newapi/';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082', 'hex');
const upload = (kind: string): LegacyCase => ({
  route: `/file/v2/upload/${kind}`,
  req: () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(PNG)], { type: 'image/png' }), 'dot.png');
    return { method: 'POST', url: `/file/v2/upload/${kind}?key=${createHash('md5').update(PNG).digest('hex')}&name=dot.png`, body: form };
  },
  expect: anyCkey,
});

const push = (name: string, query: string): LegacyCase[] => ['/package/push/qtapi/token/', '/push_service/qtapi/token/'].map((prefix) => ({
  route: prefix + name, req: () => ({ method: 'GET', url: `${prefix}${name}?username=owner&${query}` }), expect: ownerOnly,
}));

export const LEGACY_CASES: LegacyCase[] = [
  // navigation and login: public
  { route: 'nck/qtalk_nav.qunar', req: () => ({ method: 'GET', url: `${N}nck/qtalk_nav.qunar` }), expect: open },
  { route: '/startalk_nav', req: () => ({ method: 'GET', url: '/startalk_nav' }), expect: open },
  { route: '/newapi/nck/startalk_nav', req: () => ({ method: 'GET', url: '/newapi/nck/startalk_nav' }), expect: open },
  { route: 'nck/rsa/get_public_key.do', req: () => ({ method: 'GET', url: `${N}nck/rsa/get_public_key.do` }), expect: open },
  {
    route: 'nck/qtlogin.qunar', req: () => ({ url: `${N}nck/qtlogin.qunar`, body: { u: 'owner', h: 'localhost', p: rsaEncrypt(PASSWORD), mk: 'm1' } }), expect: open,
  },
  { route: 'base/getservertime.qunar', req: () => ({ method: 'GET', url: `${N}base/getservertime.qunar` }), expect: anyCkey },

  // history
  { route: 'gethistory.qunar', req: () => ({ url: `${N}gethistory.qunar`, body: { user: 'owner', time: 0 } }), expect: ownerOnly },
  { route: 'getmuchistory.qunar', req: () => ({ url: `${N}getmuchistory.qunar`, body: { user: 'owner', time: 0 } }), expect: ownerOnly },
  { route: 'getmuchistory_v2.qunar', req: () => ({ url: `${N}getmuchistory_v2.qunar`, body: { user: 'owner', time: 0 } }), expect: ownerOnly },
  { route: 'getmsgs.qunar', req: () => ({ url: `${N}getmsgs.qunar`, body: { from: 'owner', to: 'gadmin', num: 10 } }), expect: ownerOnly },
  {
    route: 'getmucmsgs.qunar', req: (l) => ({ url: `${N}getmucmsgs.qunar`, body: { muc: l.room, num: 10 } }),
    missing: () => ({ url: `${N}getmucmsgs.qunar`, body: { muc: 'no-such-room', num: 10 } }), expect: row('refused', 'hidden', 'ok', 'refused'),
  },
  {
    route: 'getreadflag.qunar', req: () => ({ url: `${N}getreadflag.qunar`, body: { time: 0 } }), expect: anyCkey,
  },
  { route: 'get_muc_readmark1.qunar', req: () => ({ url: `${N}get_muc_readmark1.qunar`, body: { user: 'owner', time: 0 } }), expect: ownerOnly },
  { route: 'get_muc_readmark.qunar', req: () => ({ url: `${N}get_muc_readmark.qunar`, body: { user: 'owner' } }), expect: ownerOnly },
  { route: 'getrbl.qunar', req: () => ({ url: `${N}getrbl.qunar`, body: { user: 'owner' } }), expect: ownerOnly },

  // the directory: any user sees it
  { route: 'update/getUpdateUsers.qunar', req: () => ({ url: `${N}update/getUpdateUsers.qunar`, body: { version: 0 } }), expect: anyCkey },
  {
    route: 'domain/get_vcard_info.qunar', req: () => ({ url: `${N}domain/get_vcard_info.qunar`, body: [{ domain: 'localhost', users: [{ user: 'owner', version: -1 }] }] }),
    expect: anyCkey,
  },
  { route: 'domain/get_user_status.qunar', req: () => ({ url: `${N}domain/get_user_status.qunar`, body: { users: ['owner@localhost'] } }), expect: anyCkey },
  { route: 'domain/search_vcard.qunar', req: () => ({ method: 'GET', url: `${N}domain/search_vcard.qunar?keyword=own` }), expect: anyCkey },
  { route: 'profile/get_profile.qunar', req: () => ({ url: `${N}profile/get_profile.qunar`, body: { user: 'owner' } }), expect: anyCkey },
  { route: 'profile/set_profile.qunar', req: () => ({ url: `${N}profile/set_profile.qunar`, body: [{ user: 'owner', mood: 'fine' }] }), expect: ownerOnly },

  // settings
  {
    route: 'configuration/getincreclientconfig.qunar', req: () => ({ url: `${N}configuration/getincreclientconfig.qunar`, body: { username: 'owner', version: 0 } }),
    expect: ownerOnly,
  },
  {
    route: 'configuration/setclientconfig.qunar',
    req: () => ({ url: `${N}configuration/setclientconfig.qunar`, body: { username: 'owner', key: 'kStarContact', subkey: 'gadmin@localhost', value: '1' } }),
    expect: ownerOnly,
  },

  // groups
  { route: 'muc/get_increment_mucs.qunar', req: () => ({ url: `${N}muc/get_increment_mucs.qunar`, body: { u: 'owner', t: 0 } }), expect: ownerOnly },
  {
    route: 'muc/get_user_increment_muc_vcard.qunar', req: () => ({ url: `${N}muc/get_user_increment_muc_vcard.qunar`, body: { userid: 'owner', lastupdtime: 0 } }),
    expect: ownerOnly,
  },
  {
    route: 'muc/get_muc_vcard.qunar', req: (l) => ({ url: `${N}muc/get_muc_vcard.qunar`, body: [{ domain: 'conference.localhost', mucs: [{ muc_name: l.room, version: 0 }] }] }),
    expect: anyCkey,
    // someone else's group is left out, as an unknown one is
    check: (_l, p, b) => expect(b.data[0].mucs.length).toBe(p === 'self' ? 1 : 0),
  },
  {
    route: 'muc/set_muc_vcard.qunar', req: (l) => ({ url: `${N}muc/set_muc_vcard.qunar`, body: [{ muc_name: l.room, title: 'set over http' }] }),
    missing: () => ({ url: `${N}muc/set_muc_vcard.qunar`, body: [{ muc_name: 'no-such-room', title: 'set over http' }] }),
    expect: row('refused', 'hidden', 'ok', 'refused'),
  },

  // push registration
  ...push('setpersonmackey.qunar', 'mac_key=authz-device&platname=fcm&os=android'),
  ...push('delpersonmackey.qunar', 'mac_key=authz-device-2'),
  ...push('setmsgsettings.qunar', 'index=1&status=1'),
  ...push('getmsgsettings.qunar', ''),

  // search checks its cKey itself (body or cookie); its user must be qtalkId
  {
    route: '/py/search', req: (_l, ckey) => ({ url: '/py/search', body: { ...(ckey ? { cKey: ckey } : {}), qtalkId: 'owner', key: 'authz', action: 7 } }),
    expect: ownerOnly,
  },

  // files
  upload('img'), upload('file'), upload('avatar'),
  // COMPAT/documented: the content-addressed path is for signed-in users (File.path); signed URLs for anyone
  { route: '/file/v1/download/', req: (l) => ({ method: 'GET', url: l.filePath.replace('/file/v2/', '/file/v1/') }), expect: anyCkey },
  { route: '/file/v2/download/', req: (l) => ({ method: 'GET', url: l.filePath }), expect: anyCkey },
  // COMPAT: inverted, ret true means "not stored, upload it" (a key nobody uploaded)
  { route: '/file/v2/inspection/', req: () => ({ method: 'GET', url: `/file/v2/inspection/file?key=${'0'.repeat(32)}` }), expect: anyCkey },
  // presigned PUT: the signature is the credential; none here, so everyone is refused alike
  { route: '/files/upload/', req: () => ({ method: 'PUT', url: '/files/upload/1?e=1&s=x', body: 'x' }), expect: row('refused', 'refused', 'refused', 'refused') },

  // admin HTTP (/qtalk): the admin API key only, never a user's q_ckey
  { route: '/qtalk/send_message', req: () => ({ url: '/qtalk/send_message', body: { From: 'owner', To: [{ User: 'gadmin' }], Body: 'from a script', Type: 'chat' } }), expect: adminOnly },
  {
    route: '/qtalk/send_thirdmessage', req: () => ({ url: '/qtalk/send_thirdmessage', body: { from: 'owner', to: 'gadmin@localhost', message: '<message type="chat"><body>third</body></message>' } }),
    expect: adminOnly,
  },
  { route: '/qtalk/create_muc', req: () => ({ url: '/qtalk/create_muc', body: { muc_id: `r${Date.now()}${Math.random().toString(36).slice(2, 6)}`, muc_owner: 'owner' } }), expect: adminOnly },
  { route: '/qtalk/add_muc_user', req: (l) => ({ url: '/qtalk/add_muc_user', body: { muc_id: l.room, muc_owner: 'owner', muc_member: ['member'] } }), expect: adminOnly },
  { route: '/qtalk/del_muc_user', req: async (l) => ({ url: '/qtalk/del_muc_user', body: { muc_id: await roomOf(l), muc_owner: 'owner', muc_member: ['bystander'] } }), expect: adminOnly },
  {
    route: '/qtalk/destroy_muc', expect: adminOnly,
    req: async (l) => ({ url: '/qtalk/destroy_muc', body: { muc_id: await roomOf(l), muc_owner: 'owner' } }),
  },
  { route: '/qtalk/muc_users', req: (l) => ({ url: '/qtalk/muc_users', body: { muc_id: l.room } }), expect: adminOnly },
  { route: '/qtalk/send_notify', req: () => ({ url: '/qtalk/send_notify', body: { to: 'owner@localhost', category: 1, data: '{}' } }), expect: adminOnly },
  { route: '/qtalk/get_user_nick', req: () => ({ url: '/qtalk/get_user_nick', body: { ID: 'owner' } }), expect: adminOnly },
];
