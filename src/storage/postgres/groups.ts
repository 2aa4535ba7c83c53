// GroupStore on PostgreSQL: every change runs as a stream op, so it is ordered with the
// messages around it and reads the member list under the stream lock.
import type { Pool, PoolClient } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import { notFound } from '../../core/errors.js';
import type { DomainEvent } from '../../core/events/types.js';
import type { Applied, GroupStore } from '../../core/groups/ports.js';
import type {
  CardPatch, GroupCard, GroupChange, GroupMember, GroupRole, GroupState, GroupSyncEntry, MembershipStatus,
} from '../../core/groups/types.js';
import { appendEvent, type StreamWriter } from './stream-writer.js';

interface CardRow {
  id: string; room_name: string | null; name: string | null; topic: string | null; description: string | null; picture_url: string | null;
  version: number; created_at: Date; destroyed_at: Date | null; member_count: string;
}

const CARD_COLUMNS = `c.id, c.room_name, c.name, c.topic, c.description, c.picture_url, c.version, c.created_at, c.destroyed_at,
  (SELECT count(*) FROM conversation_members x WHERE x.conversation_id = c.id) AS member_count`;

const toCard = (r: CardRow): GroupCard => ({
  id: r.id, roomName: r.room_name ?? r.id, name: r.name ?? '', topic: r.topic, description: r.description, pictureUrl: r.picture_url,
  version: r.version, createdAt: r.created_at.getTime(), destroyed: r.destroyed_at !== null, memberCount: Number(r.member_count),
});

async function loadState(q: Pool | PoolClient, id: string, lock: boolean): Promise<GroupState | null> {
  if (!/^\d{1,19}$/.test(id)) return null;
  const c = await q.query<CardRow>(
    `SELECT ${CARD_COLUMNS} FROM conversations c WHERE c.id = $1 AND c.kind = 'group'${lock ? ' FOR UPDATE' : ''}`, [id],
  );
  if (!c.rows[0]) return null;
  const m = await q.query<{ user_id: string; role: GroupRole; joined_at: Date }>(
    'SELECT user_id, role, joined_at FROM conversation_members WHERE conversation_id = $1', [id],
  );
  const members = new Map<UserId, GroupMember>(
    m.rows.map((r) => [r.user_id, { userId: r.user_id, role: r.role, joinedAt: r.joined_at }]),
  );
  return { card: toCard(c.rows[0]), members };
}

export class PgGroupStore implements GroupStore {
  constructor(private readonly pool: Pool, private readonly writer: StreamWriter) {}

  create(creator: UserId, card: Required<CardPatch>, memberIds: UserId[], roomName: string) {
    return this.writer.op(async (tx, alloc, now) => {
      // conversations_room_name_key: a taken name inserts nothing (and allocates no position)
      const c = await tx.query<{ id: string }>(
        `INSERT INTO conversations (kind, room_name, name, topic, description, picture_url, created_by)
         VALUES ('group', $1, $2, $3, $4, $5, $6) ON CONFLICT (room_name) DO NOTHING RETURNING id`,
        [roomName, card.name, card.topic, card.description, card.pictureUrl, creator],
      );
      if (!c.rows[0]) return null;
      const id = c.rows[0].id;
      const seq = await alloc();
      await tx.query('UPDATE conversations SET change_seq = $2 WHERE id = $1', [id, seq]);
      const all = [creator, ...memberIds.filter((u) => u !== creator)];
      await addMembers(tx, id, all.map((u) => [u, u === creator ? 'owner' : 'member']), seq);
      const state = (await loadState(tx, id, false))!;
      const event: DomainEvent = {
        kind: 'group.members', seq, conversationId: id, change: 'joined', userIds: all, by: creator, card: state.card, at: now,
      };
      await appendEvent(tx, event, { conversationId: id }, now);
      return { id, applied: [{ event, recipients: all }] };
    }, (r) => r?.applied ?? []);
  }

