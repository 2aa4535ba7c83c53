// MessageStore and EventLog on PostgreSQL. Writes go through the StreamWriter (group
// commit); reads are raw SQL on the indexes named in each query's comment.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { EventLog } from '../../core/events/ports.js';
import type { DomainEvent } from '../../core/events/types.js';
import type { InsertResult, MessageStore, StateEvent } from '../../core/messages/ports.js';
import type {
  Conversation, ConversationId, ConversationSummary, DeliveryStateValue, Message, NewMessage, PageRequest,
} from '../../core/messages/types.js';
import { MESSAGE_COLUMNS, rowToEvent, rowToMessage, type EventRow, type MessageRow } from './rows.js';
import type { StreamWriter } from './stream-writer.js';

export class PgMessageStore implements MessageStore, EventLog {
  constructor(private readonly pool: Pool, private readonly writer: StreamWriter) {}

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

  insertMessage(input: NewMessage, onCommit?: (r: InsertResult) => void): Promise<InsertResult> {
    return this.writer.insertMessage(input, onCommit);
  }

  markState(
    reader: UserId, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue,
    onCommit?: (e: StateEvent | null) => void,
  ): Promise<StateEvent | null> {
    return this.writer.markState(reader, conversationId, seqs, state, onCommit);
  }

  async history(conversationId: ConversationId, page: PageRequest): Promise<Message[]> {
    // messages_conversation_id_seq_idx
    const conds = ['conversation_id = $1'];
    const args: unknown[] = [conversationId];
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
