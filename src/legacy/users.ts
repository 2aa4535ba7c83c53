// Users, cards, status and profile (../shared/startalk/PROTOCOL.md §6.3, §13 A.8).
import type { User } from '../core/accounts/types.js';
import { localPart, userAddress, userJid } from '../startalk/address.js';
import { RAW, type LegacyDeps, type LegacyRoute } from './router.js';
import { ERR, LegacyError, sendJson, str } from './http.js';

const ORG_PAGE = 10_000;
const MAX_CARDS = 1000;

/** COMPAT: Startalk's org-list entry (host_users), one-letter keys. */
function orgEntry(u: User) {
  return {
    U: u.username, N: u.displayName, D: u.department ?? '', pinyin: u.pinyin ?? '',
    sex: 0, uType: 'U', email: '', // not kept: 0 unknown, normal user
  };
}

function card(u: User) {
  const bare = userJid(u);
  return {
    type: 'U', loginName: u.username, email: '', gender: '0', nickname: u.displayName, webname: u.displayName,
    V: String(u.version), imageurl: u.avatarUrl ?? '', uid: u.id, username: u.username, domain: u.domain,
    commenturl: '', mood: u.mood ?? '', adminFlag: u.isAdmin ? '1' : '0', jid: bare,
  };
}

const SHOW_TO_STATUS: Record<string, string> = { online: 'online', chat: 'online', away: 'away', xa: 'away', dnd: 'busy' };

export function userRoutes(deps: LegacyDeps): LegacyRoute[] {
  const { core } = deps;
  return [
    {
      path: 'update/getUpdateUsers.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const version = str(body, 'version') ?? '0';
        const changes = await core.accounts.orgChanges(user, version, ORG_PAGE);
        return {
          update: changes.filter((c) => !c.user.frozen).map((c) => orgEntry(c.user)),
          // COMPAT: frozen (Startalk: hire_flag 0) users are listed for removal
          delete: changes.filter((c) => c.user.frozen).map((c) => orgEntry(c.user)),
          version: Number(changes.at(-1)?.orgVersion ?? version),
        };
      },
    },
    {
      path: 'domain/get_vcard_info.qunar',
      auth: 'ckey',
      handle: async ({ body }) => {
        if (!Array.isArray(body)) throw new LegacyError(ERR.BAD_INPUT, 'expected [{domain, users:[{user, version}]}]');
        let budget = MAX_CARDS;
        const out = [];
        for (const group of body) {
          const domain = str(group, 'domain')?.toLowerCase() ?? deps.domain;
          const wanted = (group as { users?: unknown }).users;
          const users = [];
          for (const w of Array.isArray(wanted) ? wanted : []) {
            if (--budget < 0) throw new LegacyError(ERR.BAD_INPUT, `at most ${MAX_CARDS} cards per call`);
            const name = str(w, 'user');
            if (!name) continue;
            const u = await core.accounts.findByAddress(userAddress(name, domain)).catch(() => null);
            // Only cards newer than the client's copy (version -1 / absent: always).
            if (u && u.version > Number(str(w, 'version') ?? -1)) users.push(card(u));
          }
          out.push({ domain, users });
        }
        return out;
      },
    },
    {
      path: 'domain/get_user_status.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const list = (body as { users?: unknown }).users;
        if (!Array.isArray(list)) throw new LegacyError(ERR.BAD_INPUT, 'expected {users:["user@domain", …]}');
        const ul: { u: string; o: string }[] = [];
        const names = list.filter((x): x is string => typeof x === 'string');
        for (let i = 0; i < names.length; i += 100) {
          const chunk = names.slice(i, i + 100);
          // Unknown names are skipped, not an error for the whole list.
          const known = (await Promise.all(chunk.map((n) => core.accounts.findByAddress(n).then(() => n, () => null)))).filter((n): n is string => !!n);
          const states = known.length ? await core.presence.presence(user, known) : [];
          known.forEach((n, j) => ul.push({ u: n, o: states[j]?.online ? SHOW_TO_STATUS[states[j]!.show ?? 'online'] ?? 'online' : 'offline' }));
        }
        return { ul };
      },
    },
    {
      // COMPAT: ejabberd's domain_search_vcard answered in its own envelope: {"ret":"1",
      // "message":"sucess" (sic), "data":[{domain, nickname, username}]}.
      path: 'domain/search_vcard.qunar',
      auth: 'ckey',
      handle: async ({ user, url, res }) => {
        const keyword = (url.searchParams.get('keyword') ?? '').trim();
        const hits = keyword ? (await core.search.section(user, 'user', keyword.slice(0, 100), 0, 20)).items : [];
        const data = hits.flatMap((h) => (h.kind === 'user' ? [{ domain: h.user.domain, nickname: h.user.displayName, username: h.user.username }] : []));
        sendJson(res, 200, { ret: '1', message: 'sucess', data });
        return RAW;
      },
    },
    {
      path: 'profile/get_profile.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const name = str(body, 'user') ?? user.username;
        const u = await core.accounts.findByAddress(userAddress(name, str(body, 'domain') ?? deps.domain));
        return { user: u.username, domain: u.domain, mood: u.mood ?? '', url: u.avatarUrl ?? '', version: String(u.version) };
      },
    },
    {
      path: 'profile/set_profile.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        const items = Array.isArray(body) ? body : [body];
        const out = [];
        for (const it of items.slice(0, 10)) {
          const name = str(it, 'user');
          // COMPAT: the list form allowed any user; only one's own profile can be set here.
          if (name && localPart(name).toLowerCase() !== user.username) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
          const u = await core.accounts.updateProfile(user, {
            ...(str(it, 'mood') !== undefined ? { mood: str(it, 'mood') } : {}),
            ...(str(it, 'url') !== undefined ? { avatarUrl: str(it, 'url') } : {}),
          });
          out.push({ user: u.username, domain: u.domain, mood: u.mood ?? '', url: u.avatarUrl ?? '', version: String(u.version) });
        }
        return out;
      },
    },
  ];
}
