// Search in a user's own history (MessageStore.search). The join on conversation_members
// is the access rule: only conversations the user is a member of now. Words are matched
// with PostgreSQL full text ('simple': no stemming, any language) or as substrings, since
// the parser keeps a run of Chinese characters as one word and 世界 must find 你好世界.
// No index on bodies on purpose: it would tax every insert of the send path; the scan is
// bounded by the user's own conversations, read newest first.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { MessageMatch, MessageSearch } from '../../core/messages/types.js';
import { rowToMessage, type MessageRow } from './rows.js';

const COLUMNS = ['seq', 'conversation_id', 'sender_id', 'msg_id', 'msg_type', 'body', 'extend_info', 'backup_info', 'created_at', 'state', 'recalled_at']
  .map((c) => `m.${c}`).join(', ');

/** What is matched: the body, or for files (Startalk's JSON body) the file name only. */
const TEXT = `CASE WHEN m.msg_type = 5 THEN coalesce(substring(m.body from '"FileName"\\s*:\\s*"([^"]*)"'), m.body) ELSE m.body END`;

export const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export async function searchMessages(pool: Pool, userId: UserId, q: MessageSearch): Promise<MessageMatch[]> {
  const words = q.text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  if (!words.length || !/^\d{1,19}$/.test(userId)) return [];
  const r = await pool.query<MessageRow & { kind: 'direct' | 'group'; name: string | null; room_name: string | null; peer_id: string | null }>(
    `SELECT ${COLUMNS}, c.kind, c.name, c.room_name,
       (SELECT o.user_id FROM conversation_members o
         WHERE c.kind = 'direct' AND o.conversation_id = c.id AND o.user_id <> me.user_id LIMIT 1) AS peer_id
     FROM conversation_members me
     JOIN conversations c ON c.id = me.conversation_id
     JOIN messages m ON m.conversation_id = me.conversation_id
     CROSS JOIN LATERAL (SELECT ${TEXT} AS text) t
     WHERE me.user_id = $1 AND m.recalled_at IS NULL AND (m.msg_type = 5) = $2 AND ($7::text IS NULL OR c.kind = $7)
       AND (to_tsvector('simple', t.text) @@ plainto_tsquery('simple', $3) OR t.text ILIKE ALL ($4::text[]))
     ORDER BY m.seq DESC OFFSET $5 LIMIT $6`,
    [userId, q.files, words.join(' '), words.map((w) => `%${likeEscape(w)}%`), q.offset, q.limit, q.conversationKind ?? null],
  );
  return r.rows.map((row) => ({
    message: rowToMessage(row),
    conversationKind: row.kind,
    peerId: row.kind === 'direct' ? (row.peer_id ?? userId) : null,
    groupName: row.kind === 'group' ? (row.name ?? '') : null,
    roomName: row.kind === 'group' ? (row.room_name ?? row.conversation_id) : null,
  }));
}
