// FileStore on PostgreSQL (table `files`).
import type { Pool } from 'pg';
import type { UserId } from '../../core/accounts/types.js';
import type { FileStore } from '../../core/files/ports.js';
import type { ConversationId } from '../../core/messages/types.js';
import type { FileKind, FileRecord, NewFile } from '../../core/files/types.js';

interface Row {
  id: string; owner_id: string; name: string; size: string; content_type: string; kind: FileKind; ext: string;
  sha256: string | null; md5: string | null; status: 'pending' | 'ready'; staging_key: string | null;
  expires_at: Date | null; created_at: Date;
}

const COLS = 'id::text, owner_id::text, name, size::text, content_type, kind, ext, sha256, md5, status, staging_key, expires_at, created_at';

const toFile = (r: Row): FileRecord => ({
  id: r.id, ownerId: r.owner_id, name: r.name, size: Number(r.size), contentType: r.content_type, kind: r.kind, ext: r.ext,
  sha256: r.sha256, md5: r.md5, status: r.status, stagingKey: r.staging_key, expiresAt: r.expires_at, createdAt: r.created_at,
});

export class PgFileStore implements FileStore {
  constructor(private readonly pool: Pool) {}

  async insert(f: NewFile): Promise<FileRecord> {
    const r = await this.pool.query<Row>(
      `INSERT INTO files (owner_id, name, size, content_type, kind, ext, sha256, md5, status, staging_key, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${COLS}`,
      [f.ownerId, f.name, f.size, f.contentType, f.kind, f.ext, f.sha256 ?? null, f.md5 ?? null, f.status, f.stagingKey ?? null, f.expiresAt ?? null],
    );
    return toFile(r.rows[0]!);
  }

  async byId(id: string): Promise<FileRecord | null> {
    if (!/^\d{1,19}$/.test(id)) return null;
    const r = await this.pool.query<Row>(`SELECT ${COLS} FROM files WHERE id = $1`, [id]);
    return r.rows[0] ? toFile(r.rows[0]) : null;
  }

  async byHash(hash: string): Promise<FileRecord | null> {
    const col = hash.length === 64 ? 'sha256' : 'md5';
    const r = await this.pool.query<Row>(
      `SELECT ${COLS} FROM files WHERE ${col} = $1 AND status = 'ready' ORDER BY id LIMIT 1`, [hash],
    );
    return r.rows[0] ? toFile(r.rows[0]) : null;
  }

  async complete(id: string, sha256: string, md5: string, contentType: string, ext: string): Promise<FileRecord> {
    const r = await this.pool.query<Row>(
      `UPDATE files SET sha256 = $2, md5 = $3, content_type = $4, ext = $5, status = 'ready', staging_key = NULL, expires_at = NULL
       WHERE id = $1 RETURNING ${COLS}`,
      [id, sha256, md5, contentType, ext],
    );
    return toFile(r.rows[0]!);
  }

  async remove(id: string): Promise<void> {
    await this.pool.query('DELETE FROM files WHERE id = $1', [id]);
  }

  async sharedWith(fileId: string, userId: UserId): Promise<boolean> {
    // file_shares_pkey by file, then conversation_members_pkey
    const r = await this.pool.query(
      `SELECT 1 FROM file_shares s JOIN conversation_members cm ON cm.conversation_id = s.conversation_id AND cm.user_id = $2
        WHERE s.file_id = $1 LIMIT 1`,
      [fileId, userId],
    );
    return r.rowCount! > 0;
  }

  async share(sha256: string, conversationId: ConversationId, senderId: UserId, preferId: string | null): Promise<void> {
    // files_sha256_idx; a row is a candidate when the sender owns it or may see it
    await this.pool.query(
      `INSERT INTO file_shares (file_id, conversation_id)
       SELECT f.id, $2 FROM files f
        WHERE f.sha256 = $1 AND f.status = 'ready'
          AND EXISTS (SELECT 1 FROM conversation_members me WHERE me.conversation_id = $2 AND me.user_id = $3)
          AND (f.owner_id = $3 OR EXISTS (
                SELECT 1 FROM file_shares s JOIN conversation_members cm ON cm.conversation_id = s.conversation_id AND cm.user_id = $3
                 WHERE s.file_id = f.id))
        ORDER BY COALESCE(f.id = $4::bigint, false) DESC, (f.owner_id = $3) DESC, f.id
        LIMIT 1
       ON CONFLICT DO NOTHING`,
      [sha256, conversationId, senderId, preferId],
    );
  }

  async sharedIn(sha256: string, conversationId: ConversationId, senderId: UserId, preferId: string | null): Promise<FileRecord | null> {
    const r = await this.pool.query<Row>(
      `SELECT ${COLS} FROM files f
        WHERE f.sha256 = $1 AND f.status = 'ready'
          AND EXISTS (SELECT 1 FROM file_shares s WHERE s.file_id = f.id AND s.conversation_id = $2)
        ORDER BY COALESCE(f.id = $4::bigint, false) DESC, (f.owner_id = $3) DESC, f.id
        LIMIT 1`,
      [sha256, conversationId, senderId, preferId],
    );
    return r.rows[0] ? toFile(r.rows[0]) : null;
  }
}
