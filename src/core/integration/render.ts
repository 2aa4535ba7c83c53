// Stream entries -> the documented integration JSON, usernames resolved through the caches
// (no database read per event once users and rooms are known).
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import type { GroupCard } from '../groups/types.js';
import type { GroupService } from '../groups/service.js';
import type { MessageService } from '../messages/service.js';
import type { StreamEvent } from './ports.js';
import type { GroupJson, IntegrationEvent, UserJson } from './types.js';

export interface RenderDeps {
  accounts: AccountService;
  messages: MessageService;
  groups: GroupService;
}

const userJson = (u: User | undefined, id: UserId): UserJson =>
  u ? { id: u.id, username: u.username, domain: u.domain, displayName: u.displayName } : { id, username: '', domain: '', displayName: '' };

const groupJson = (c: GroupCard): GroupJson => ({
  id: c.id, roomName: c.roomName, name: c.name, topic: c.topic, description: c.description, pictureUrl: c.pictureUrl,
  version: c.version, memberCount: c.memberCount, destroyed: c.destroyed,
});

export async function render(deps: RenderDeps, events: StreamEvent[]): Promise<IntegrationEvent[]> {
  const peers = new Map<string, UserId | null>();
  const ids = new Set<UserId>();
  for (const e of events) {
    if (e.kind === 'message.added') {
      ids.add(e.message.senderId);
      const peer = await deps.messages.recipientOf(e.message);
      peers.set(e.seq, peer);
      if (peer) ids.add(peer);
    } else if (e.kind === 'message.recalled') {
      ids.add(e.senderId).add(e.by);
    } else {
      ids.add(e.by);
      if (e.kind === 'group.members') for (const u of e.userIds) ids.add(u);
    }
  }
  const users = await deps.accounts.usersByIds([...ids]);
  const u = (id: UserId) => userJson(users.get(id), id);
  const out: IntegrationEvent[] = [];
  for (const e of events) {
    const base = { cursor: e.seq, kind: e.kind };
    switch (e.kind) {
      case 'message.added': {
        const m = e.message;
        const peer = peers.get(e.seq) ?? null;
        const room = peer ? null : await deps.groups.roomNameOf(m.conversationId);
        out.push({
          ...base, at: m.createdAt, conversationId: m.conversationId,
          message: {
            id: m.seq, msgId: m.msgId, conversationId: m.conversationId, conversationKind: peer ? 'direct' : 'group',
            from: u(m.senderId), to: peer ? u(peer) : null, group: room ? { id: m.conversationId, roomName: room } : null,
            msgType: m.msgType, body: m.body, extendInfo: m.extendInfo, backupInfo: m.backupInfo, createdAt: m.createdAt,
            recalled: m.recalledAt !== null,
          },
        });
        break;
      }
      case 'message.recalled':
        out.push({
          ...base, at: e.at, conversationId: e.conversationId,
          recall: { messageId: e.messageSeq, msgId: e.msgId, sender: u(e.senderId), by: u(e.by) },
        });
        break;
      case 'group.members':
        out.push({
          ...base, at: e.at, conversationId: e.conversationId, group: groupJson(e.card), by: u(e.by),
          members: { change: e.change, users: e.userIds.map(u), role: e.role ?? null },
        });
        break;
      default:
        out.push({ ...base, at: e.at, conversationId: e.conversationId, group: groupJson(e.card), by: u(e.by) });
    }
  }
  return out;
}
