// Send -> deliver benchmark: `npm run bench`. About 1.5-2 minutes with the defaults.
//
// Phases: setup (fresh database, server, users, logins) -> (d) memory per idle subscribed
// WebSocket -> (a) max closed-loop throughput, checking every receiver got every message
// exactly once -> (b) latency at half that rate, open loop, with a database commit probe
// -> (c) raw PostgreSQL insert baseline -> summary table + bench/last-results.json.
//
// The server runs in a child process (bench/server.ts) so that its CPU, event loop and
// heap are its own; BENCH_SERVER=inproc runs it in this process instead. Phase (d) always
// uses a fresh child of its own, so its memory figures hold only the server's sockets.
//
// Environment (defaults in brackets):
//   BENCH_DATABASE_URL  database to DROP and re-create [postgres://postgres@127.0.0.1:5432/stn_bench];
//                       its name must contain "bench" unless BENCH_FORCE_DROP=1
//   BENCH_REDIS_URL     use the Redis bus [unset: in-memory bus]
//   BENCH_SERVER        child | inproc [child]
//   BENCH_PAIRS         sender/receiver pairs; sender i writes to receiver i [50]
//   BENCH_CONCURRENCY   in-flight sendMessage calls, one closed-loop run per value [25,50,100,200]
//   BENCH_WARMUP_SECS / BENCH_THROUGHPUT_SECS   per closed-loop run [2 / 8]
//   BENCH_LATENCY_SECS  open-loop run [10]; BENCH_LATENCY_RATE msgs/s [half the max delivered rate]
//   BENCH_RAW_SECS      per raw insert run (3 runs) [4]
//   BENCH_IDLE_WS       idle subscribed sockets for (d) [2000]
//   BENCH_BODY_BYTES    message body size [100];  BENCH_DB_POOL  server DB_POOL_SIZE [10]
//   BENCH_TRACE=1       log server-side pool waits and writer transaction times (diagnostic)
//   BENCH_SERVER_NODE_ARGS  extra node flags for the server child, e.g. "--cpu-prof"
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { GqlHttp, subscribeEvents, type Subscriber } from './lib/gql.js';
import { handshake, type Pairs } from './lib/load.js';
import { measureIdleSockets } from './lib/memory.js';
import { recreateDatabase } from './lib/pg.js';
import { latencyPhase, rawPhase, throughputPhase } from './lib/phases.js';
import { printSummary } from './lib/report.js';
import { startChild, startInProcess, type ServerHandle } from './lib/server-handle.js';
import { Tracker } from './lib/tracker.js';

const env = process.env;
const num = (k: string, d: number) => (env[k] ? Number(env[k]) : d);
const opts = {
  databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stn_bench',
  redisUrl: env.BENCH_REDIS_URL, // unset: the single-node in-memory bus
  serverMode: (env.BENCH_SERVER ?? 'child') as 'child' | 'inproc',
  pairs: num('BENCH_PAIRS', 50),
  concurrency: (env.BENCH_CONCURRENCY ?? '25,50,100,200').split(',').map(Number),
  warmupSecs: num('BENCH_WARMUP_SECS', 2),
  throughputSecs: num('BENCH_THROUGHPUT_SECS', 8),
  latencySecs: num('BENCH_LATENCY_SECS', 10),
  latencyRate: env.BENCH_LATENCY_RATE ? Number(env.BENCH_LATENCY_RATE) : undefined,
  rawSecs: num('BENCH_RAW_SECS', 4),
  idleSockets: num('BENCH_IDLE_WS', 2000),
  bodyBytes: num('BENCH_BODY_BYTES', 100),
  dbPoolSize: num('BENCH_DB_POOL', 10),
};
const ADMIN_PASSWORD = 'bench-admin-password';
const USER_PASSWORD = 'bench-user-password';

const serverEnv: Record<string, string> = {
  DATABASE_URL: opts.databaseUrl,
  ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
  ADMIN_PASSWORD,
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'warn',
  GRAPHIQL: 'false',
  SEND_RATE_PER_SEC: '0',
  LOGIN_ATTEMPTS_PER_MINUTE: '100000',
  MAX_WS_CONNECTIONS: '100000',
  MAX_CONNECTIONS_PER_IP: '0', // every bench client is on loopback
  MAX_SUBSCRIPTIONS_PER_USER: '10000', // phase (d) puts ~40 sockets on each receiver
  DB_POOL_SIZE: String(opts.dbPoolSize),
};

const mb = (b: number) => (b / 2 ** 20).toFixed(1);
/** The code under test: commit, and whether src/ had uncommitted changes. */
function codeVersion(): { commit: string; srcDirty: boolean } | null {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', '--short', 'HEAD'), srcDirty: git('status', '--porcelain', '--', 'src', 'prisma') !== '' };
  } catch {
    return null;
  }
}

const log = (m: string) => process.stdout.write(`[bench +${(process.uptime()).toFixed(1)}s] ${m}\n`);

