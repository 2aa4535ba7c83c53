// PostgreSQL helpers: a fresh bench database, and the raw insert baseline on a copy of
// the messages table (same columns, constraints and indexes: LIKE ... INCLUDING ALL).
import pg from 'pg';

/** Drops and re-creates the database named in `url` through the maintenance database. */
export async function recreateDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`unsupported database name "${name}"`);
  if (!name.includes('bench') && process.env.BENCH_FORCE_DROP !== '1') {
    throw new Error(`refusing to drop "${name}": the name must contain "bench" (or set BENCH_FORCE_DROP=1)`);
  }
  u.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: u.toString() });
  await admin.connect();
  try {
    // A second run must not pull the database from under a first one still going.
    const busy = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (busy.rows[0]!.n > 0 && process.env.BENCH_FORCE_DROP !== '1') {
      throw new Error(`database "${name}" has ${busy.rows[0]!.n} open connections (another bench run?); ` +
        'wait, pick another BENCH_DATABASE_URL, or set BENCH_FORCE_DROP=1');
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

export interface RawResult {
  label: string;
  clients: number;
  rowsPerStatement: number;
  rows: number;
  seconds: number;
  rowsPerSec: number;
}

export interface RawOptions {
  url: string;
  clients: number;
  rowsPerStatement: number;
  seconds: number;
  bodyBytes: number;
  conversations: string[];
  senders: string[];
}

const COLS = 'seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at';

/** Each client inserts in a loop (autocommit, one statement per transaction) for `seconds`. */
export async function rawInsert(o: RawOptions): Promise<RawResult> {
  const table = `bench_raw_${o.clients}x${o.rowsPerStatement}`;
  const setup = new pg.Client({ connectionString: o.url });
  await setup.connect();
  await setup.query(`DROP TABLE IF EXISTS ${table}`);
  await setup.query(`CREATE TABLE ${table} (LIKE messages INCLUDING ALL)`);
  await setup.end();

  const clients = await Promise.all(Array.from({ length: o.clients }, async () => {
    const c = new pg.Client({ connectionString: o.url });
    await c.connect();
    return c;
  }));
  const pad = 'x'.repeat(Math.max(0, o.bodyBytes - 24));
  let seq = 0;
  const row = () => {
    const s = ++seq;
    const i = s % o.senders.length;
    return [s, o.conversations[i]!, o.senders[i]!, `raw.${s}`, 1, `raw.${s}|${pad}`, null, null, Date.now()];
  };
  const single = { name: `${table}_ins`, text: `INSERT INTO ${table} (${COLS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)` };
  const multi = {
    name: `${table}_ins`,
    text: `INSERT INTO ${table} (${COLS}) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
            $5::int[], $6::text[], $7::text[], $8::text[], $9::bigint[])`,
  };
  let rows = 0;
  let stop = false;
  const start = performance.now();
  const deadline = start + o.seconds * 1000;
  await Promise.all(clients.map(async (c) => {
    while (!stop) {
      if (o.rowsPerStatement === 1) {
        await c.query({ ...single, values: row() });
      } else {
        const cols: unknown[][] = Array.from({ length: 9 }, () => []);
        for (let k = 0; k < o.rowsPerStatement; k++) row().forEach((v, j) => cols[j]!.push(v));
        await c.query({ ...multi, values: cols });
      }
      rows += o.rowsPerStatement;
      if (performance.now() >= deadline) stop = true;
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.end()));
  return {
    label: o.rowsPerStatement === 1 ? `single-row INSERT, ${o.clients} clients` : `${o.rowsPerStatement}-row INSERT, ${o.clients} clients`,
    clients: o.clients, rowsPerStatement: o.rowsPerStatement, rows, seconds, rowsPerSec: rows / seconds,
  };
}

/** The ids the raw rows use: the bench users and their conversations, as the app wrote them. */
export async function benchIds(url: string): Promise<{ senders: string[]; conversations: string[] }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ conversation_id: string; sender_id: string }>(
      'SELECT DISTINCT conversation_id::text, sender_id::text FROM messages',
    );
    return { senders: r.rows.map((x) => x.sender_id), conversations: r.rows.map((x) => x.conversation_id) };
  } finally {
    await c.end();
  }
}

export interface ProbeResult {
  commits: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** commits slower than `stallMs`: start (performance.now() ms) and duration */
  stalls: { at: number; ms: number }[];
}

/**
 * A light probe of the database's own commit latency: one connection commits a one-row
 * INSERT every `everyMs`. Run alongside the latency phase, it tells stalls of PostgreSQL
 * or the disk (fsync) apart from stalls of the server.
 */
export async function startCommitProbe(url: string, everyMs = 20, stallMs = 20) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (id bigserial PRIMARY KEY, at bigint NOT NULL)');
  const lat: number[] = [];
  const stalls: { at: number; ms: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      await c.query('INSERT INTO bench_commit_probe (at) VALUES ($1)', [Date.now()]);
      const ms = performance.now() - t;
      lat.push(ms);
      if (ms > stallMs) stalls.push({ at: t, ms });
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - ms)));
    }
  })();
  return async (): Promise<ProbeResult> => {
    running = false;
    await loop;
    await c.end();
    const sorted = [...lat].sort((a, b) => a - b);
    const p = (q: number) => Math.round(100 * (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN)) / 100;
    return { commits: lat.length, p50Ms: p(0.5), p99Ms: p(0.99), maxMs: p(1), stalls };
  };
}

/**
 * Committed transactions in the database so far (pg_stat_database; every autocommit
 * statement counts as one). Backends publish their counts within about a second, so the
 * caller waits that long after a phase before reading.
 */
export async function xactCommits(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_stat_clear_snapshot()');
    const r = await c.query<{ n: string }>('SELECT xact_commit::text AS n FROM pg_stat_database WHERE datname = current_database()');
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}
