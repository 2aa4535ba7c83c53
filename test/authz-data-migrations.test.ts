// The issue-14 data migrations on a database that already holds data: files already sent
// get their shares, past exits their card, shared push tokens one owner, group messages
// their shared state back.
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrate } from '../src/storage/postgres/migrate.js';
import { createDatabase, dropDatabase } from './helpers/app.js';

const DIR = join(import.meta.dirname, '..', 'prisma', 'migrations');
const FIRST_NEW = '20261208010000_file_shares';
let url: string;
let pool: pg.Pool;
let before: string;

beforeAll(async () => {
  url = await createDatabase();
  pool = new pg.Pool({ connectionString: url, max: 2 });
  before = await mkdtemp(join(tmpdir(), 'stn-mig-'));
  for (const name of await readdir(DIR)) if (name < FIRST_NEW) await cp(join(DIR, name), join(before, name), { recursive: true });
});
afterAll(async () => {
  await pool?.end();
  if (url) await dropDatabase(url);
  if (before) await rm(before, { recursive: true, force: true });
});

it('backfills shares, exit cards and token owners, and resets group message state', async () => {
  await migrate(pool, before);
  const q = (sql: string, args: unknown[] = []) => pool.query(sql, args);
  const d = (await q("INSERT INTO domains (host) VALUES ('localhost') RETURNING id")).rows[0].id;
  const user = async (name: string) =>
    (await q("INSERT INTO users (domain_id, username, display_name, password_hash) VALUES ($1, $2, $2, 'x') RETURNING id::text", [d, name])).rows[0].id as string;
  const [a, b, c] = [await user('a'), await user('b'), await user('c')];
  const direct = (await q("INSERT INTO conversations (kind, direct_key) VALUES ('direct', 'd:1:2') RETURNING id::text")).rows[0].id as string;
  const group = (await q("INSERT INTO conversations (kind, name, topic) VALUES ('group', 'old', 'old topic') RETURNING id::text")).rows[0].id as string;
  await q('INSERT INTO conversation_members (conversation_id, user_id) VALUES ($1, $2), ($1, $3), ($4, $2), ($4, $3)', [direct, a, b, group]);
  const sha = 'ab'.repeat(32);
  const own = (await q(`INSERT INTO files (owner_id, name, size, content_type, kind, ext, sha256, md5, status)
    VALUES ($1, 'mine.txt', 3, 'text/plain', 'file', 'txt', $2, 'cd', 'ready') RETURNING id::text`, [a, sha])).rows[0].id as string;
  const other = (await q(`INSERT INTO files (owner_id, name, size, content_type, kind, ext, sha256, md5, status)
    VALUES ($1, 'theirs.txt', 3, 'text/plain', 'file', 'txt', $2, 'cd', 'ready') RETURNING id::text`, [c, sha])).rows[0].id as string;
  const body = JSON.stringify({ FILEID: own, FileName: 'mine.txt', HttpUrl: `/file/v2/download/${sha}.txt?name=mine.txt` });
  await q(`INSERT INTO messages (seq, conversation_id, sender_id, msg_id, msg_type, body, created_at, state)
    VALUES (1, $1, $2, 'f1', 5, $3, 1000, 0), (2, $4, $2, 'g1', 1, 'hi', 1001, 3)`, [direct, a, body, group]);
  // c was removed from the group at seq 3; the removal event carried the card as of then
  const card = { id: group, roomName: group, name: 'old', topic: 'old topic', description: null, pictureUrl: null, version: 1, createdAt: 1, destroyed: false, memberCount: 2 };
  await q(`INSERT INTO events (seq, kind, user_id, conversation_id, payload, created_at) VALUES (3, 'group.members', $1, $2, $3, 1002)`,
    [c, group, JSON.stringify({ kind: 'group.members', change: 'removed', card })]);
  await q("INSERT INTO user_groups (user_id, conversation_id, status, role, change_seq) VALUES ($1, $2, 'removed', 'member', 3)", [c, group]);
  await q("UPDATE conversations SET name = 'new', topic = 'secret' WHERE id = $1", [group]);
  await q(`INSERT INTO push_devices (user_id, token, platform, os, updated_at) VALUES
    ($1, 'shared-token-1', 'ios', 'ios', now() - interval '1 day'), ($2, 'shared-token-1', 'ios', 'ios', now())`, [a, b]);

  const applied = await migrate(pool, DIR);
  expect(applied[0]).toBe(FIRST_NEW);
  const shares = (await q('SELECT file_id::text, conversation_id::text FROM file_shares')).rows;
  expect(shares).toEqual([{ file_id: own, conversation_id: direct }]); // the sender's own upload, not c's
  expect(shares.some((s) => s.file_id === other)).toBe(false);
  const kept = (await q('SELECT card FROM user_groups WHERE user_id = $1', [c])).rows[0].card;
  expect(kept).toMatchObject({ name: 'old', topic: 'old topic', memberCount: 2 });
  const tokens = (await q("SELECT user_id::text FROM push_devices WHERE token = 'shared-token-1' AND disabled_at IS NULL")).rows;
  expect(tokens).toEqual([{ user_id: b }]);
  expect((await q('SELECT state FROM messages WHERE seq = 2')).rows[0].state).toBe(0);
});