async function pool<T>(n: number, parallel: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

async function createUsers(http: GqlHttp, names: string[]): Promise<string[]> {
  const LOGIN = 'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }';
  const CREATE = 'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }';
  const login = async (u: string, p: string) =>
    (await http.request<{ login: { token: string } }>(LOGIN, { u, p })).login.token;
  const admin = await login('admin', ADMIN_PASSWORD);
  // scrypt hashing dominates: a few at a time keeps the thread pool busy without queueing
  await pool(names.length, 8, (i) => http.request(CREATE, { input: { username: names[i], password: USER_PASSWORD } }, admin));
  return pool(names.length, 8, (i) => login(names[i]!, USER_PASSWORD));
}

async function main(): Promise<void> {
  const started = Date.now();
  const code = codeVersion();
  log(`code ${JSON.stringify(code)}`);
  log(`options ${JSON.stringify({ ...opts, databaseUrl: opts.databaseUrl.replace(/\/\/[^@]*@/, '//***@') })}`);
  await recreateDatabase(opts.databaseUrl);
  const start = opts.serverMode === 'child' ? startChild : startInProcess;
  const server: ServerHandle = await start(serverEnv);
  log(`server (${server.mode}, pid ${server.pid}) at ${server.url}`);
  const http = new GqlHttp(server.url);
  const receivers: Subscriber[] = [];
  let memServer: ServerHandle | undefined;
  try {
    const n = opts.pairs;
    const pad = (i: number) => String(i).padStart(4, '0');
    const senderNames = Array.from({ length: n }, (_x, i) => `bs${pad(i)}`);
    const receiverNames = Array.from({ length: n }, (_x, i) => `br${pad(i)}`);
    const tokens = await createUsers(http, [...senderNames, ...receiverNames]);
    const senderTokens = tokens.slice(0, n);
    const receiverTokens = tokens.slice(n);
    log(`created and logged in ${2 * n} users`);

    // (d) memory per idle subscribed WebSocket, in a fresh server child of its own: the one
    // above hashed 200 passwords with scrypt (16 MB each on the thread pool), and the
    // allocator hands that memory back at random later, which would swamp the RSS figure.
    memServer = await startChild(serverEnv);
    const memory = await measureIdleSockets(memServer, receiverTokens, opts.idleSockets);
    await memServer.close();
    log(`memory: ${JSON.stringify(memory.perConnectionBytes)} bytes per idle subscribed socket (median of step slopes); first-to-last ${JSON.stringify(memory.perConnectionDeltaBytes)}`);

    // receivers: one graphql-ws connection + events subscription each
    const trackers: Tracker[] = [];
    let stray = 0; // deliveries that belong to no phase
    for (let r = 0; r < n; r++) {
      receivers.push(subscribeEvents(server.url, receiverTokens[r]!, (m) => {
        if (!trackers.some((t) => t.deliver(r, m))) stray++;
      }));
    }
    await Promise.all(receivers.map((s) => s.connected));
    const newTracker = (prefix: string) => (trackers.unshift(new Tracker(prefix)), trackers[0]!);
    const before = await server.snapshot();
    log(`server before load: heapUsed ${mb(before.memory.heapUsed)} MB, rss ${mb(before.memory.rss)} MB` +
      (server.mode === 'inproc' ? ' (includes the bench clients)' : ''));
    const pairs: Pairs = { http, senderTokens, receiverNames, bodyBytes: opts.bodyBytes };
    await handshake(pairs, newTracker('h'));
    log(`${n} receivers subscribed; handshake delivered to each`);

    // (a) max throughput, closed loop, at each concurrency level
    const throughput = await throughputPhase(server, pairs, newTracker, opts.databaseUrl, opts.concurrency,
      opts.warmupSecs * 1000, opts.throughputSecs * 1000, log);
    const best = throughput.reduce((a, b) => (b.deliveredPerSec > a.deliveredPerSec ? b : a));

    // (b) latency at about half the max rate, open loop
    const rate = opts.latencyRate ?? Math.max(1, best.deliveredPerSec / 2);
    const latency = await latencyPhase(server, pairs, newTracker('l'), opts.databaseUrl, rate, opts.latencySecs * 1000, log);
    const after = await server.snapshot();
    log(`server after load: heapUsed ${mb(after.memory.heapUsed)} MB, rss ${mb(after.memory.rss)} MB` +
      (server.mode === 'inproc' ? ' (includes the bench clients)' : ''));
    const receiverErrors = receivers.flatMap((s) => s.errors);
    await Promise.all(receivers.splice(0).map((s) => s.dispose()));

    // (c) raw PostgreSQL baseline, the server idle
    const raw = await rawPhase(opts.databaseUrl, opts.rawSecs, opts.bodyBytes, log);

    const results = {
      when: new Date().toISOString(),
      code,
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      options: { ...opts, databaseUrl: undefined },
      memory, throughput, best: best.concurrency, latency, raw,
      lateOrUnexpectedDeliveries: stray + trackers.reduce((a, t) => a + t.unexpected, 0),
      receiverErrors,
      server: { hubGaps: after.hubGaps, memoryAfterLoad: after.memory, writer: after.writer, avgBatch: after.writer.jobs / Math.max(1, after.writer.batches) },
      totalSeconds: (Date.now() - started) / 1000,
    };
    const { rows: summary, warnings } = printSummary(results);
    const out = fileURLToPath(new URL('./last-results.json', import.meta.url));
    await writeFile(out, `${JSON.stringify({ ...results, warnings, summary }, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await Promise.all(receivers.map((s) => s.dispose()));
    await memServer?.close();
    http.close();
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
