// Two-node benchmark (not a test): senders post 1:1 messages over HTTP to node A while
// their receivers are subscribed on node B (both nodes on one PostgreSQL and one Redis),
// against the same workload on one node. Reports delivered messages/s and send->deliver
// latency, and the ratio two nodes / one node. Run: npm run bench:nodes
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { GqlHttp, subscribeEvents, type Subscriber } from './lib/gql.js';
import { recreateDatabase } from './lib/pg.js';
import { bulkUsers } from './lib/users.js';
import { startChild, type ServerHandle } from './lib/server-handle.js';

const num = (k: string, d: number) => Number(process.env[k] ?? d);
const PAIRS = num('BENCH_PAIRS', 50);
const CONCURRENCY = num('BENCH_CONCURRENCY', 50);
const SECONDS = num('BENCH_NODES_SECS', 8);
const DB = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stn_bench_nodes';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function run(label: string, sendTo: ServerHandle, receiveOn: ServerHandle, db: pg.Pool) {
  const senders = await bulkUsers(db, `${label}s`, PAIRS);
  const receivers = await bulkUsers(db, `${label}r`, PAIRS);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let delivered = 0;
  const subs: Subscriber[] = receivers.map((r) => subscribeEvents(receiveOn.url, r.token, (m) => {
    const t0 = sentAt.get(m.body);
    if (t0 !== undefined) latencies.push(Date.now() - t0), delivered++;
  }));
  await Promise.all(subs.map((s) => s.connected));
  await new Promise((r) => setTimeout(r, 500));
  const http = new GqlHttp(sendTo.url);
  let sent = 0;
  let errors = 0;
  const until = Date.now() + SECONDS * 1000;
  const worker = async (w: number) => {
    for (let i = 0; Date.now() < until; i++) {
      const p = (w + i * CONCURRENCY) % PAIRS;
      const body = `${label}-${w}-${i}`;
      sentAt.set(body, Date.now());
      try {
        await http.request('mutation($i:SendMessageInput!){ sendMessage(input:$i){ id } }',
          { i: { to: receivers[p]!.name, body } }, senders[p]!.token);
        sent++;
      } catch {
        errors++;
      }
    }
  };
  const start = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const drainUntil = Date.now() + 10_000;
  while (delivered < sent && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 50));
  const secs = (Date.now() - start) / 1000;
  http.close();
  await Promise.all(subs.map((s) => s.dispose()));
  return { label, sent, delivered, errors, deliveredPerSec: Math.round(delivered / secs), p50Ms: pct(latencies, 50), p99Ms: pct(latencies, 99) };
}

async function main() {
  await recreateDatabase(DB);
  const env = {
    DATABASE_URL: DB, REDIS_URL: REDIS, REDIS_PREFIX: `bench${randomBytes(3).toString('hex')}`, ADMIN_PASSWORD: 'bench-admin-1',
    LOG_LEVEL: 'warn', SEND_RATE_PER_SEC: '0', PORT: '0', HOST: '127.0.0.1', DB_POOL_SIZE: '20', MAX_CONNECTIONS_PER_IP: '0',
  };
  const a = await startChild(env);
  const b = await startChild(env);
  const db = new pg.Pool({ connectionString: DB, max: 2 });
  try {
    const one = await run('one', a, a, db);
    const two = await run('two', a, b, db);
    const out = { when: new Date().toISOString(), pairs: PAIRS, concurrency: CONCURRENCY, seconds: SECONDS, one, two,
      ratio: { throughput: +(two.deliveredPerSec / one.deliveredPerSec).toFixed(2), p99: +(two.p99Ms / one.p99Ms).toFixed(2) } };
    writeFileSync(new URL('./last-two-nodes.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
    console.table([one, two]);
    console.log(`two nodes / one node: throughput x${out.ratio.throughput}, p99 x${out.ratio.p99}`);
  } finally {
    await db.end();
    await a.close();
    await b.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
