// ClientConfigStore on PostgreSQL: one row per (user, key, subkey), versions from one sequence.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { ClientConfigStore, ConfigEntry } from '../../core/client-config/ports.js';

type Row = { config_key: string; sub_key: string; value: string; deleted: boolean; version: string };
const toEntry = (r: Row): ConfigEntry => ({ key: r.config_key, subkey: r.sub_key, value: r.value, deleted: r.deleted, version: r.version });

export class PgClientConfigStore implements ClientConfigStore {
  constructor(private readonly pool: Pool) {}

  async put(userId: UserId, entries: { key: string; subkey: string; value: string; deleted: boolean }[], platform: string | null): Promise<ConfigEntry[]> {
    const r = await this.pool.query<Row>(
      `INSERT INTO client_configs (user_id, config_key, sub_key, value, deleted, platform)
       SELECT $1, x.k, x.s, x.v, x.d, $6 FROM unnest($2::text[], $3::text[], $4::text[], $5::bool[]) AS x(k, s, v, d)
       ON CONFLICT (user_id, config_key, sub_key) DO UPDATE
         SET value = EXCLUDED.value, deleted = EXCLUDED.deleted, platform = EXCLUDED.platform,
             version = nextval('client_configs_version_seq'), updated_at = CURRENT_TIMESTAMP
       RETURNING config_key, sub_key, value, deleted, version::text`,
      [userId, entries.map((e) => e.key), entries.map((e) => e.subkey), entries.map((e) => e.value), entries.map((e) => e.deleted), platform],
    );
    return r.rows.map(toEntry);
  }

  async changes(userId: UserId, afterVersion: string, limit: number): Promise<ConfigEntry[]> {
    // client_configs_user_id_version_idx
    const r = await this.pool.query<Row>(
      `SELECT config_key, sub_key, value, deleted, version::text FROM client_configs
        WHERE user_id = $1 AND version > $2 ORDER BY version LIMIT $3`,
      [userId, afterVersion, limit],
    );
    return r.rows.map(toEntry);
  }
}