  change(id: string, plan: (state: GroupState) => GroupChange | null) {
    return this.writer.op(async (tx, alloc, now) => {
      const state = await loadState(tx, id, true);
      if (!state) throw notFound('group not found');
      const change = plan(state);
      return change ? apply(tx, state, change, alloc, now) : null;
    }, (a) => a ?? []);
  }

  state(id: string): Promise<GroupState | null> {
    return loadState(this.pool, id, false);
  }

  async idByRoomName(roomName: string): Promise<string | null> {
    // conversations_room_name_key
    const r = await this.pool.query<{ id: string }>("SELECT id FROM conversations WHERE room_name = $1 AND kind = 'group'", [roomName]);
    return r.rows[0]?.id ?? null;
  }

  async roomName(id: string): Promise<string | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const r = await this.pool.query<{ room_name: string | null }>(
      "SELECT room_name FROM conversations WHERE id = $1 AND kind = 'group'", [id],
    );
    return r.rows[0] ? (r.rows[0].room_name ?? id) : null;
  }

  async sync(userId: UserId, changedSince: string | null): Promise<GroupSyncEntry[]> {
    // user_groups_user_id_change_seq_idx for memberships; card changes via conversations.change_seq
    const r = await this.pool.query<CardRow & { status: MembershipStatus; role: GroupRole; kept: GroupCard | null }>(
      `SELECT ug.status, ug.role, ug.card AS kept, ${CARD_COLUMNS}
         FROM user_groups ug JOIN conversations c ON c.id = ug.conversation_id
        WHERE ug.user_id = $1 AND ${changedSince === null
          ? "ug.status = 'member'"
          : "(ug.change_seq > $2 OR (ug.status = 'member' AND c.change_seq > $2))"}
        ORDER BY c.id`,
      changedSince === null ? [userId] : [userId, changedSince],
    );
    // One who left or was removed gets the card as of their exit, never the group's later state.
    return r.rows.map((row) => ({
      card: row.status === 'left' || row.status === 'removed' ? (row.kept ?? cardAtExit(toCard(row))) : toCard(row),
      status: row.status, role: row.role,
    }));
  }
}

/** An exit recorded before exit cards were kept: only what never changes. */
const cardAtExit = (c: GroupCard): GroupCard => ({
  id: c.id, roomName: c.roomName, name: '', topic: null, description: null, pictureUrl: null,
  version: 0, createdAt: c.createdAt, destroyed: false, memberCount: 0,
});

async function addMembers(tx: PoolClient, id: string, members: [UserId, GroupRole][], seq: string): Promise<void> {
  const users = members.map((m) => m[0]);
  const roles = members.map((m) => m[1]);
  await tx.query(
    `INSERT INTO conversation_members (conversation_id, user_id, role)
     SELECT $1, u, r FROM unnest($2::bigint[], $3::text[]) AS t(u, r) ON CONFLICT DO NOTHING`,
    [id, users, roles],
  );
  await tx.query(
    `INSERT INTO user_groups (user_id, conversation_id, status, role, change_seq)
     SELECT u, $1, 'member', r, $4 FROM unnest($2::bigint[], $3::text[]) AS t(u, r)
     ON CONFLICT (user_id, conversation_id) DO UPDATE SET status = 'member', role = EXCLUDED.role, change_seq = EXCLUDED.change_seq, card = NULL`,
    [id, users, roles, seq],
  );
}

async function setRole(tx: PoolClient, id: string, user: UserId, role: GroupRole, seq: string): Promise<void> {
  await tx.query('UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2', [id, user, role]);
  await tx.query('UPDATE user_groups SET role = $3, change_seq = $4 WHERE conversation_id = $1 AND user_id = $2', [id, user, role, seq]);
}

