// SearchIndex on PostgreSQL (the default). People: prefix branches read in index order
// (username, display name, pinyin, initials; see the search migration), then trigram
// substring matching when the prefixes do not fill the page. Groups: through the viewer's
// memberships, which bound the rows read. Visibility is in every WHERE clause.
import type { Pool } from 'pg';
import type { User, UserId } from '../../core/accounts/types.js';
import type { Change } from '../../core/events/changes.js';
import type { GroupCard } from '../../core/groups/types.js';
import { keyText, pinyinKeys } from '../../core/search/pinyin.js';
import type { ReindexProgress, SearchIndex } from '../../core/search/ports.js';
import type { GroupQuery, SearchPage, SharedGroupQuery, UserQuery } from '../../core/search/types.js';
import { likeEscape } from './message-search.js';

/** The expression of users_search_text_trgm_idx, verbatim (the planner matches it textually). */
const USER_TEXT = `lower(username || ' ' || display_name || ' ' || coalesce(department, '') || ' ' || coalesce(pinyin, '')
        || ' ' || coalesce(search_pinyin, ''))`;
const USER_COLUMNS = 'u.id, u.username, u.display_name, u.pinyin, u.department, u.avatar_url, u.mood, u.frozen, u.is_admin, u.version, u.created_at';
const MIN_SUBSTRING = 3; // trigrams need three characters
/**
 * The viewer's groups, read first: LIKE estimates are poor, and a planner that guesses few
 * name matches would scan every group instead of the viewer's few hundred by primary key.
 */
const MINE = 'c.id = ANY (ARRAY(SELECT conversation_id FROM conversation_members WHERE user_id = $1))';

interface UserRow {
  id: string; username: string; display_name: string; pinyin: string | null; department: string | null;
  avatar_url: string | null; mood: string | null; frozen: boolean; is_admin: boolean; version: number; created_at: Date;
}

export const CARD_COLUMNS = `c.id, c.room_name, c.name, c.topic, c.description, c.picture_url, c.version, c.created_at, c.destroyed_at,
  (SELECT count(*) FROM conversation_members x WHERE x.conversation_id = c.id) AS member_count`;

export interface CardRow {
  id: string; room_name: string | null; name: string | null; topic: string | null; description: string | null; picture_url: string | null;
  version: number; created_at: Date; destroyed_at: Date | null; member_count: string;
}

export const rowToCard = (r: CardRow): GroupCard => ({
  id: r.id, roomName: r.room_name ?? r.id, name: r.name ?? '', topic: r.topic, description: r.description, pictureUrl: r.picture_url,
  version: r.version, createdAt: r.created_at.getTime(), destroyed: r.destroyed_at !== null, memberCount: Number(r.member_count),
});

const rowToUser = (domain: string, r: UserRow): User => ({
  id: r.id, domain, username: r.username, displayName: r.display_name, pinyin: r.pinyin, department: r.department,
  avatarUrl: r.avatar_url, mood: r.mood, frozen: r.frozen, isAdmin: r.is_admin, version: r.version, createdAt: r.created_at,
});

/** Search keys as stored: '' means "computed, none" so the backfill can tell it from NULL. */
export function storedKeys(displayName: string, pinyin: string | null): [string, string] {
  const k = pinyinKeys(displayName, pinyin);
  return [k.full ?? '', k.initials ?? ''];
}

export class PgSearchIndex implements SearchIndex {
  readonly name = 'postgres' as const;

  constructor(private readonly pool: Pool) {}

  /** Fills the keys of users written without them (SQL imports, rows from before this migration). */
  async start(): Promise<void> {
    await this.fillKeys('search_pinyin IS NULL');
  }

  async users(q: UserQuery): Promise<SearchPage<User>> {
    const text = q.text.toLowerCase();
    const key = keyText(text);
    const want = q.offset + q.limit + 1;
    const dom = `u.domain_id = (SELECT id FROM domains WHERE host = $1) AND NOT u.frozen`;
    const args: unknown[] = [q.domain, text, `${likeEscape(text)}%`, want];
    const branch = (rank: number, keyExpr: string, cond: string) =>
      `(SELECT u.id, ${rank} AS rank, ${keyExpr} AS key FROM users u WHERE ${dom} AND ${cond} ORDER BY 3 LIMIT $4)`;
    const branches = [
      branch(0, 'u.username COLLATE "C"', 'u.username = $2'),
      branch(1, 'u.username COLLATE "C"', 'u.username COLLATE "C" LIKE $3'),
      branch(2, 'lower(u.display_name) COLLATE "C"', 'lower(u.display_name) COLLATE "C" LIKE $3'),
    ];
    if (key) {
      args.push(`${key}%`);
      branches.push(
        branch(3, 'u.search_pinyin COLLATE "C"', `u.search_pinyin COLLATE "C" LIKE $${args.length}`),
        branch(4, 'u.search_initials COLLATE "C"', `u.search_initials COLLATE "C" LIKE $${args.length}`),
      );
    }
    // Every prefix hit up to the end of the requested page, in rank order.
    const prefix = (await this.pool.query<UserRow>(
      `WITH hits AS (${branches.join(' UNION ALL ')}),
            best AS (SELECT DISTINCT ON (id) id, rank, key FROM hits ORDER BY id, rank)
       SELECT ${USER_COLUMNS} FROM best b JOIN users u ON u.id = b.id ORDER BY b.rank, b.key, b.id LIMIT $4`,
      args,
    )).rows;
    let rows = prefix;
    // Substrings only when the prefixes leave the page short: they are ranked after them.
    if (prefix.length < want && [...text].length >= MIN_SUBSTRING) {
      const seen = new Set(prefix.map((r) => r.id));
      const more = await this.substring(q.domain, text, want);
      rows = [...prefix, ...more.filter((r) => !seen.has(r.id))];
    }
    rows = rows.slice(q.offset, q.offset + q.limit + 1);
    return { items: rows.slice(0, q.limit).map((r) => rowToUser(q.domain, r)), hasMore: rows.length > q.limit };
  }

