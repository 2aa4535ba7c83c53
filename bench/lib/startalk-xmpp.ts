// Our server as one of the XMPP servers under test: a child process (bench/server.ts, with
// --expose-gc) on a fresh PostgreSQL database, XMPP on any free loopback port, SASL PLAIN
// allowed on loopback, no per-sender rate limit. Every chat message is stored in
// PostgreSQL before it is delivered. Accounts are written straight to the database.
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { hashPassword } from '../../src/core/accounts/passwords.js';
import { recreateDatabase } from './pg.js';
import { startChild } from './server-handle.js';
import type { XmppServer } from './xmpp-server.js';

export async function startStartalk(databaseUrl: string): Promise<XmppServer> {
  await recreateDatabase(databaseUrl);
  const handle = await startChild({
    DATABASE_URL: databaseUrl,
    ADMIN_PASSWORD: 'bench-admin-password',
    HOST: '127.0.0.1',
    PORT: '0',
    XMPP_PORT: '0',
    XMPP_PLAIN: 'loopback',
    LOG_LEVEL: 'warn',
    GRAPHIQL: 'false',
    SEND_RATE_PER_SEC: '0',
    // ejabberd's and Prosody's shapers are lifted for the comparison; ours likewise
    XMPP_STANZAS_PER_SEC: '0',
    LOGIN_ATTEMPTS_PER_MINUTE: '100000',
    MAX_XMPP_CONNECTIONS: '100000',
    MAX_CONNECTIONS_PER_IP: '0', // every bench client is on loopback
  });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const stop = async () => {
    await handle.close();
    await db.end();
    await dropDatabase(databaseUrl);
  };
  if (!handle.xmppPort) {
    await stop();
    throw new Error('our server did not report an XMPP port');
  }
  let commit = '?';
  try {
    const { execFileSync } = await import('node:child_process');
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  return {
    name: 'startalk',
    label: `Startalk Next ${commit} (bridge/, one node, PostgreSQL 127.0.0.1, scrypt-hashed passwords)`,
    persistence: 'every message stored in PostgreSQL (fsync on) before delivery',
    target: { host: '127.0.0.1', port: handle.xmppPort, domain: 'localhost' },
    pids: () => [handle.pid],
    async createUsers(names, password, fast) {
      // one scrypt hash for all: verifying it still costs one scrypt per login
      const hash = await hashPassword(password);
      const ids = (await db.query<{ id: string }>(
        `INSERT INTO users (domain_id, username, display_name, password_hash)
         SELECT d.id, u, u, $2 FROM domains d, unnest($1::text[]) WITH ORDINALITY x(u, n) WHERE d.host = 'localhost'
         ORDER BY n RETURNING id::text`,
        [names, hash],
      )).rows.map((r) => r.id);
      if (ids.length !== names.length) throw new Error(`created ${ids.length} of ${names.length} users`);
      if (!fast) return names.map(() => password);
      // SASL PLAIN also takes a session token as the password (bridge/modules/sasl.ts)
      const tokens = ids.map(() => `stn_${randomBytes(24).toString('base64url')}`);
      await db.query(
        `INSERT INTO auth_sessions (user_id, token_hash, expires_at)
         SELECT u, h, now() + interval '1 day' FROM unnest($1::bigint[], $2::text[]) x(u, h)`,
        [ids, tokens.map((t) => createHash('sha256').update(t).digest('hex'))],
      );
      return tokens;
    },
    async collectGarbage() {
      return (await handle.snapshot()).gcRan;
    },
    async storedMessages() {
      return (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM messages')).rows[0]!.n;
    },
    stop,
  };
}

async function dropDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
