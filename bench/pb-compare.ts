// Startalk protobuf (port 5202) vs XMPP over TCP, same workload, same machine: `npm run bench:pb`.
// Per transport, on a fresh database and a fresh server child (bench/server.ts, its own process):
//   logins   BENCH_LOGINS full logins (connect, auth with a bearer token as the PLAIN password,
//            bind, and for PB the key and navversion that come with it), BENCH_LOGIN_CONCURRENCY
//            at a time (XML also sends the session IQ, where its clients get the key): logins/s, p99 latency
//   messages BENCH_PAIRS sender/receiver pairs; each sender sends, waits for its mstat ack, sends
//            again (closed loop) for BENCH_MSG_SECS after BENCH_WARMUP_SECS: delivered msgs/s
//            and p99 send->deliver latency at the receiver
// Token logins keep scrypt out of the figures (both paths would pay it equally).
//   BENCH_DATABASE_URL [postgres://postgres@127.0.0.1:5432/stn_bench]; the name must contain "bench"
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { connect, type Socket } from 'node:net';
import type { Element } from 'ltx';
import pg from 'pg';
import { StreamParser } from '../bridge/stream/parser.js';
import { cpuSample, cpuUsage, type CpuSample } from './lib/cpu.js';
import { recreateDatabase } from './lib/pg.js';
import { availableParallelism } from 'node:os';
import { startChild, type ServerHandle } from './lib/server-handle.js';
import { summarize } from './lib/tracker.js';
import { bulkUsers } from './lib/users.js';
import { pbLogin, type PbClient } from '../test/helpers/pb-client.js';

const env = process.env;
const num = (k: string, d: number) => (env[k] ? Number(env[k]) : d);
const o = {
  databaseUrl: env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/stn_bench',
  logins: num('BENCH_LOGINS', 1000),
  loginConcurrency: num('BENCH_LOGIN_CONCURRENCY', 20),
  pairs: num('BENCH_PAIRS', 50),
  warmupSecs: num('BENCH_WARMUP_SECS', 2),
  msgSecs: num('BENCH_MSG_SECS', 8),
};

/** One logged-in session, whatever the transport. */
interface Conn {
  sendChat(to: string, id: string, body: string): void;
  /** the initial presence that makes the session deliverable (Startalk's rule) */
  presence(): void;
  onAck?: (id: string) => void;
  onChat?: (id: string) => void;
  close(): void;
}

// ---- XMPP over TCP: a minimal raw client (the server's own stream parser reads the answers)
const HEADER = "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