  /**
   * Users whose searchable text contains text, at most limit, in storage order: not sorted,
   * since a common substring (a department) would sort every match for one page; the first
   * rows in storage order are a stable prefix, so pages stay consistent.
   */
  private async substring(domain: string, text: string, limit: number): Promise<UserRow[]> {
    const client = await this.pool.connect();
    try {
      // LIKE '%…%' estimates are guesses: with a LIMIT the planner bets on a scan that stops
      // early, and reads the whole table when the substring is rare. The trigram bitmap is
      // right either way (cheap to build; the heap scan stops at the limit).
      await client.query('BEGIN READ ONLY');
      await client.query('SET LOCAL enable_seqscan = off');
      await client.query('SET LOCAL enable_indexscan = off');
      const r = await client.query<UserRow>(
        `SELECT ${USER_COLUMNS} FROM users u
         WHERE u.domain_id = (SELECT id FROM domains WHERE host = $1) AND NOT u.frozen AND ${USER_TEXT} LIKE $2 LIMIT $3`,
        [domain, `%${likeEscape(text)}%`, limit],
      );
      await client.query('COMMIT');
      return r.rows;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async groups(q: GroupQuery): Promise<SearchPage<GroupCard>> {
    const text = likeEscape(q.text.toLowerCase());
    const r = await this.pool.query<CardRow>(
      `SELECT ${CARD_COLUMNS}
       FROM conversations c
       WHERE ${MINE} AND c.kind = 'group' AND c.destroyed_at IS NULL
         AND (lower(c.name) LIKE $2 OR lower(c.topic) LIKE $2)
       ORDER BY lower(c.name) LIKE $3 DESC, lower(c.name), c.id OFFSET $4 LIMIT $5`,
      [q.viewerId, `%${text}%`, `${text}%`, q.offset, q.limit + 1],
    );
    return { items: r.rows.slice(0, q.limit).map(rowToCard), hasMore: r.rows.length > q.limit };
  }

  async sharedGroups(q: SharedGroupQuery): Promise<SearchPage<{ card: GroupCard; withUserIds: UserId[] }>> {
    const r = await this.pool.query<CardRow & { with_ids: string[] }>(
      `SELECT ${CARD_COLUMNS}, array_agg(o.user_id::text ORDER BY o.user_id) AS with_ids
       FROM conversations c
       JOIN conversation_members o ON o.conversation_id = c.id AND o.user_id = ANY($2::bigint[]) AND o.user_id <> $1
       WHERE ${MINE} AND c.kind = 'group' AND c.destroyed_at IS NULL
       GROUP BY c.id
       ORDER BY count(*) DESC, lower(c.name), c.id OFFSET $3 LIMIT $4`,
      [q.viewerId, q.userIds, q.offset, q.limit + 1],
    );
    return {
      items: r.rows.slice(0, q.limit).map((row) => ({ card: rowToCard(row), withUserIds: row.with_ids })),
      hasMore: r.rows.length > q.limit,
    };
  }

  async apply(change: Change): Promise<void> {
    if (change.kind !== 'user.changed') return; // groups are read from their own tables
    const [full, initials] = storedKeys(change.user.displayName, change.user.pinyin);
    await this.pool.query('UPDATE users SET search_pinyin = $2, search_initials = $3 WHERE id = $1', [change.user.id, full, initials]);
  }

  async flush(): Promise<void> {}

  async reindex(progress?: ReindexProgress): Promise<{ users: number; groups: number }> {
    const users = await this.fillKeys('true', progress);
    const g = await this.pool.query<{ n: string }>("SELECT count(*) AS n FROM conversations WHERE kind = 'group' AND destroyed_at IS NULL");
    return { users, groups: Number(g.rows[0]!.n) };
  }

  async close(): Promise<void> {}

  /** Recomputes the keys of the users matching cond, in id order, a batch per statement. */
  private async fillKeys(cond: string, progress?: ReindexProgress): Promise<number> {
    let after = '0';
    let done = 0;
    for (;;) {
      const r = await this.pool.query<{ id: string; display_name: string; pinyin: string | null }>(
        `SELECT id, display_name, pinyin FROM users WHERE id > $1 AND ${cond} ORDER BY id LIMIT 5000`, [after],
      );
      if (!r.rows.length) return done;
      const keys = r.rows.map((u) => storedKeys(u.display_name, u.pinyin));
      await this.pool.query(
        `UPDATE users u SET search_pinyin = k.p, search_initials = k.i
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS k(id, p, i) WHERE u.id = k.id`,
        [r.rows.map((u) => u.id), keys.map((k) => k[0]), keys.map((k) => k[1])],
      );
      done += r.rows.length;
      after = r.rows.at(-1)!.id;
      progress?.('users', done);
    }
  }
}
