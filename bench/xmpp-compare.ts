// Our XMPP bridge against ejabberd and Prosody (Debian packages), same workload, same
// raw-socket client: `npm run bench:xmpp`. About 2-4 minutes with the defaults. Issue 5's targets:
// >= 1.2x ejabberd's messages/s with every message persisted, p99 no worse than ejabberd's,
// <= 10 KB per idle connection.
//
// Per server, one at a time (the others stopped): start with a private config in a temp dir
// -> accounts -> (1) RSS per idle logged-in connection on the fresh server -> (2) logins/s
// of the 2P pair clients -> handshake -> (3) closed loop: each pair sends M messages keeping
// W undelivered, ROUNDS times, median rate = max -> (4) open loop at one common rate (half
// ejabberd's max unless set) for p50/p99 -> stop. Exactly-once checked in every phase.
// Then the table and bench/last-xmpp.json.
//
// Needs: `ejabberd` and `prosody` from Debian (apt-get update && apt-get install -y ejabberd
// prosody), run as root (ejabberdctl switches to its own user; Prosody gets run_as_root),
// and PostgreSQL for ours.
//
// Environment (defaults in brackets):
//   BENCH_SERVERS       which, in this order [ejabberd,prosody,startalk]
//   BENCH_DATABASE_URL  ours: database to DROP, re-create and drop at the end
//                       [postgres://postgres@127.0.0.1:5432/stn_bench_xmpp]
//   BENCH_PAIRS [50]  BENCH_MESSAGES per pair per round [200]  BENCH_ROUNDS closed-loop rounds [3]
//   BENCH_WINDOW        undelivered messages per pair in the closed loop [10]
//   BENCH_LATENCY_RATE  open-loop msgs/s over all pairs [half the first server's max: ejabberd's]
//   BENCH_LATENCY_MESSAGES per pair in the open loop [200]
//   BENCH_IDLE          idle connections for the memory figure [1000] (+ 50 warm-up)
//   BENCH_LOGIN_PARALLEL logins in flight [20]   BENCH_BODY_BYTES [100]
//   BENCH_EJABBERD_MAM=1  ejabberd with mod_mam (Mnesia, default: always): persisted too
import { cpus } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EJABBERD_INSTALL, startEjabberd } from './lib/ejabberd.js';
import { PROSODY_INSTALL, startProsody } from './lib/prosody.js';
import { startStartalk } from './lib/startalk-xmpp.js';
import { Tracker } from './lib/tracker.js';
import { closedLoop, handshake, idleMemory, loginAll, openLoop, wirePairs, type LoadResult } from './lib/xmpp-phases.js';
import { buildRows, printTable, type ServerResult } from './lib/xmpp-report.js';
import { findBinary, type XmppServer } from './lib/xmpp-server.js';

const env = process.env;
const num = (k: string, d: number) => (env[k] ? Number(env[k]) : d);
const opts = {
  servers: (env.BENCH_SERVERS ?? 'ejabberd,prosody,startalk').split(',').map((s) => s.trim()) as XmppServer['name'][],
  databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stn_bench_xmpp',
  pairs: num('BENCH_PAIRS', 50),
  messages: num('BENCH_MESSAGES', 200),
  rounds: num('BENCH_ROUNDS', 3),
  window: num('BENCH_WINDOW', 10),
  latencyRate: env.BENCH_LATENCY_RATE ? Number(env.BENCH_LATENCY_RATE) : undefined,
  latencyMessages: num('BENCH_LATENCY_MESSAGES', 200),
  idle: num('BENCH_IDLE', 1000),
  warm: 50,
  memorySteps: 8,
  loginParallel: num('BENCH_LOGIN_PARALLEL', 20),
  bodyBytes: num('BENCH_BODY_BYTES', 100),
  ejabberdMam: env.BENCH_EJABBERD_MAM === '1',
};
const PASSWORD = 'bench-user-password';

const log = (m: string) => process.stdout.write(`[xmpp-bench +${process.uptime().toFixed(1)}s] ${m}\n`);
const pad = (i: number) => String(i).padStart(4, '0');

let running: XmppServer | null = null;

async function start(name: XmppServer['name']): Promise<XmppServer> {
  if (name === 'ejabberd') return startEjabberd({ mam: opts.ejabberdMam });
  if (name === 'prosody') return startProsody();
  if (name === 'startalk') return startStartalk(opts.databaseUrl);
  throw new Error(`unknown server "${name}" in BENCH_SERVERS`);
}