/** Ends a membership; the card as of then is kept for the one who went (and returned). */
async function drop(tx: PoolClient, id: string, user: UserId, status: MembershipStatus, seq: string): Promise<GroupCard> {
  await tx.query('DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2', [id, user]);
  const card = (await loadState(tx, id, false))!.card;
  await tx.query(
    'UPDATE user_groups SET status = $3, change_seq = $4, card = $5 WHERE conversation_id = $1 AND user_id = $2',
    [id, user, status, seq, JSON.stringify(card)],
  );
  return card;
}

async function apply(
  tx: PoolClient, state: GroupState, change: GroupChange, alloc: () => Promise<string>, now: number,
): Promise<Applied> {
  const id = state.card.id;
  const before = [...state.members.keys()];
  const out: Applied = [];
  const card = async () => (await loadState(tx, id, false))!.card;
  const emit = async (event: DomainEvent, recipients: UserId[], userId?: UserId) => {
    await appendEvent(tx, event, { conversationId: id, userId }, now);
    out.push({ event, recipients });
  };
  const members = (change: 'joined' | 'left' | 'removed' | 'role', seq: string, userIds: UserId[], by: UserId, c: GroupCard, role?: GroupRole) =>
    ({ kind: 'group.members', seq, conversationId: id, change, userIds, role, by, card: c, at: now }) as DomainEvent;

  switch (change.kind) {
    case 'join': {
      const seq = await alloc();
      await addMembers(tx, id, change.userIds.map((u) => [u, 'member']), seq);
      await emit(members('joined', seq, change.userIds, change.by, await card()), [...before, ...change.userIds]);
      break;
    }
    case 'leave':
    case 'remove': {
      const seq = await alloc();
      const status = change.kind === 'leave' ? 'left' : 'removed';
      const atExit = await drop(tx, id, change.userId, status, seq);
      const by = change.kind === 'remove' ? change.by : change.userId;
      await emit(members(status, seq, [change.userId], by, atExit), before, change.userId);
      if (change.kind === 'leave' && change.newOwner) {
        const seq2 = await alloc();
        await setRole(tx, id, change.newOwner, 'owner', seq2);
        const rest = before.filter((u) => u !== change.userId);
        await emit(members('role', seq2, [change.newOwner], change.userId, await card(), 'owner'), rest);
      }
      break;
    }
    case 'role': {
      const seq = await alloc();
      await setRole(tx, id, change.userId, change.role, seq);
      await emit(members('role', seq, [change.userId], change.by, state.card, change.role), before);
      if (change.demote) {
        const seq2 = await alloc();
        await setRole(tx, id, change.demote, 'admin', seq2);
        await emit(members('role', seq2, [change.demote], change.by, state.card, 'admin'), before);
      }
      break;
    }
    case 'card': {
      const seq = await alloc();
      const p = change.patch;
      await tx.query(
        `UPDATE conversations SET
           name = CASE WHEN $2::boolean THEN $3 ELSE name END,
           topic = CASE WHEN $4::boolean THEN $5 ELSE topic END,
           description = CASE WHEN $6::boolean THEN $7 ELSE description END,
           picture_url = CASE WHEN $8::boolean THEN $9 ELSE picture_url END,
           version = version + 1, change_seq = $10
         WHERE id = $1`,
        [id, p.name !== undefined, p.name ?? null, p.topic !== undefined, p.topic ?? null,
          p.description !== undefined, p.description ?? null, p.pictureUrl !== undefined, p.pictureUrl ?? null, seq],
      );
      await emit({ kind: 'group.updated', seq, conversationId: id, card: await card(), by: change.by, at: now }, before);
      break;
    }
    case 'destroy': {
      const seq = await alloc();
      await tx.query('UPDATE conversations SET destroyed_at = now(), change_seq = $2 WHERE id = $1', [id, seq]);
      await tx.query("UPDATE user_groups SET status = 'destroyed', change_seq = $2 WHERE conversation_id = $1 AND status = 'member'", [id, seq]);
      await emit({ kind: 'group.destroyed', seq, conversationId: id, card: await card(), by: change.by, at: now }, before);
      break;
    }
  }
  return out;
}
