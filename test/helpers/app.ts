// A real server on a fresh database per test file, and clients that speak to it the way
// apps do: GraphQL over HTTP (fetch) and subscriptions over graphql-ws.
import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';

export const ADMIN_PASSWORD = 'admin-pass-1';

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

export interface TestApp {
  app: App;
  url: string;
  databaseUrl: string;
  db: pg.Pool;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GqlResult<T>>;
  /** gql that fails the test on errors and returns data */
  ok<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<T>;
  adminToken: string;
  createUser(username: string, password?: string): Promise<{ id: string; token: string; username: string }>;
  login(username: string, password: string): Promise<string>;
  ws(token?: string): Client;
  close(): Promise<void>;
}

export async function createDatabase(): Promise<string> {
  const base = inject('databaseUrl');
  const name = `stn_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestApp> {
  const dbUrl = databaseUrl ?? (await createDatabase());
  const config = loadConfig({
    DATABASE_URL: dbUrl, ADMIN_PASSWORD, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env,
  });
  const app = await buildApp(config);
  const { url } = await app.listen(0, '127.0.0.1');
  const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const clients: Client[] = [];

  const gql = async (query: string, variables?: Record<string, unknown>, token?: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as GqlResult;
    return { ...body, status: res.status };
  };
  const ok = async (query: string, variables?: Record<string, unknown>, token?: string) => {
    const r = await gql(query, variables, token);
    if (r.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
    return r.data;
  };
  const login = async (username: string, password: string) => {
    const d = await ok('mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }', { u: username, p: password });
    return d.login.token as string;
  };
  const adminToken = await login('admin', ADMIN_PASSWORD);

  return {
    app, url, databaseUrl: dbUrl, db, gql, ok, login, adminToken,
    async createUser(username, password = 'password-123') {
      const d = await ok(
        'mutation($i:CreateUserInput!){ createUser(input:$i){ id username } }',
        { i: { username, password, displayName: username.toUpperCase() } }, adminToken,
      );
      return { id: d.createUser.id, username, token: await login(username, password) };
    },
    ws(token) {
      const c = createClient({
        url: url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(c);
      return c;
    },
    async close() {
      // a client whose socket the server closed (revoked, 4403) rejects dispose(): nothing to undo
      for (const c of clients) await Promise.resolve(c.dispose()).catch(() => {});
      await db.end();
      await app.close();
      if (!databaseUrl) await dropDatabase(dbUrl);
    },
  };
}

/** Collects a subscription's events into an array; stop() ends it. */
export function collect<T = any>(client: Client, query: string, variables?: Record<string, unknown>) {
  const items: T[] = [];
  const errors: unknown[] = [];
  let done = false;
  const waiters: (() => void)[] = [];
  const stop = client.subscribe<T>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors) errors.push(...v.errors);
        if (v.data) items.push(v.data as T);
        waiters.splice(0).forEach((w) => w());
      },
      error: (e) => {
        errors.push(e);
        done = true;
        waiters.splice(0).forEach((w) => w());
      },
      complete: () => {
        done = true;
        waiters.splice(0).forEach((w) => w());
      },
    },
  );
  return {
    items,
    errors,
    get done() {
      return done;
    },
    stop,
    /** resolves once at least n items arrived (or the stream ended / timed out) */
    async waitFor(n: number, timeoutMs = 10_000): Promise<T[]> {
      const until = Date.now() + timeoutMs;
      while (items.length < n && !done && Date.now() < until) {
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return items;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Many users fast: rows and sessions written directly (scrypt per user would take
 * seconds). Each gets a working bearer token, as if it had logged in.
 */
export async function bulkUsers(t: TestApp, prefix: string, n: number): Promise<{ id: string; username: string; token: string }[]> {
  const { createHash, randomBytes } = await import('node:crypto');
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const r = await t.db.query<{ id: string; username: string }>(
    `INSERT INTO users (domain_id, username, display_name, password_hash)
     SELECT d.id, u, u, 'scrypt$disabled' FROM domains d, unnest($1::text[]) AS u WHERE d.host = 'localhost'
     RETURNING id::text, username`,
    [names],
  );
  const tokens = r.rows.map(() => `stn_${randomBytes(24).toString('base64url')}`);
  await t.db.query(
    `INSERT INTO auth_sessions (user_id, token_hash, expires_at)
     SELECT u, h, now() + interval '1 day' FROM unnest($1::bigint[], $2::text[]) AS x(u, h)`,
    [r.rows.map((u) => u.id), tokens.map((tk) => createHash('sha256').update(tk).digest('hex'))],
  );
  return r.rows.map((u, i) => ({ ...u, token: tokens[i]! }));
}