async function benchOne(name: XmppServer['name'], commonRate: number | undefined): Promise<ServerResult> {
  log(`${name}: starting`);
  const s = (running = await start(name));
  try {
    log(`${name}: ${s.label}, c2s on ${s.target.port}, pids ${s.pids().join(',')}`);
    const n = opts.pairs;
    const senders = Array.from({ length: n }, (_x, i) => `bs${pad(i)}`);
    const receivers = Array.from({ length: n }, (_x, i) => `br${pad(i)}`);
    const idle = Array.from({ length: opts.warm + opts.idle }, (_x, i) => `bi${pad(i)}`);
    const pairSecrets = await s.createUsers([...senders, ...receivers], PASSWORD, false);
    const idleSecrets = await s.createUsers(idle, PASSWORD, true);
    log(`${name}: ${senders.length + receivers.length + idle.length} accounts`);

    const memory = await idleMemory(s, idle, idleSecrets, opts.warm, opts.memorySteps);
    log(`${name}: idle memory ${(memory.perConnectionBytes / 1024).toFixed(1)} KB/connection ` +
      `(points ${memory.points.map((p) => `${p.connections}:${(p.rss / 2 ** 20).toFixed(1)}MB`).join(' ')})`);

    const login = await loginAll(s, [...senders, ...receivers], pairSecrets, opts.loginParallel);
    log(`${name}: ${login.clients.length} logins in ${login.seconds.toFixed(2)} s = ${login.perSec}/s`);
    const pairs = wirePairs({
      senders: login.clients.slice(0, n), receivers: login.clients.slice(n), receiverNames: receivers,
      padding: 'x'.repeat(Math.max(0, opts.bodyBytes - 12)),
    });
    try {
      await sleep(500); // initial presences processed
      const trackers: Tracker[] = [new Tracker('h')];
      await handshake(pairs, trackers[0]!);
      const db = name === 'startalk' ? decodeURIComponent(new URL(opts.databaseUrl).pathname.slice(1)) : '';
      const rounds: LoadResult[] = [];
      for (let r = 0; r < opts.rounds; r++) {
        const t = new Tracker(`c${r}`);
        trackers.push(t);
        rounds.push(await closedLoop(s, pairs, t, opts.messages, opts.window, db));
        const x = rounds[r]!;
        log(`${name}: closed loop round ${r + 1}: ${x.deliveredPerSec}/s (${x.messages} in ${x.seconds} s, ` +
          `p50 ${x.sendToDeliverMs.p50} ms p99 ${x.sendToDeliverMs.p99} ms, exactly once ${x.check.exactlyOnce})`);
        await sleep(500);
      }
      const sorted = rounds.map((x) => x.deliveredPerSec).sort((a, b) => a - b);
      const maxPerSec = sorted[sorted.length >> 1]!;
      const rate = opts.latencyRate ?? commonRate ?? maxPerSec / 2;
      const t = new Tracker('o');
      trackers.push(t);
      const latency = await openLoop(s, pairs, t, opts.latencyMessages, rate, db);
      log(`${name}: open loop at ${Math.round(rate)}/s: p50 ${latency.sendToDeliverMs.p50} ms, p99 ${latency.sendToDeliverMs.p99} ms, ` +
        `achieved ${latency.deliveredPerSec}/s, exactly once ${latency.check.exactlyOnce}`);
      await sleep(1000); // late duplicates would show up as unexpected
      const checks = trackers.map((x) => x.verify());
      const sum = (k: 'sent' | 'delivered' | 'missing' | 'duplicates' | 'unexpected') => checks.reduce((a, c) => a + c[k], 0);
      const stored = await s.storedMessages();
      return {
        name, label: s.label, persistence: s.persistence, memory,
        login: { clients: login.clients.length, parallel: opts.loginParallel, seconds: login.seconds, perSec: login.perSec },
        rounds, maxPerSec, latency,
        exactlyOnce: {
          ok: checks.every((c) => c.exactlyOnce) && pairs.stray === 0,
          sent: sum('sent'), delivered: sum('delivered'), missing: sum('missing'), duplicates: sum('duplicates'), unexpected: sum('unexpected'),
        },
        errorStanzas: login.clients.reduce((a, c) => a + c.errorStanzas, 0),
        stray: pairs.stray,
        stored,
      };
    } finally {
      for (const c of login.clients) c.close();
    }
  } finally {
    log(`${name}: stopping`);
    running = null;
    await s.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const missing = [
    opts.servers.includes('ejabberd') && !findBinary('ejabberdctl') ? `ejabberd (${EJABBERD_INSTALL})` : null,
    opts.servers.includes('prosody') && !findBinary('prosody') ? `prosody (${PROSODY_INSTALL})` : null,
  ].filter(Boolean);
  if (missing.length) {
    throw new Error(`missing: ${missing.join('; ')}. Install them from Debian's packages, as root: ` +
      'apt-get update && apt-get install -y ejabberd prosody (or leave them out with BENCH_SERVERS=startalk)');
  }
  log(`options ${JSON.stringify({ ...opts, databaseUrl: opts.databaseUrl.replace(/\/\/[^@]*@/, '//***@') })}`);
  const results: ServerResult[] = [];
  let commonRate = opts.latencyRate;
  for (const name of opts.servers) {
    const r = await benchOne(name, commonRate);
    commonRate ??= r.latency.targetPerSec;
    results.push(r);
    await sleep(2000);
  }
  const rows = buildRows(results);
  process.stdout.write(`\n${printTable(rows, results)}\n`);
  process.stdout.write(`${cpus().length} CPUs, node ${process.version}; load client and servers share the machine; ` +
    `run took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  const out = fileURLToPath(new URL('./last-xmpp.json', import.meta.url));
  await writeFile(out, `${JSON.stringify({
    when: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version },
    options: { ...opts, databaseUrl: undefined }, results, summary: rows,
  }, null, 2)}\n`);
  log(`wrote ${out}`);
}

const stopRunning = async () => {
  const s = running;
  running = null;
  await s?.stop().catch((e) => process.stderr.write(`cleanup failed: ${String(e)}\n`));
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => void stopRunning().finally(() => process.exit(130)));
}

main().then(
  () => process.exit(0),
  async (err) => {
    process.stderr.write(`xmpp bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    await stopRunning();
    process.exit(1);
  },
);
