// Documents for an external search index (Meilisearch), read from PostgreSQL: users
// (frozen ones included, the index filters them) and groups with their member ids.
import type { Pool } from 'pg';
import type { User, UserId } from '../../core/accounts/types.js';
import type { GroupCard } from '../../core/groups/types.js';
import { CARD_COLUMNS, rowToCard, type CardRow } from './search.js';

export interface GroupDocSource {
  card: GroupCard;
  memberIds: UserId[];
}

export interface SearchSource {
  /** A group's card and members; null when unknown. */
  group(id: string): Promise<GroupDocSource | null>;
  /** Users with id above afterId, by id, at most limit. */
  usersAfter(afterId: string, limit: number): Promise<User[]>;
  /** Live (not destroyed) groups with id above afterId, by id, at most limit. */
  groupsAfter(afterId: string, limit: number): Promise<GroupDocSource[]>;
}

export function createSearchSource(pool: Pool): SearchSource {
  const groups = async (where: string, args: unknown[]) => {
    const r = await pool.query<CardRow & { member_ids: string[] }>(
      `SELECT ${CARD_COLUMNS},
         ARRAY(SELECT m.user_id::text FROM conversation_members m WHERE m.conversation_id = c.id) AS member_ids
       FROM conversations c WHERE c.kind = 'group' AND ${where}`, args,
    );
    return r.rows.map((row) => ({ card: rowToCard(row), memberIds: row.member_ids }));
  };
  return {
    async group(id) {
      return /^\d{1,19}$/.test(id) ? ((await groups('c.id = $1', [id]))[0] ?? null) : null;
    },
    async usersAfter(afterId, limit) {
      const r = await pool.query<{
        id: string; host: string; username: string; display_name: string; pinyin: string | null; department: string | null;
        avatar_url: string | null; mood: string | null; frozen: boolean; is_admin: boolean; version: number; created_at: Date;
      }>(
        `SELECT u.id, d.host, u.username, u.display_name, u.pinyin, u.department, u.avatar_url, u.mood, u.frozen, u.is_admin,
           u.version, u.created_at
         FROM users u JOIN domains d ON d.id = u.domain_id WHERE u.id > $1 ORDER BY u.id LIMIT $2`, [afterId, limit],
      );
      return r.rows.map((u) => ({
        id: u.id, domain: u.host, username: u.username, displayName: u.display_name, pinyin: u.pinyin,
        department: u.department, avatarUrl: u.avatar_url, mood: u.mood, frozen: u.frozen, isAdmin: u.is_admin, version: u.version,
        createdAt: u.created_at,
      }));
    },
    groupsAfter(afterId, limit) {
      return groups('c.destroyed_at IS NULL AND c.id > $1 ORDER BY c.id LIMIT $2', [afterId, limit]);
    },
  };
}
