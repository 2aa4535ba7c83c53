// The measured phases, each with the server-side and database-side context that explains it.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSample, cpuUsage, type CpuUsage } from './cpu.js';
import { closedLoop, openLoop, type ClosedLoopResult, type OpenLoopResult, type Pairs } from './load.js';
import { benchIds, rawInsert, startCommitProbe, xactCommits, type ProbeResult, type RawResult } from './pg.js';
import type { ServerHandle } from './server-handle.js';
import type { Tracker } from './tracker.js';

type Log = (m: string) => void;
const j = (x: unknown) => JSON.stringify(x);

/** Starts CPU accounting for a phase; the returned function ends it. */
function cpuMeter(server: ServerHandle, dbUrl: string): () => CpuUsage | null {
  const db = decodeURIComponent(new URL(dbUrl).pathname.slice(1));
  const a = cpuSample([server.pid], db);
  return () => cpuUsage(a, cpuSample([server.pid], db), cpus().length);
}

export type WithCpu = { cpu: CpuUsage | null };

/** (a) closed loop at each concurrency level; the best delivered rate is the max. */
export async function throughputPhase(
  server: ServerHandle, pairs: Pairs, newTracker: (prefix: string) => Tracker, dbUrl: string,
  levels: number[], warmupMs: number, measureMs: number, log: Log,
): Promise<(ClosedLoopResult & WithCpu & { dbTransactionsPerMessage: number })[]> {
  const out: (ClosedLoopResult & WithCpu & { dbTransactionsPerMessage: number })[] = [];
  for (const c of levels) {
    await server.snapshot(); // resets the server's event-loop delay histogram
    await sleep(1100);
    const x0 = await xactCommits(dbUrl);
    const t = newTracker(`t${out.length}x${c}`);
    const meter = cpuMeter(server, dbUrl);
    const cl = await closedLoop(pairs, t, c, warmupMs, measureMs);
    const cpu = meter();
    await sleep(1100);
    // approximate: every autocommit statement of the server counts, less our own 2 reads
    const xacts = (await xactCommits(dbUrl)) - x0 - 2;
    const r = { ...cl, cpu, dbTransactionsPerMessage: Math.round((100 * xacts) / t.sent.size) / 100 };
    const snap = await server.snapshot();
    r.serverEventLoopDelayMs = snap.eventLoopDelayMs;
    if (snap.trace) log(`server trace: ${j(snap.trace)}`);
    out.push(r);
    log(`closed loop, ${c} in flight: persisted ${r.persistedPerSec}/s, delivered ${r.deliveredPerSec}/s, ` +
      `reply ${j(r.ackLatencyMs)} ms, server loop delay ${j(r.serverEventLoopDelayMs)} ms, ` +
      `per second [${r.perSecond.join(' ')}], DB transactions per message ${r.dbTransactionsPerMessage}, ` +
      `CPU % of a core ${j(r.cpu)}, check ${j(r.check)}`);
  }
  return out;
}

export type LatencyResult = OpenLoopResult & WithCpu & {
  dbCommitProbe: Omit<ProbeResult, 'stalls'> & { stallsOver20ms: number };
  /** messages slower than 50 ms, and how many of them overlap a database commit stall */
  over50ms: { count: number; duringDbStall: number };
};

/** (b) open loop at `rate`, with a commit-latency probe on the database alongside. */
export async function latencyPhase(
  server: ServerHandle, pairs: Pairs, t: Tracker, dbUrl: string, rate: number, measureMs: number, log: Log,
): Promise<LatencyResult> {
  await server.snapshot();
  const stopProbe = await startCommitProbe(dbUrl);
  const meter = cpuMeter(server, dbUrl);
  const r = await openLoop(pairs, t, rate, 1000, measureMs);
  const cpu = meter();
  const probe = await stopProbe();
  const snap = await server.snapshot();
  r.serverEventLoopDelayMs = snap.eventLoopDelayMs;
  if (snap.trace) log(`server trace: ${j(snap.trace)}`);
  const slow = t.slow(r.window.from, r.window.to, 50);
  const duringDbStall = slow.filter((m) => probe.stalls.some((s) => s.at < m.end && s.at + s.ms > m.start)).length;
  const { stalls, ...rest } = probe;
  const result: LatencyResult = {
    ...r,
    cpu,
    dbCommitProbe: { ...rest, stallsOver20ms: stalls.length },
    over50ms: { count: slow.length, duringDbStall },
  };
  log(`open loop ${r.targetPerSec}/s: send->deliver ${j(r.sendToDeliverMs)} ms, scheduled->deliver ${j(r.scheduledToDeliverMs)} ms, ` +
    `per second [${r.perSecond.join(' ')}], server loop delay ${j(r.serverEventLoopDelayMs)} ms, ` +
    `db commit probe ${j(result.dbCommitProbe)}, CPU % of a core ${j(cpu)}, over 50 ms ${j(result.over50ms)}, check ${j(r.check)}`);
  return result;
}

/** (c) raw inserts into copies of `messages`, the server idle. */
export async function rawPhase(dbUrl: string, seconds: number, bodyBytes: number, log: Log): Promise<RawResult[]> {
  const ids = await benchIds(dbUrl);
  const out: RawResult[] = [];
  for (const [clients, rowsPerStatement] of [[8, 1], [32, 1], [8, 100]] as const) {
    const r = await rawInsert({ url: dbUrl, clients, rowsPerStatement, seconds, bodyBytes, ...ids });
    out.push(r);
    log(`raw ${r.label}: ${Math.round(r.rowsPerSec)} rows/s`);
  }
  return out;
}
