// PushStore on PostgreSQL: devices, settings, mutes, the dispatcher's cursor and the job queue.
// Jobs are claimed with FOR UPDATE SKIP LOCKED under a lease, so any number of nodes send.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { ConversationId } from '../../core/messages/types.js';
import type { PushCandidate, PushJob, PushStore } from '../../core/push/ports.js';
import { DEFAULT_PUSH_FLAGS, type PushDevice, type PushPayload } from '../../core/push/types.js';
import { AdvisoryLeader } from './leader.js';
import { MESSAGE_COLUMNS, rowToMessage, type MessageRow } from './rows.js';

const LEAD_LOCK = 72707370; // advisory lock: one push dispatcher per deployment

type DeviceRow = { token: string; platform: string; os: 'ios' | 'android'; package: string | null };
const toDevice = (r: DeviceRow): PushDevice => ({ token: r.token, platform: r.platform, os: r.os, package: r.package });

export class PgPushStore implements PushStore {
  private readonly leader: AdvisoryLeader;

  constructor(private readonly pool: Pool) {
    // The dispatcher starts at the stream's end: no pushes for history.
    this.leader = new AdvisoryLeader(pool, LEAD_LOCK, async (c) => {
      await c.query('INSERT INTO push_cursor (id, seq) SELECT 1, pos FROM stream_position WHERE id = 1 ON CONFLICT (id) DO NOTHING');
    });
  }

