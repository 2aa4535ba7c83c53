// ApiKeyStore on PostgreSQL: keys by id with the SHA-256 of their secret.
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { ApiKeyStore } from '../../core/admin/ports.js';
import type { ApiKeyInfo, ApiScope } from '../../core/admin/scopes.js';

type Row = { id: string; name: string; scopes: ApiScope[]; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };
const COLUMNS = 'id::text, name, scopes, created_at, last_used_at, revoked_at';
const toKey = (r: Row): ApiKeyInfo => ({
  id: r.id, name: r.name, scopes: r.scopes, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at,
});

export class PgApiKeyStore implements ApiKeyStore {
  constructor(private readonly pool: Pool) {}

  async create(name: string, scopes: ApiScope[], secretHash: string, createdBy: UserId | null): Promise<ApiKeyInfo> {
    const r = await this.pool.query<Row>(
      `INSERT INTO api_keys (name, scopes, secret_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [name, scopes, secretHash, createdBy],
    );
    return toKey(r.rows[0]!);
  }

  async find(id: string): Promise<(ApiKeyInfo & { secretHash: string }) | null> {
    const r = await this.pool.query<Row & { secret_hash: string }>(`SELECT ${COLUMNS}, secret_hash FROM api_keys WHERE id = $1`, [id]);
    return r.rows[0] ? { ...toKey(r.rows[0]), secretHash: r.rows[0].secret_hash } : null;
  }

  async revoke(id: string): Promise<boolean> {
    const r = await this.pool.query('UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE id = $1 AND revoked_at IS NULL', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async list(): Promise<ApiKeyInfo[]> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM api_keys ORDER BY id DESC`);
    return r.rows.map(toKey);
  }

  async touch(id: string): Promise<void> {
    await this.pool.query('UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP WHERE id = $1', [id]);
  }
}
