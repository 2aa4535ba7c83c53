// Admin HTTP compatible with Startalk's internal interface (../shared/startalk/PROTOCOL.md §6.9,
// ejabberd :10050 /qtalk/<action>), so existing integration scripts keep working. Unlike
// Startalk's it is authenticated (ADMIN_API_KEY) and absent when no key is configured.
import { parse as parseXml, type Element } from 'ltx';
import type { User } from '../core/accounts/types.js';
import type { Message } from '../core/messages/types.js';
import { isRoomAddress, localPart, userAddress } from '../startalk/address.js';
import type { LegacyDeps, LegacyRoute } from './router.js';
import { ERR, LegacyError, required, str } from './http.js';
import type { RoomNames } from './room-names.js';
import { parseStartalkBody } from '../startalk/body.js';

const MAX_RECIPIENTS = 1000;

const sent = (m: Message) => ({ msgId: m.msgId, msec_times: String(m.createdAt) });

export function adminRoutes(deps: LegacyDeps, rooms: RoomNames): LegacyRoute[] {
  if (!deps.adminApiKey) return [];
  const { core } = deps;
  const at = (action: string) => `${deps.adminPath}/${action}`;
  const user = (name: string, host?: string) => core.accounts.findByAddress(userAddress(name, host ?? name.split('@')[1] ?? deps.domain));
  const group = async (name: string) => {
    const id = await rooms.group(localPart(name));
    if (!id) throw new LegacyError(ERR.NOT_FOUND, 'no such group');
    return id;
  };
  return [
    {
      // {"From","To":[{"User"}],"Body","Type":"chat|groupchat","Msg_Type","Host","Domain","Extend_Info"}
      path: at('send_message'),
      auth: 'admin',
      handle: async ({ body }) => {
        const from = await user(required(body, 'From'), str(body, 'Host'));
        const to = (body as { To?: unknown }).To;
        if (!Array.isArray(to) || to.length === 0) throw new LegacyError(ERR.BAD_INPUT, 'To must be [{"User": …}, …]');
        if (to.length > MAX_RECIPIENTS) throw new LegacyError(ERR.BAD_INPUT, `at most ${MAX_RECIPIENTS} recipients`);
        const input = {
          body: required(body, 'Body'), msgType: Number(str(body, 'Msg_Type') ?? 1), extendInfo: str(body, 'Extend_Info') ?? null,
        };
        const out = [];
        for (const t of to) {
          const name = str(t, 'User');
          if (!name) throw new LegacyError(ERR.BAD_INPUT, 'each To entry needs "User"');
          const m = str(body, 'Type') === 'groupchat'
            ? await core.messages.sendGroup(from, { ...input, groupId: await group(name) })
            : await core.messages.sendDirect(from, { ...input, to: userAddress(name, str(body, 'Domain') ?? name.split('@')[1] ?? deps.domain) });
          out.push({ to: name, ...sent(m) });
        }
        return out;
      },
    },
    {
      // {"from","to","message":"<message …><body …>…</body></message>"}: the stanza's body is sent as `from`.
      path: at('send_thirdmessage'),
      auth: 'admin',
      handle: async ({ body }) => {
        const from = await user(required(body, 'from'));
        const stanza = parseStanza(required(body, 'message'));
        const b = stanza.getChild('body');
        if (!b) throw new LegacyError(ERR.BAD_INPUT, 'the message has no <body>');
        const to = str(body, 'to') ?? stanza.attrs.to;
        if (!to) throw new LegacyError(ERR.BAD_INPUT, 'missing to');
        const { text, ...parsed } = parseStartalkBody(b);
        const input = { ...parsed, body: text };
        const m = stanza.attrs.type === 'groupchat' || isRoomAddress(to)
          ? await core.messages.sendGroup(from, { ...input, groupId: await group(to) })
          : await core.messages.sendDirect(from, { ...input, to: to.split('/', 1)[0]! });
        return sent(m);
      },
    },
    {
      // {muc_id, muc_owner, muc_domain, system, muc_name?, desc?}: the owner creates the room, then names it.
      path: at('create_muc'),
      auth: 'admin',
      handle: async ({ body }) => {
        const owner = await user(required(body, 'muc_owner'));
        const state = await core.groups.createRoom(owner, localPart(required(body, 'muc_id')));
        const name = str(body, 'muc_name');
        const desc = str(body, 'desc');
        if (name || desc) await core.groups.updateCard(owner, state.card.id, { ...(name ? { name } : {}), ...(desc ? { description: desc } : {}) });
        return { muc_id: state.card.roomName };
      },
    },
    {
      // {muc_id, muc_owner, muc_member:[…]}: acted by muc_owner, so the group's rules apply.
      path: at('add_muc_user'),
      auth: 'admin',
      handle: async ({ body }) => {
        const owner = await user(required(body, 'muc_owner'));
        const members = memberList(body);
        const state = await core.groups.invite(owner, await group(required(body, 'muc_id')), members);
        return { members: state.members.size };
      },
    },
    {
      path: at('del_muc_user'),
      auth: 'admin',
      handle: async ({ body }) => {
        const owner = await user(required(body, 'muc_owner'));
        const id = await group(required(body, 'muc_id'));
        for (const m of memberList(body)) await core.groups.remove(owner, id, m);
        return 'success';
      },
    },
    {
      path: at('destroy_muc'),
      auth: 'admin',
      handle: async ({ body }) => {
        const owner = await user(required(body, 'muc_owner'));
        await core.groups.destroy(owner, await group(required(body, 'muc_id')));
        return 'success';
      },
    },
    {
      // -> [{"U","H","N"}]
      path: at('muc_users'),
      auth: 'admin',
      handle: async ({ body }) => {
        const state = await core.groups.systemState(await group(required(body, 'muc_id')));
        const users = await core.accounts.usersByIds([...state.members.keys()]);
        return [...users.values()].map((u) => ({ U: u.username, H: u.domain, N: u.displayName }));
      },
    },
    {
      // {"from","to": "u@d" | ["u@d", …],"category","data"}
      path: at('send_notify'),
      auth: 'admin',
      handle: async ({ body }) => {
        const to = (body as { to?: unknown }).to;
        const list = typeof to === 'string' ? [to] : Array.isArray(to) ? to.filter((x): x is string => typeof x === 'string') : [];
        const category = Number(required(body, 'category'));
        return { users: await core.notify.system(list, category, str(body, 'data') ?? '') };
      },
    },
    {
      path: at('get_user_nick'),
      auth: 'admin',
      handle: async ({ body }) => {
        const u: User = await user(required(body, 'ID'), str(body, 'Domain'));
        return { Nick: u.displayName, Vcard: { url: u.avatarUrl ?? '', mood: u.mood ?? '', version: String(u.version) } };
      },
    },
  ];
}

/** muc_member as a list of "user" or "user@domain" strings (COMPAT: a single string is accepted too). */
function memberList(body: unknown): string[] {
  const m = (body as { muc_member?: unknown }).muc_member;
  const list = typeof m === 'string' ? [m] : Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
  if (list.length === 0) throw new LegacyError(ERR.BAD_INPUT, 'muc_member must list users');
  if (list.length > MAX_RECIPIENTS) throw new LegacyError(ERR.BAD_INPUT, `at most ${MAX_RECIPIENTS} members per call`);
  return list;
}

/** One <message/> from a string: no DTD, no processing instructions, bounded by the body limit. */
function parseStanza(xml: string): Element {
  if (/<!|<\?/.test(xml)) throw new LegacyError(ERR.BAD_INPUT, 'message must be a plain <message/> element');
  let el: Element;
  try {
    el = parseXml(xml) as Element;
  } catch {
    throw new LegacyError(ERR.BAD_INPUT, 'message is not well-formed XML');
  }
  if (el.name !== 'message') throw new LegacyError(ERR.BAD_INPUT, 'expected a <message/> element');
  return el;
}
