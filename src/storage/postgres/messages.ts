// MessageStore and EventLog on PostgreSQL. Writes go through the StreamWriter (group
// commit); reads are raw SQL on the indexes named in each query's comment.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { EventLog } from '../../core/events/ports.js';
import type { DomainEvent } from '../../core/events/types.js';
import type { Announce, Applied, InsertResult, MessageStore, StateEvent } from '../../core/messages/ports.js';
import { notFound } from '../../core/errors.js';
import type {
  Conversation, ConversationId, ConversationSummary, DeliveryStateValue, Message, NewMessage, PageRequest,
} from '../../core/messages/types.js';
import type { MessageMatch, MessageSearch } from '../../core/messages/types.js';
import { searchMessages } from './message-search.js';
import { MESSAGE_COLUMNS, rowToEvent, rowToMessage, type EventRow, type MessageRow } from './rows.js';
import { appendEvent, type StreamWriter } from './stream-writer.js';

/** Ops return exactly what they announce. */
const same = (a: Applied) => a;

export class PgMessageStore implements MessageStore, EventLog {
  constructor(private readonly pool: Pool, private readonly writer: StreamWriter) {}

  search(userId: UserId, q: MessageSearch): Promise<MessageMatch[]> {
    return searchMessages(this.pool, userId, q);
  }

  async directConversation(a: UserId, b: UserId): Promise<Conversation> {
    const [lo, hi] = BigInt(a) < BigInt(b) ? [a, b] : [b, a];
    const key = `${lo}:${hi}`;
    // Insert-or-get in one statement; the no-op update makes RETURNING see the existing row.
    const r = await this.pool.query<{ id: string }>(
      `INSERT INTO conversations (kind, direct_key) VALUES ('direct', $1)
       ON CONFLICT (direct_key) DO UPDATE SET direct_key = EXCLUDED.direct_key RETURNING id`,
      [key],
    );
    const id = r.rows[0]!.id;
    await this.pool.query(
      `INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2), ($1, $3)
       ON CONFLICT DO NOTHING`,
      [id, lo, hi],
    );
    return { id, kind: 'direct', memberIds: [lo, hi] };
  }

  async contacts(userId: UserId): Promise<UserId[]> {
    // conversation_members_user_id_idx, then the members' primary key
    const r = await this.pool.query<{ user_id: string }>(
      `SELECT DISTINCT o.user_id::text FROM conversation_members me
         JOIN conversation_members o ON o.conversation_id = me.conversation_id
        WHERE me.user_id = $1 AND o.user_id <> $1`,
      [userId],
    );
    return r.rows.map((x) => x.user_id);
  }

  async conversationKind(id: ConversationId): Promise<'direct' | 'group' | null> {
    const r = await this.pool.query<{ kind: 'direct' | 'group' }>('SELECT kind FROM conversations WHERE id = $1', [id]);
    return r.rows[0]?.kind ?? null;
  }

