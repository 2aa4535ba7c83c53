// Startalk's search service, POST /py/search (../shared/startalk/PROTOCOL.md §10, §6.8):
// people, groups, shared groups, history and files as Startalk's labelled result groups.
// It checks the user itself, as the Flask service did: cKey in the body (or the q_ckey
// cookie), whose user must be qtalkId.
import type { User } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';
import type { SearchHit, SearchKind } from '../core/search/types.js';
import { roomJid, userJid } from '../startalk/address.js';
import { parseFileMessageJson } from '../startalk/file-message.js';
import { ckeyFrom, verifyCKey } from './ckey.js';
import { ERR, LegacyError, num, str } from './http.js';
import type { LegacyDeps, LegacyRoute } from './router.js';

const BIT = { users: 1, groups: 2, shared: 4, direct: 8, group: 16, files: 32 } as const;
/** COMPAT: the old `groupId` parameter instead of `action` */
const LEGACY_GROUP_ID: Record<string, number> = { '': 7, Q01: 1, Q02: 2, Q07: 4 };

export function searchRoutes(deps: LegacyDeps): LegacyRoute[] {
  return [{
    path: '/py/search',
    auth: 'none', // checked below: the cKey may be in the body
    handle: async ({ req, body, url }) => {
      const field = (k: string) => str(body, k) ?? url.searchParams.get(k) ?? undefined;
      const user = await checkUser(deps.core, deps.domain, field('cKey') ?? ckeyFrom(req), field('qtalkId'));
      const key = (field('key') ?? '').trim().slice(0, 20); // COMPAT: Startalk cuts the key to 20
      if ([...key].length < 2) throw new LegacyError(ERR.BAD_INPUT, 'key must have at least 2 characters');
      let action = num(body, 'action') ?? (url.searchParams.has('action') ? Number(url.searchParams.get('action')) : undefined);
      if (action === undefined || !Number.isInteger(action)) action = LEGACY_GROUP_ID[field('groupId') ?? ''] ?? 7;
      if (action === 63) action = 31; // COMPAT: "everything" from old clients leaves files out
      const start = Math.max(0, Math.floor(num(body, 'start') ?? 0));
      const length = Math.max(1, Math.min(Math.floor(num(body, 'length') ?? 5), 100));
      const section = (kind: SearchKind, only?: { conversationKind?: 'direct' | 'group' }) =>
        deps.core.search.section(user, kind, key, start, length, only);

      const out: unknown[] = [];
      if (action & BIT.users) {
        const p = await section('user');
        out.push(group('联系人列表', 'Q01', 0, 0, p.hasMore, p.items.map((h) => userInfo(h))));
      }
      if (action & BIT.groups) {
        const p = await section('group');
        out.push(group('群组列表', 'Q02', 1, 1, p.hasMore, p.items.map((h) => groupInfo(h, deps.domain, ''))));
      }
      if (action & BIT.shared) {
        const p = await section('sharedGroup');
        const names = await deps.core.accounts.usersByIds(p.items.flatMap((h) => (h.kind === 'sharedGroup' ? h.withUserIds : [])));
        out.push(group('共同群组', 'Q07', 2, 1, p.hasMore, p.items.map((h) => groupInfo(h, deps.domain,
          h.kind === 'sharedGroup' ? h.withUserIds.map((id) => names.get(id)?.displayName ?? '').filter(Boolean).join('、') : ''))));
      }
      if (action & (BIT.direct | BIT.group)) {
        const both = (action & BIT.direct) && (action & BIT.group);
        const p = await section('message', both ? undefined : { conversationKind: action & BIT.direct ? 'direct' : 'group' });
        out.push(group('聊天记录', 'Q03', 3, 7, p.hasMore, await messageInfo(deps, p.items)));
      }
      if (action & BIT.files) {
        const p = await section('file');
        out.push(group('文件', 'Q04', 4, 7, p.hasMore, await messageInfo(deps, p.items)));
      }
      return out;
    },
  }];
}

/** The cKey's user, who must be qtalkId; LegacyError 5000 otherwise (COMPAT: HTTP 200). */
function checkUser(core: Core, domain: string, raw: string | null | undefined, qtalkId: string | undefined): Promise<User> {
  return verifyCKey(core, domain, raw, (ck) => {
    const [qName, qDomain] = (qtalkId ?? '').trim().toLowerCase().split('@', 2);
    if (!qName || qName !== ck.u.toLowerCase().split('@')[0] || (qDomain && qDomain !== domain)) {
      throw new LegacyError(ERR.FORBIDDEN, 'qtalkId does not match the ckey');
    }
  });
}

function group(label: string, id: string, priority: number, todoType: number, hasMore: boolean, info: unknown[]) {
  return { groupLabel: label, groupId: id, groupPriority: priority, todoType, defaultportrait: '', hasMore, info };
}

function userInfo(h: SearchHit) {
  if (h.kind !== 'user') return {};
  const u = h.user;
  return {
    uri: userJid(u), name: u.displayName, label: u.department ?? '', content: u.department ?? '',
    icon: u.avatarUrl ?? '', qtalkname: u.username,
  };
}

function groupInfo(h: SearchHit, domain: string, content: string) {
  if (h.kind !== 'group' && h.kind !== 'sharedGroup') return {};
  const c = h.card;
  return { uri: roomJid(c.roomName, domain), name: c.name, label: c.topic ?? '', content: content || (c.topic ?? ''), icon: c.pictureUrl ?? '' };
}

async function messageInfo(deps: LegacyDeps, hits: SearchHit[]) {
  const ids = hits.flatMap((h) => (h.kind === 'message' || h.kind === 'file' ? [h.match.message.senderId, h.match.peerId ?? ''] : []));
  const users = await deps.core.accounts.usersByIds([...new Set(ids.filter(Boolean))]);
  const jid = (id: string) => (users.get(id) ? userJid(users.get(id)!) : '');
  return hits.flatMap((h) => {
    if (h.kind !== 'message' && h.kind !== 'file') return [];
    const { message: m, peerId, groupName, conversationKind } = h.match;
    const direct = conversationKind === 'direct';
    const file = h.kind === 'file' ? fileOf(m.body) : null;
    return [{
      uri: direct ? jid(peerId ?? '') : roomJid(h.match.roomName ?? m.conversationId, deps.domain),
      name: direct ? (users.get(peerId ?? '')?.displayName ?? '') : (groupName ?? ''),
      label: users.get(m.senderId)?.displayName ?? '',
      content: file?.name ?? h.highlights[0]?.value ?? m.body,
      icon: '',
      from: jid(m.senderId),
      msgid: m.msgId,
      time: m.createdAt,
      mtype: direct ? 'chat' : 'groupchat',
      ...(file ? { fileurl: file.url } : {}),
    }];
  });
}

/** Startalk file bodies are JSON with FileName and HttpUrl. */
function fileOf(body: string): { name: string; url: string } | null {
  const j = parseFileMessageJson(body);
  if (!j) return null;
  return { name: typeof j.FileName === 'string' ? j.FileName : body, url: typeof j.HttpUrl === 'string' ? j.HttpUrl : '' };
}
