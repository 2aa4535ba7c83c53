// SyncStore on PostgreSQL: Startalk's time-based history reads. created_at never goes
// backwards in seq order (stream-writer.ts), so a time maps to one seq position through
// messages_created_at_seq_idx and everything after that reads by seq.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { Message } from '../../core/messages/types.js';
import type { ReadChange, SeqPoint, SyncStore } from '../../core/sync/ports.js';
import type { TimePoint } from '../../core/sync/time-cursor.js';
import { MESSAGE_COLUMNS, rowToMessage, type MessageRow } from './rows.js';

/** The user's current conversations of one kind (conversation_members_user_id_idx). */
const MY_CONVERSATIONS = `SELECT cm.conversation_id FROM conversation_members cm
  JOIN conversations c ON c.id = cm.conversation_id AND c.kind = $2 AND c.destroyed_at IS NULL WHERE cm.user_id = $1`;

export class PgSyncStore implements SyncStore {
  constructor(private readonly pool: Pool) {}

  async locate(point: TimePoint): Promise<SeqPoint> {
    if (point.r > 0) {
      const hit = await this.pool.query<{ seq: string }>(
        'SELECT seq FROM messages WHERE created_at = $1 ORDER BY seq OFFSET $2 LIMIT 1',
        [point.ms, point.r - 1],
      );
      if (hit.rows[0]) return { seq: hit.rows[0].seq, exact: true };
    }
    // Past the messages of that millisecond (r beyond them) or before them (r = 0).
    const bound = point.r > 0 ? point.ms + 1 : point.ms;
    const r = await this.pool.query<{ seq: string }>(
      'SELECT seq FROM messages WHERE created_at < $1 ORDER BY created_at DESC, seq DESC LIMIT 1',
      [bound],
    );
    return { seq: r.rows[0]?.seq ?? '0', exact: false };
  }

  async positionAt(ms: number): Promise<string> {
    // messages_created_at_seq_idx and events_created_at_seq_idx, one backward step each
    const r = await this.pool.query<{ seq: string | null }>(
      `SELECT GREATEST(
         (SELECT seq FROM messages WHERE created_at <= $1 ORDER BY created_at DESC, seq DESC LIMIT 1),
         (SELECT seq FROM events WHERE created_at <= $1 ORDER BY created_at DESC, seq DESC LIMIT 1))::text AS seq`,
      [ms],
    );
    return r.rows[0]?.seq ?? '0';
  }

  async ranks(messages: Message[]): Promise<Map<string, number>> {
    if (messages.length === 0) return new Map();
    // messages_created_at_seq_idx: an index-only count over one millisecond per message
    const r = await this.pool.query<{ seq: string; rank: string }>(
      `SELECT m.seq::text, (SELECT count(*) FROM messages x WHERE x.created_at = m.created_at AND x.seq < m.seq) AS rank
         FROM unnest($1::bigint[], $2::bigint[]) AS m(seq, created_at)`,
      [messages.map((m) => m.seq), messages.map((m) => m.createdAt)],
    );
    return new Map(r.rows.map((row) => [row.seq, Number(row.rank)]));
  }

  async userMessages(userId: UserId, kind: 'direct' | 'group', afterSeq: string, limit: number): Promise<Message[]> {
    // messages_conversation_id_seq_idx per conversation of the user
    const r = await this.pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id IN (${MY_CONVERSATIONS})
          AND seq > $3 ORDER BY seq LIMIT $4`,
      [userId, kind, afterSeq, limit],
    );
    return r.rows.map(rowToMessage);
  }

  async readChanges(userId: UserId, sinceMs: number, limit: number): Promise<ReadChange[]> {
    // Events share the seq line with messages: start at the last message stamped at or
    // before sinceMs (events_conversation_id_seq_idx), then filter on the exact time.
    const start = await this.locate({ ms: sinceMs + 1, r: 0 });
    const r = await this.pool.query<{ conversation_id: string; payload: { msgIds?: string[]; state: number }; created_at: string }>(
      `SELECT conversation_id::text, payload, created_at FROM events
        WHERE conversation_id IN (${MY_CONVERSATIONS}) AND kind = 'message.state' AND seq > $3 AND created_at > $4
        ORDER BY seq LIMIT $5`,
      [userId, 'direct', start.seq, sinceMs, limit],
    );
    return r.rows.map((row) => ({
      conversationId: row.conversation_id, msgIds: row.payload.msgIds ?? [], state: row.payload.state, at: Number(row.created_at),
    }));
  }

  async groupReadTimes(userId: UserId) {
    const r = await this.pool.query<{ conversation_id: string; read_ms: string; changed_ms: string }>(
      `SELECT cm.conversation_id::text, COALESCE(m.created_at, 0) AS read_ms, COALESCE(ev.changed, 0) AS changed_ms
         FROM conversation_members cm
         JOIN conversations c ON c.id = cm.conversation_id AND c.kind = 'group' AND c.destroyed_at IS NULL
         LEFT JOIN messages m ON m.seq = cm.read_seq
         LEFT JOIN LATERAL (SELECT max(e.created_at) AS changed FROM events e
                             WHERE e.user_id = $1 AND e.kind = 'group.read'
                               AND e.payload->>'conversationId' = cm.conversation_id::text) ev ON true
        WHERE cm.user_id = $1`,
      [userId],
    );
    return r.rows.map((row) => ({ conversationId: row.conversation_id, readMs: Number(row.read_ms), changedMs: Number(row.changed_ms) }));
  }

  async firstUnreadPerGroup(userId: UserId): Promise<Message[]> {
    const r = await this.pool.query<MessageRow>(
      `SELECT f.* FROM conversation_members cm
         JOIN conversations c ON c.id = cm.conversation_id AND c.kind = 'group' AND c.destroyed_at IS NULL
         JOIN LATERAL (SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = cm.conversation_id
                        AND m.seq > cm.read_seq ORDER BY m.seq LIMIT 1) f ON true
        WHERE cm.user_id = $1 ORDER BY f.seq`,
      [userId],
    );
    return r.rows.map(rowToMessage);
  }
}