  async conversation(id: ConversationId): Promise<Conversation | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const r = await this.pool.query<{ kind: 'direct' | 'group'; destroyed: boolean; members: string[] }>(
      `SELECT c.kind, c.destroyed_at IS NOT NULL AS destroyed, array_agg(m.user_id::text ORDER BY m.user_id) AS members
         FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
        WHERE c.id = $1 GROUP BY c.kind, c.destroyed_at`,
      [id],
    );
    const row = r.rows[0];
    return row ? { id, kind: row.kind, memberIds: row.members, destroyed: row.destroyed } : null;
  }

  insertMessage(input: NewMessage, announce?: Announce<InsertResult>, onQueued?: () => void): Promise<InsertResult> {
    return this.writer.insertMessage(input, announce, onQueued);
  }

  markState(
    reader: UserId, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue,
    announce?: Announce<StateEvent | null>,
  ): Promise<StateEvent | null> {
    return this.writer.markState(reader, conversationId, seqs, state, announce);
  }

  recall(seq: string, by: UserId, check: (m: Message, senderIsMember: boolean) => void) {
    return this.writer.op(async (tx, alloc, now) => {
      const r = await tx.query<MessageRow & { is_member: boolean }>(
        `SELECT ${MESSAGE_COLUMNS}, EXISTS (SELECT 1 FROM conversation_members cm
                 WHERE cm.conversation_id = m.conversation_id AND cm.user_id = m.sender_id) AS is_member
           FROM messages m WHERE seq = $1 FOR UPDATE`,
        [seq],
      );
      const row = r.rows[0];
      if (!row) throw notFound('message not found');
      const message = rowToMessage(row);
      check(message, row.is_member);
      if (message.recalledAt !== null) return [];
      await tx.query(
        `INSERT INTO recalled_messages (seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at, recalled_at, recalled_by)
         SELECT seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at, $2, $3 FROM messages WHERE seq = $1`,
        [seq, now, by],
      );
      // COMPAT: Startalk overwrites the row with a revoke marker, msgType -1 (PROTOCOL.md §4.4).
      await tx.query(
        "UPDATE messages SET body = '', msg_type = -1, extend_info = NULL, backup_info = NULL, recalled_at = $2 WHERE seq = $1",
        [seq, now],
      );
      const eventSeq = await alloc();
      const event: DomainEvent = {
        kind: 'message.recalled', seq: eventSeq, conversationId: message.conversationId, messageSeq: seq,
        msgId: message.msgId, senderId: message.senderId, by, at: now,
      };
      await appendEvent(tx, event, { conversationId: message.conversationId }, now);
      const members = await tx.query<{ user_id: string }>(
        'SELECT user_id FROM conversation_members WHERE conversation_id = $1', [message.conversationId],
      );
      return [{ event, recipients: members.rows.map((m) => m.user_id) }];
    }, same);
  }

  setReadPointer(userId: UserId, conversationId: ConversationId, seq: string) {
    return this.writer.op(async (tx, alloc, now) => {
      // Never past the newest message, never backwards.
      const r = await tx.query<{ read_seq: string }>(
        `UPDATE conversation_members cm
            SET read_seq = LEAST($3::bigint, (SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1))
          WHERE conversation_id = $1 AND user_id = $2
            AND LEAST($3::bigint, (SELECT coalesce(max(seq), 0) FROM messages WHERE conversation_id = $1)) > cm.read_seq
          RETURNING read_seq`,
        [conversationId, userId, seq],
      );
      if (!r.rows[0]) return [];
      const event: DomainEvent = {
        kind: 'group.read', seq: await alloc(), conversationId, userId, readSeq: r.rows[0].read_seq, at: now,
      };
      await appendEvent(tx, event, { userId }, now);
      return [{ event, recipients: [userId] }];
    }, same);
  }

  async lastSeqAt(conversationId: ConversationId, atMs: number): Promise<string | null> {
    // messages_conversation_id_seq_idx, newest first: created_at grows with seq
    const r = await this.pool.query<{ seq: string }>(
      'SELECT seq FROM messages WHERE conversation_id = $1 AND created_at <= $2 ORDER BY seq DESC LIMIT 1',
      [conversationId, atMs],
    );
    return r.rows[0]?.seq ?? null;
  }

  markAllRead(userId: UserId, beforeMs: number) {
    return this.writer.op(async (tx, alloc, now) => {
      const out: Applied = [];
      const direct = await tx.query<{ conversation_id: string; seqs: string[]; msg_ids: string[]; members: string[] }>(
        `WITH changed AS (
           UPDATE messages m SET state = 3
             FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id AND c.kind = 'direct'
            WHERE me.user_id = $1 AND m.conversation_id = me.conversation_id
              AND m.sender_id <> $1 AND m.state < 3 AND m.created_at <= $2
           RETURNING m.conversation_id, m.seq, m.sender_id, m.msg_id)
         SELECT conversation_id, array_agg(seq::text ORDER BY seq) AS seqs, array_agg(msg_id ORDER BY seq) AS msg_ids,
                array_agg(DISTINCT sender_id::text) AS members
           FROM changed GROUP BY conversation_id ORDER BY conversation_id`,
        [userId, beforeMs],
      );
      for (const row of direct.rows) {
        const event: DomainEvent = {
          kind: 'message.state', seq: await alloc(), conversationId: row.conversation_id, messageSeqs: row.seqs, msgIds: row.msg_ids,
          state: 3, by: userId, at: now,
        };
        await appendEvent(tx, event, { conversationId: row.conversation_id }, now);
        out.push({ event, recipients: [userId, ...row.members] });
      }
      const groups = await tx.query<{ conversation_id: string; read_seq: string }>(
        `UPDATE conversation_members me SET read_seq = last.seq
           FROM (SELECT cm.conversation_id, (SELECT max(seq) FROM messages m
                   WHERE m.conversation_id = cm.conversation_id AND m.created_at <= $2) AS seq
                   FROM conversation_members cm JOIN conversations c ON c.id = cm.conversation_id AND c.kind = 'group'
                  WHERE cm.user_id = $1) last
          WHERE me.user_id = $1 AND me.conversation_id = last.conversation_id AND last.seq > me.read_seq
          RETURNING me.conversation_id, me.read_seq`,
        [userId, beforeMs],
      );
      for (const row of groups.rows) {
        const event: DomainEvent = {
          kind: 'group.read', seq: await alloc(), conversationId: row.conversation_id, userId, readSeq: row.read_seq, at: now,
        };
        await appendEvent(tx, event, { userId }, now);
        out.push({ event, recipients: [userId] });
      }
      return out;
    }, same);
  }

  history(conversationId: ConversationId, page: PageRequest): Promise<Message[]> {
    // messages_conversation_id_seq_idx
    return this.page('conversation_id = $1', conversationId, page);
  }

  async historyByTime(
    conversationId: ConversationId, range: { afterSeq?: string; fromMs?: number; toMs?: number; limit: number; originals?: boolean },
  ): Promise<Message[]> {
    // messages_conversation_id_seq_idx, or messages_conversation_id_created_at_idx for a time window;
    // originals: recalled messages with their content from recalled_messages (primary key)
    const conds = ['m.conversation_id = $1'];
    const args: unknown[] = [conversationId];
    if (range.afterSeq !== undefined) args.push(range.afterSeq), conds.push(`m.seq > $${args.length}`);
    if (range.fromMs !== undefined) args.push(range.fromMs), conds.push(`m.created_at >= $${args.length}`);
    if (range.toMs !== undefined) args.push(range.toMs), conds.push(`m.created_at < $${args.length}`);
    args.push(range.limit);
    const columns = range.originals
      ? `m.seq, m.conversation_id, m.sender_id, m.msg_id, COALESCE(r.msg_type, m.msg_type) AS msg_type, COALESCE(r.body, m.body) AS body,
         CASE WHEN r.seq IS NULL THEN m.extend_info ELSE r.extend_info END AS extend_info,
         CASE WHEN r.seq IS NULL THEN m.backup_info ELSE r.backup_info END AS backup_info, m.created_at, m.state, m.recalled_at`
      : MESSAGE_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ');
    const r = await this.pool.query<MessageRow>(
      `SELECT ${columns} FROM messages m ${range.originals ? 'LEFT JOIN recalled_messages r ON r.seq = m.seq' : ''}
        WHERE ${conds.join(' AND ')} ORDER BY m.seq LIMIT $${args.length}`,
      args,
    );
    return r.rows.map(rowToMessage);
  }

  async seqsByMsgIds(conversationId: ConversationId, senderId: UserId, msgIds: string[]): Promise<string[]> {
    // messages_sender_id_msg_id_key
    const r = await this.pool.query<{ seq: string }>(
      'SELECT seq FROM messages WHERE sender_id = $1 AND msg_id = ANY($2::text[]) AND conversation_id = $3 ORDER BY seq',
      [senderId, msgIds, conversationId],
    );
    return r.rows.map((x) => x.seq);
  }

  async messageBySeq(seq: string): Promise<Message | null> {
    const r = await this.pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq = $1`, [seq]);
    return r.rows[0] ? rowToMessage(r.rows[0]) : null;
  }

  directArchive(userId: UserId, page: PageRequest): Promise<Message[]> {
    // conversation_members_user_id_idx, then messages_conversation_id_seq_idx per conversation
    return this.page(
      `conversation_id IN (SELECT cm.conversation_id FROM conversation_members cm
        JOIN conversations c ON c.id = cm.conversation_id AND c.kind = 'direct' WHERE cm.user_id = $1)`,
      userId, page,
    );
  }

  /** One page of messages matching `scope` (which uses $1 = scopeArg), bounded and ordered by seq. */
  private async page(scope: string, scopeArg: string, page: PageRequest): Promise<Message[]> {
    const conds = [scope];
    const args: unknown[] = [scopeArg];
    if (page.beforeSeq !== undefined) args.push(page.beforeSeq), conds.push(`seq < $${args.length}`);
    if (page.afterSeq !== undefined) args.push(page.afterSeq), conds.push(`seq > $${args.length}`);
    args.push(page.limit);
    const r = await this.pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${conds.join(' AND ')}
        ORDER BY seq ${page.from === 'newest' ? 'DESC' : 'ASC'} LIMIT $${args.length}`,
      args,
    );
    return r.rows.map(rowToMessage);
  }

  async messagesBySeq(conversationId: ConversationId, seqs: string[]): Promise<Message[]> {
    const r = await this.pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq = ANY($2::bigint[]) ORDER BY seq`,
      [conversationId, seqs],
    );
    return r.rows.map(rowToMessage);
  }

  async conversations(userId: UserId, limit: number, beforeSeq?: string): Promise<ConversationSummary[]> {
    // One row per conversation of the user: its newest message (conversation_id, seq index),
    // the member list, and unread: for 1:1, messages from the peer not yet READ
    // (messages_unread_idx); for groups, messages from others after the read pointer.
    const r = await this.pool.query<MessageRow & { kind: 'direct' | 'group'; name: string | null; members: string[]; unread: string }>(
      `SELECT c.kind, c.name, mem.members, last.*,
              CASE WHEN c.kind = 'direct'
                THEN (SELECT count(*) FROM messages u WHERE u.conversation_id = me.conversation_id
                       AND u.state < 3 AND u.sender_id <> $1 AND u.recalled_at IS NULL)
                ELSE (SELECT count(*) FROM messages u WHERE u.conversation_id = me.conversation_id
                       AND u.seq > me.read_seq AND u.sender_id <> $1 AND u.recalled_at IS NULL)
              END AS unread
         FROM conversation_members me
         JOIN conversations c ON c.id = me.conversation_id AND c.destroyed_at IS NULL
         JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = me.conversation_id
                        ORDER BY m.seq DESC LIMIT 1) last ON true
         JOIN LATERAL (SELECT array_agg(user_id::text ORDER BY user_id) AS members FROM conversation_members
                        WHERE conversation_id = me.conversation_id) mem ON true
        WHERE me.user_id = $1 ${beforeSeq !== undefined ? 'AND last.seq < $3' : ''}
        ORDER BY last.seq DESC LIMIT $2`,
      beforeSeq !== undefined ? [userId, limit, beforeSeq] : [userId, limit],
    );
    return r.rows.map((row) => ({
      conversation: { id: row.conversation_id, kind: row.kind, memberIds: row.members },
      name: row.name,
      lastMessage: rowToMessage(row),
      unreadCount: Number(row.unread),
    }));
  }

  async eventsAfter(userId: UserId, afterSeq: string, limit: number): Promise<DomainEvent[]> {
    // Messages and events of the user's conversations, both on their (conversation_id, seq) index.
    const [msgs, evs] = await Promise.all([
      this.pool.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages
          WHERE conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1)
            AND seq > $2 ORDER BY seq LIMIT $3`,
        [userId, afterSeq, limit],
      ),
      this.pool.query<EventRow>(
        `SELECT seq, kind, payload FROM events
          WHERE (conversation_id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1)
                 OR user_id = $1)
            AND seq > $2 ORDER BY seq LIMIT $3`,
        [userId, afterSeq, limit],
      ),
    ]);
    const all: DomainEvent[] = [
      ...msgs.rows.map((row): DomainEvent => ({ kind: 'message.added', seq: row.seq, message: rowToMessage(row) })),
      ...evs.rows.map(rowToEvent),
    ];
    all.sort((x, y) => (BigInt(x.seq) < BigInt(y.seq) ? -1 : 1));
    return all.slice(0, limit);
  }

  async currentPosition(): Promise<string> {
    const r = await this.pool.query<{ pos: string }>('SELECT pos FROM stream_position WHERE id = 1');
    return r.rows[0]!.pos;
  }
}
