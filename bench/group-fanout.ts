// Group fan-out benchmark (not a test): one group of BENCH_MEMBERS members (default 500),
// every member subscribed over graphql-ws, a few members posting at a paced rate over HTTP.
// Reports deliveries/s reaching the clients, p50/p99 send->delivery latency, and the
// database writes per message (commits and rows), for each rate step.
// Run: npm run bench:fanout
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { GqlHttp, subscribeEvents, type Subscriber } from './lib/gql.js';
import { recreateDatabase } from './lib/pg.js';
import { bulkUsers } from './lib/users.js';
import { startChild } from './lib/server-handle.js';

const env = (k: string, d: number) => Number(process.env[k] ?? d);
const MEMBERS = env('BENCH_MEMBERS', 500);
const RATES = (process.env.BENCH_FANOUT_RATES ?? '20,50,100,150').split(',').map(Number);
const SECONDS = env('BENCH_FANOUT_SECS', 5);
const DB = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stn_bench_fanout';

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main() {
  await recreateDatabase(DB);
  const server = await startChild({
    DATABASE_URL: DB, ADMIN_PASSWORD: 'bench-admin-1', LOG_LEVEL: 'warn', SEND_RATE_PER_SEC: '0',
    GROUP_MEMBER_LIMIT: String(MEMBERS), MAX_WS_CONNECTIONS: String(MEMBERS + 100), MAX_CONNECTIONS_PER_IP: '0', SUBSCRIPTION_QUEUE: '5000',
    PORT: '0', HOST: '127.0.0.1',
  });
  const http = new GqlHttp(server.url);
  const db = new pg.Pool({ connectionString: DB, max: 2 });
  try {
    const members = await bulkUsers(db, 'm', MEMBERS);
    const names = members.map((m) => m.name);
    const tokens = members.map((m) => m.token);
    const g = await http.request<{ createGroup: { id: string } }>(
      'mutation($i:CreateGroupInput!){ createGroup(input:$i){ id } }', { i: { name: 'fanout', members: names.slice(1) } }, tokens[0],
    );
    const groupId = g.createGroup.id;

    let deliveries = 0;
    let latencies: number[] = [];
    const subs: Subscriber[] = tokens.map((t) => subscribeEvents(server.url, t, (m) => {
      deliveries++;
      const sentAt = Number(m.body.split(':')[1]);
      if (sentAt) latencies.push(Date.now() - sentAt);
    }));
    await Promise.all(subs.map((s) => s.connected));
    await new Promise((r) => setTimeout(r, 1000));

    const results = [];
    for (const rate of RATES) {
      const before = await db.query<{ commits: string }>('SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()');
      const rowsBefore = (await db.query<{ n: string }>('SELECT count(*)::text AS n FROM messages')).rows[0]!.n;
      deliveries = 0;
      latencies = [];
      const start = Date.now();
      const total = rate * SECONDS;
      const sends: Promise<unknown>[] = [];
      let errors = 0;
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sends.push(http.request('mutation($i:SendGroupMessageInput!){ sendGroupMessage(input:$i){ id } }',
          { i: { groupId, body: `x:${Date.now()}` } }, tokens[1 + (i % 10)]).catch(() => errors++));
      }
      await Promise.all(sends);
      const expected = total * MEMBERS;
      const until = Date.now() + 30_000;
      while (deliveries < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const elapsed = (Date.now() - start) / 1000;
      const after = await db.query<{ commits: string }>('SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()');
      const rows = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM messages')).rows[0]!.n) - Number(rowsBefore);
      const r = {
        offeredMsgsPerSec: rate, messages: total, errors, deliveries, expected,
        deliveriesPerSec: Math.round(deliveries / elapsed),
        p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99),
        messageRowsWritten: rows,
        commits: Number(after.rows[0]!.commits) - Number(before.rows[0]!.commits),
      };
      results.push(r);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (deliveries < expected) break; // the server is saturated: higher rates only queue
    }
    const snap = await server.snapshot();
    const out = { when: new Date().toISOString(), members: MEMBERS, seconds: SECONDS, results, writer: snap.writer };
    writeFileSync(new URL('./last-fanout.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
    console.table(results.map((r) => ({
      'msgs/s offered': r.offeredMsgsPerSec, 'deliveries/s': r.deliveriesPerSec, 'delivered/expected': `${r.deliveries}/${r.expected}`,
      'p50 ms': r.p50Ms, 'p99 ms': r.p99Ms, 'rows/msg': (r.messageRowsWritten / r.messages).toFixed(2),
    })));
    await Promise.all(subs.map((s) => s.dispose()));
  } finally {
    http.close();
    await db.end();
    await server.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
