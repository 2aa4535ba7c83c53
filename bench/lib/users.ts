// Many users with working bearer tokens, written straight to the database: scrypt for
// hundreds of logins would dominate a benchmark's set-up.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export async function bulkUsers(db: pg.Pool, prefix: string, n: number): Promise<{ name: string; token: string }[]> {
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const ids = (await db.query<{ id: string }>(
    `INSERT INTO users (domain_id, username, display_name, password_hash)
     SELECT d.id, u, u, 'scrypt$disabled' FROM domains d, unnest($1::text[]) u WHERE d.host = 'localhost' RETURNING id::text`,
    [names],
  )).rows.map((r) => r.id);
  const tokens = ids.map(() => `stn_${randomBytes(24).toString('base64url')}`);
  await db.query(
    `INSERT INTO auth_sessions (user_id, token_hash, expires_at)
     SELECT u, h, now() + interval '1 day' FROM unnest($1::bigint[], $2::text[]) x(u, h)`,
    [ids, tokens.map((t) => createHash('sha256').update(t).digest('hex'))],
  );
  return names.map((name, i) => ({ name, token: tokens[i]! }));
}