async function xmlLogin(port: number, user: string, token: string): Promise<Conn> {
  const s: Socket = connect(port, '127.0.0.1');
  s.setNoDelay(true);
  s.setEncoding('utf8');
  let waiter: ((e: Element) => void) | null = null;
  const conn: Conn = {
    sendChat: (to, id, body) => s.write(`<message type='chat' to='${to}@localhost'><body id='${id}' msgType='1'>${body}</body></message>`),
    presence: () => s.write('<presence><priority>5</priority></presence>'),
    close: () => s.destroy(),
  };
  let parser: StreamParser;
  const newParser = () => {
    parser = new StreamParser(1 << 20);
    parser.on('stanza', (e) => {
      if (waiter) return waiter(e);
      if (e.name !== 'message') return;
      const id = e.getChild('body')?.attrs.id as string;
      if (e.attrs.type === 'mstat') conn.onAck?.(id);
      else if (e.attrs.type === 'chat') conn.onChat?.(id);
    });
  };
  newParser();
  s.on('data', (d: string) => parser.write(d));
  s.on('error', () => {});
  const next = (name: string) => new Promise<Element>((resolve) => {
    waiter = (e) => {
      if (e.name === name) {
        waiter = null;
        resolve(e);
      }
    };
  });
  await new Promise((r) => s.once('connect', r));
  let w = next('stream:features');
  s.write(HEADER);
  await w;
  w = next('success');
  s.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${token}`).toString('base64')}</auth>`);
  await w;
  newParser();
  w = next('stream:features');
  s.write(HEADER);
  await w;
  w = next('iq');
  s.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${randomUUID()}</resource></bind></iq>`);
  await w;
  // Startalk's XML clients take the HTTP key from the session IQ; PB gets it with the bind result
  w = next('presence');
  s.write(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
  await w;
  return conn;
}

// ---- Startalk protobuf: the spec-written test client
async function pbConn(port: number, user: string, token: string): Promise<Conn> {
  const l = await pbLogin(port, user, token, { presence: false, keep: false });
  const c: PbClient = l.c;
  const conn: Conn = {
    sendChat: (to, id, body) => c.message(6, `${to}@localhost`, { messageId: id, body: { value: body } }),
    presence: () => c.send(1, { key: 'priority', value: '5', definedKey: 1 }),
    close: () => c.close(),
  };
  c.onFrame = (f) => {
    if (f.signalType === 16) conn.onAck?.(f.m.messageId);
    else if (f.signalType === 6) conn.onChat?.(f.m.messageId);
  };
  return conn;
}

type Kind = 'xml' | 'pb';

async function run(kind: Kind) {
  await recreateDatabase(o.databaseUrl);
  const server: ServerHandle = await startChild({
    DATABASE_URL: o.databaseUrl, ADMIN_PASSWORD: 'bench-admin-password', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn',
    GRAPHIQL: 'false', SEND_RATE_PER_SEC: '0', XMPP_STANZAS_PER_SEC: '0', LOGIN_ATTEMPTS_PER_MINUTE: '100000', MAX_XMPP_CONNECTIONS: '100000', MAX_CONNECTIONS_PER_IP: '0',
  });
  const db = new pg.Pool({ connectionString: o.databaseUrl, max: 2 });
  const users = await bulkUsers(db, 'u', 2 * o.pairs);
  await db.end();
  const port = kind === 'xml' ? server.xmppPort! : server.pbPort!;
  const dbName = new URL(o.databaseUrl).pathname.slice(1);
  const sample = () => cpuSample([server.pid], dbName);
  /** CPU of each side over a phase, and the server's CPU milliseconds per unit of work */
  const cpu = (a: CpuSample | null, units: number) => {
    const b = sample();
    const u = cpuUsage(a, b, availableParallelism());
    return u && a && b ? { ...u, serverMsPer: Math.round(((b.server - a.server) * 1e6) / Math.max(units, 1)) / 1000 } : null;
  };
  const login = (i: number) => (kind === 'xml' ? xmlLogin : pbConn)(port, users[i]!.name, users[i]!.token);
  try {
    // logins
    const lat: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const c0 = sample();
    await Promise.all(Array.from({ length: o.loginConcurrency }, async () => {
      while (next < o.logins) {
        const i = next++;
        const s = performance.now();
        const c = await login(i % users.length);
        lat.push(performance.now() - s);
        c.close();
      }
    }));
    const loginSecs = (performance.now() - t0) / 1000;
    const logins = { perSec: Math.round(o.logins / loginSecs), latencyMs: summarize(lat), cpu: cpu(c0, o.logins) };

    // messages: receivers u<pairs..2*pairs), sender i -> receiver pairs+i
    const conns = await Promise.all(users.map((_, i) => login(i)));
    for (const c of conns.slice(o.pairs)) c.presence();
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = new Map<string, number>();
    const delivered: number[] = [];
    let measuring = false;
    let stop = false;
    let count = 0;
    for (const c of conns.slice(o.pairs)) {
      c.onChat = (id) => {
        const at = sentAt.get(id);
        sentAt.delete(id);
        if (at !== undefined && measuring) {
          delivered.push(performance.now() - at);
          count++;
        }
      };
    }
    const loops = conns.slice(0, o.pairs).map((c, i) => new Promise<void>((done) => {
      const to = users[o.pairs + i]!.name;
      const fire = () => {
        if (stop) return done();
        const id = randomUUID().replace(/-/g, '');
        sentAt.set(id, performance.now());
        c.sendChat(to, id, `bench message ${id} ${'x'.repeat(60)}`);
      };
      c.onAck = fire;
      fire();
    }));
    await new Promise((r) => setTimeout(r, o.warmupSecs * 1000));
    measuring = true;
    const m0 = performance.now();
    const c1 = sample();
    await new Promise((r) => setTimeout(r, o.msgSecs * 1000));
    measuring = false;
    const msgCpu = cpu(c1, count);
    const msgSecs = (performance.now() - m0) / 1000;
    stop = true;
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 5000))]);
    for (const c of conns) c.close();
    return { logins, messages: { perSec: Math.round(count / msgSecs), latencyMs: summarize(delivered), cpu: msgCpu } };
  } finally {
    await server.close();
  }
}

async function main() {
  const results: Record<string, Awaited<ReturnType<typeof run>>> = {};
  for (const kind of ['xml', 'pb'] as const) {
    process.stderr.write(`[bench:pb] ${kind}…\n`);
    results[kind] = await run(kind);
  }
  const row = (k: string) => {
    const r = results[k]!;
    const c = (x: typeof r.logins.cpu) => (x ? `${x.serverMsPer} | ${x.server}/${x.bench}/${x.postgres}/${x.foreign}` : '- | -');
    return `| ${k === 'xml' ? 'XMPP/TCP (5222)' : 'Startalk PB (5202)'} | ${r.logins.perSec} | ${r.logins.latencyMs.p99} | ${c(r.logins.cpu)} | ` +
      `${r.messages.perSec} | ${r.messages.latencyMs.p50} | ${r.messages.latencyMs.p99} | ${c(r.messages.cpu)} |`;
  };
  const ratio = (a: number, b: number) => `${Math.round((a / b) * 100)}%`;
  console.log(`\n${o.logins} logins (${o.loginConcurrency} at a time), ${o.pairs} pairs closed-loop for ${o.msgSecs}s; ` +
    'CPU in % of one core: server/bench client/postgres/other processes\n');
  console.log('| transport | logins/s | login p99 ms | server CPU ms/login | CPU | msgs/s | deliver p50 ms | deliver p99 ms | server CPU ms/msg | CPU |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(row('xml'));
  console.log(row('pb'));
  const [x, p] = [results.xml!, results.pb!];
  console.log(`\nPB / XML: logins/s ${ratio(p.logins.perSec, x.logins.perSec)}, msgs/s ${ratio(p.messages.perSec, x.messages.perSec)}` +
    (x.messages.cpu && p.messages.cpu ? `, server CPU per msg ${ratio(p.messages.cpu.serverMsPer, x.messages.cpu.serverMsPer)}` : '') +
    (x.logins.cpu && p.logins.cpu ? `, per login ${ratio(p.logins.cpu.serverMsPer, x.logins.cpu.serverMsPer)}` : ''));
  await writeFile(fileURLToPath(new URL('./last-pb-results.json', import.meta.url)), JSON.stringify({ at: new Date().toISOString(), options: o, results }, null, 2));
  console.log('(details in bench/last-pb-results.json)');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
