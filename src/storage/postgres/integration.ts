// IntegrationStore on PostgreSQL. The stream is not copied: messages and events already share
// one commit-ordered seq line (stream-writer.ts), so "seq > cursor" never skips a row that
// commits later. Webhook cursors live in `webhooks`; one worker holds an advisory lock.
import type { Pool } from 'pg';
import type { DeadLetter, IntegrationStore, StreamEvent, Webhook } from '../../core/integration/ports.js';
import { INTEGRATION_KINDS, type IntegrationEvent, type IntegrationKind } from '../../core/integration/types.js';
import { AdvisoryLeader } from './leader.js';
import { MESSAGE_COLUMNS, rowToEvent, rowToMessage, type EventRow, type MessageRow } from './rows.js';

const LEAD_LOCK = 72707371; // advisory lock: one webhook worker per deployment
const EVENT_KINDS = INTEGRATION_KINDS.filter((k) => k !== 'message.added');

type HookRow = {
  id: string; url: string; secret: string; kinds: IntegrationKind[]; cursor: string; failures: number; next_at: Date;
  last_error: string | null; delivered_at: Date | null; created_at: Date;
};
const HOOK_COLUMNS = 'id::text, url, secret, kinds, cursor::text, failures, next_at, last_error, delivered_at, created_at';
const toHook = (r: HookRow): Webhook => ({
  id: r.id, url: r.url, kinds: r.kinds, cursor: r.cursor, failures: r.failures, nextAt: r.next_at, lastError: r.last_error,
  deliveredAt: r.delivered_at, createdAt: r.created_at,
});

export class PgIntegrationStore implements IntegrationStore {
  private readonly leader: AdvisoryLeader;

  constructor(private readonly pool: Pool) {
    this.leader = new AdvisoryLeader(pool, LEAD_LOCK);
  }

  async readAfter(afterSeq: string, limit: number): Promise<StreamEvent[]> {
    // Both on their primary key (seq); the first `limit` of the union are the first of each.
    const [msgs, evs] = await Promise.all([
      this.pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]),
      this.pool.query<EventRow>(
        'SELECT seq::text, kind, payload FROM events WHERE seq > $1 AND kind = ANY($3::text[]) ORDER BY seq LIMIT $2',
        [afterSeq, limit, EVENT_KINDS],
      ),
    ]);
    const all = [
      ...msgs.rows.map((row): StreamEvent => ({ kind: 'message.added', seq: row.seq, message: rowToMessage(row) })),
      ...evs.rows.map((row) => rowToEvent(row) as StreamEvent),
    ];
    all.sort((x, y) => (BigInt(x.seq) < BigInt(y.seq) ? -1 : 1));
    return all.slice(0, limit);
  }

  async position(): Promise<string> {
    const r = await this.pool.query<{ pos: string }>('SELECT pos::text FROM stream_position WHERE id = 1');
    return r.rows[0]!.pos;
  }

  async createWebhook(url: string, secret: string, kinds: IntegrationKind[], cursor: string): Promise<Webhook> {
    const r = await this.pool.query<HookRow>(
      `INSERT INTO webhooks (url, secret, kinds, cursor) VALUES ($1, $2, $3, $4) RETURNING ${HOOK_COLUMNS}`,
      [url, secret, kinds, cursor],
    );
    return toHook(r.rows[0]!);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    const r = await this.pool.query('UPDATE webhooks SET deleted_at = CURRENT_TIMESTAMP WHERE id = $1 AND deleted_at IS NULL', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async webhooks(): Promise<Webhook[]> {
    const r = await this.pool.query<HookRow>(`SELECT ${HOOK_COLUMNS} FROM webhooks WHERE deleted_at IS NULL ORDER BY id`);
    return r.rows.map(toHook);
  }

  async deadLetters(webhookId: string, limit: number): Promise<DeadLetter[]> {
    // webhook_dead_letters_webhook_id_id_idx
    const r = await this.pool.query<{
      id: string; webhook_id: string; seq: string; kind: IntegrationKind; payload: IntegrationEvent; attempts: number; error: string; created_at: Date;
    }>(
      `SELECT id::text, webhook_id::text, seq::text, kind, payload, attempts, error, created_at FROM webhook_dead_letters
        WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
      [webhookId, limit],
    );
    return r.rows.map((x) => ({
      id: x.id, webhookId: x.webhook_id, cursor: x.seq, kind: x.kind, payload: x.payload, attempts: x.attempts, error: x.error, createdAt: x.created_at,
    }));
  }

  lead(): Promise<boolean> {
    return this.leader.lead();
  }


  async due(limit: number): Promise<(Webhook & { secret: string })[]> {
    // webhooks_active_idx
    const r = await this.pool.query<HookRow>(
      `SELECT ${HOOK_COLUMNS} FROM webhooks WHERE deleted_at IS NULL AND next_at <= CURRENT_TIMESTAMP ORDER BY next_at LIMIT $1`,
      [limit],
    );
    return r.rows.map((row) => ({ ...toHook(row), secret: row.secret }));
  }

  async delivered(id: string, cursor: string): Promise<void> {
    await this.pool.query(
      `UPDATE webhooks SET cursor = GREATEST(cursor, $2::bigint), failures = 0, last_error = NULL, next_at = CURRENT_TIMESTAMP,
              delivered_at = CURRENT_TIMESTAMP WHERE id = $1`,
      [id, cursor],
    );
  }

  async failed(id: string, failures: number, error: string, nextAt: Date): Promise<void> {
    await this.pool.query('UPDATE webhooks SET failures = $2, last_error = $3, next_at = $4 WHERE id = $1', [id, failures, error, nextAt]);
  }

  async deadLetter(id: string, event: IntegrationEvent, attempts: number, error: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        'INSERT INTO webhook_dead_letters (webhook_id, seq, kind, payload, attempts, error) VALUES ($1, $2, $3, $4, $5, $6)',
        [id, event.cursor, event.kind, JSON.stringify(event), attempts, error],
      );
      await client.query(
        `UPDATE webhooks SET cursor = GREATEST(cursor, $2::bigint), failures = 0, last_error = $3, next_at = CURRENT_TIMESTAMP
          WHERE id = $1`,
        [id, event.cursor, error],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.leader.release();
  }

}