  async registerDevice(userId: UserId, d: PushDevice, sessionId: string | null): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // two users registering one token at once: one after the other, the later one keeps it
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7270))', [d.token]);
      await c.query(
        'UPDATE push_devices SET disabled_at = CURRENT_TIMESTAMP WHERE token = $1 AND user_id <> $2 AND disabled_at IS NULL',
        [d.token, userId],
      );
      await c.query(
        `INSERT INTO push_devices (user_id, token, platform, os, package, session_id) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, token) DO UPDATE SET platform = $3, os = $4, package = $5, session_id = $6,
           disabled_at = NULL, updated_at = CURRENT_TIMESTAMP`,
        [userId, d.token, d.platform, d.os, d.package, sessionId],
      );
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  async disableForEndedSessions(userId: UserId, ended: { sessionId?: string; exceptSessionId?: string }): Promise<void> {
    const [cond, args] = ended.sessionId !== undefined
      ? ['session_id = $2', [userId, ended.sessionId]]
      : ended.exceptSessionId !== undefined
        ? ['session_id IS DISTINCT FROM $2', [userId, ended.exceptSessionId]]
        : ['true', [userId]];
    // push_devices_active_user_idx
    await this.pool.query(
      `UPDATE push_devices SET disabled_at = CURRENT_TIMESTAMP WHERE user_id = $1 AND disabled_at IS NULL AND ${cond}`, args,
    );
  }

  async unregisterDevice(userId: UserId, token: string): Promise<boolean> {
    const r = await this.pool.query(
      'UPDATE push_devices SET disabled_at = CURRENT_TIMESTAMP WHERE user_id = $1 AND token = $2 AND disabled_at IS NULL',
      [userId, token],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async devices(userId: UserId): Promise<PushDevice[]> {
    const r = await this.pool.query<DeviceRow>(
      'SELECT token, platform, os, package FROM push_devices WHERE user_id = $1 AND disabled_at IS NULL ORDER BY id', [userId],
    );
    return r.rows.map(toDevice);
  }

  async flags(userId: UserId): Promise<number> {
    const r = await this.pool.query<{ flags: number }>('SELECT flags FROM push_settings WHERE user_id = $1', [userId]);
    return r.rows[0]?.flags ?? DEFAULT_PUSH_FLAGS;
  }

  async setFlags(userId: UserId, flags: number): Promise<number> {
    await this.pool.query(
      'INSERT INTO push_settings (user_id, flags) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET flags = $2', [userId, flags],
    );
    return flags;
  }

  async setMuted(userId: UserId, conversationId: ConversationId, muted: boolean): Promise<void> {
    await this.pool.query(
      muted ? 'INSERT INTO push_mutes (user_id, conversation_id) VALUES ($1, $2) ON CONFLICT DO NOTHING'
        : 'DELETE FROM push_mutes WHERE user_id = $1 AND conversation_id = $2',
      [userId, conversationId],
    );
  }

  async mutedConversations(userId: UserId): Promise<ConversationId[]> {
    const r = await this.pool.query<{ c: string }>('SELECT conversation_id::text AS c FROM push_mutes WHERE user_id = $1 ORDER BY 1', [userId]);
    return r.rows.map((x) => x.c);
  }

  lead(): Promise<boolean> {
    return this.leader.lead();
  }

  async pending(limit: number): Promise<{ lastSeq: string | null; candidates: PushCandidate[] }> {
    // The next messages by seq (primary key), then only recipients with an active device
    // (push_devices_active_user_idx), pushes on and the conversation not muted.
    const msgs = await this.pool.query<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > (SELECT seq FROM push_cursor WHERE id = 1) ORDER BY seq LIMIT $1`,
      [limit],
    );
    if (msgs.rows.length === 0) return { lastSeq: null, candidates: [] };
    const messages = msgs.rows.map(rowToMessage).filter((m) => m.recalledAt === null && m.msgType >= 0);
    const lastSeq = msgs.rows.at(-1)!.seq;
    if (messages.length === 0) return { lastSeq, candidates: [] };
    const r = await this.pool.query<{ seq: string; user_id: string; flags: number; devices: DeviceRow[] }>(
      `SELECT m.seq::text, cm.user_id::text, COALESCE(ps.flags, $4) AS flags,
              (SELECT json_agg(json_build_object('token', d.token, 'platform', d.platform, 'os', d.os, 'package', d.package) ORDER BY d.id)
                 FROM push_devices d WHERE d.user_id = cm.user_id AND d.disabled_at IS NULL) AS devices
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS m(seq, conversation_id, sender_id)
         JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id <> m.sender_id
         LEFT JOIN push_settings ps ON ps.user_id = cm.user_id
        WHERE EXISTS (SELECT 1 FROM push_devices d WHERE d.user_id = cm.user_id AND d.disabled_at IS NULL)
          AND NOT EXISTS (SELECT 1 FROM push_mutes pm WHERE pm.user_id = cm.user_id AND pm.conversation_id = m.conversation_id)
          AND (COALESCE(ps.flags, $4) & 16) <> 0
        ORDER BY m.seq, cm.user_id`,
      [messages.map((m) => m.seq), messages.map((m) => m.conversationId), messages.map((m) => m.senderId), DEFAULT_PUSH_FLAGS],
    );
    const bySeq = new Map(messages.map((m) => [m.seq, m]));
    return {
      lastSeq,
      candidates: r.rows.map((row) => ({ message: bySeq.get(row.seq)!, userId: row.user_id, flags: row.flags, devices: row.devices.map(toDevice) })),
    };
  }

  async enqueue(jobs: { seq: string; userId: UserId; payload: Omit<PushPayload, 'id'> }[], lastSeq: string): Promise<number> {
    const client = this.leader.client ?? (await this.pool.connect());
    try {
      await client.query('BEGIN');
      let n = 0;
      if (jobs.length) {
        const r = await client.query(
          `INSERT INTO push_jobs (message_seq, user_id, payload)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::jsonb[]) ON CONFLICT (message_seq, user_id) DO NOTHING`,
          [jobs.map((j) => j.seq), jobs.map((j) => j.userId), jobs.map((j) => JSON.stringify(j.payload))],
        );
        n = r.rowCount ?? 0;
      }
      await client.query('UPDATE push_cursor SET seq = GREATEST(seq, $1) WHERE id = 1', [lastSeq]);
      await client.query('COMMIT');
      return n;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      if (client !== this.leader.client) client.release();
    }
  }

  async claim(limit: number, leaseMs: number): Promise<PushJob[]> {
    // push_jobs_due_idx; a 'sending' job whose lease ran out belongs to a sender that died.
    // Devices are those of the job that are still the user's now: a token that moved to
    // another user, or whose session logged out, since the job was queued is left out.
    const r = await this.pool.query<{ id: string; attempts: number; payload: Omit<PushPayload, 'id'> }>(
      `UPDATE push_jobs j SET status = 'sending', next_at = CURRENT_TIMESTAMP + ($2 || ' milliseconds')::interval
        WHERE j.id IN (SELECT id FROM push_jobs WHERE status IN ('pending', 'sending') AND next_at <= CURRENT_TIMESTAMP
                      ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING j.id::text, j.attempts, jsonb_set(j.payload, '{devices}', COALESCE((
          SELECT jsonb_agg(d ORDER BY n) FROM jsonb_array_elements(j.payload->'devices') WITH ORDINALITY AS x(d, n)
           WHERE EXISTS (SELECT 1 FROM push_devices pd
                          WHERE pd.user_id = j.user_id AND pd.token = x.d->>'token' AND pd.disabled_at IS NULL)), '[]'::jsonb)) AS payload`,
      [limit, String(leaseMs)],
    );
    return r.rows.map((row) => ({ id: row.id, attempts: row.attempts, payload: { id: row.id, ...row.payload } }));
  }

  async done(id: string): Promise<void> {
    await this.pool.query(`UPDATE push_jobs SET status = 'done', done_at = CURRENT_TIMESTAMP, attempts = attempts + 1 WHERE id = $1`, [id]);
  }

  async failed(id: string, error: string, retryAt: Date | null): Promise<void> {
    await this.pool.query(
      `UPDATE push_jobs SET attempts = attempts + 1, last_error = $2,
              status = CASE WHEN $3::timestamptz IS NULL THEN 'dead' ELSE 'pending' END,
              next_at = COALESCE($3::timestamptz, next_at)
        WHERE id = $1`,
      [id, error, retryAt],
    );
  }

  close(): Promise<void> {
    return this.leader.release();
  }

}
