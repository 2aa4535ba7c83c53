// The XMPP workload, the same for every server: idle-connection memory, logins, a
// closed-loop max-throughput phase and an open-loop latency phase over P sender/receiver
// pairs (sender i writes to receiver i). Every phase has its own Tracker, which checks that
// each message reached its receiver exactly once.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSample, cpuUsage, type CpuUsage } from './cpu.js';
import { summarize, Tracker } from './tracker.js';
import { XmppLoadClient } from './xmpp-load-client.js';
import { pool, rssBytes, type XmppServer } from './xmpp-server.js';

export interface Pairs {
  senders: XmppLoadClient[];
  receivers: XmppLoadClient[];
  receiverNames: string[];
  padding: string;
  /** the phase taking deliveries now */
  current: Tracker | null;
  onDeliver: ((rx: number, key: string) => void) | null;
  stray: number;
}

const rss = (s: XmppServer) => s.pids().reduce((a, p) => a + rssBytes(p), 0);

export async function loginAll(s: XmppServer, names: string[], secrets: string[], parallel: number) {
  const t0 = performance.now();
  const clients = await pool(names.length, parallel, (i) => XmppLoadClient.login(s.target, names[i]!, secrets[i]!));
  const seconds = (performance.now() - t0) / 1000;
  return { clients, seconds, perSec: Math.round(names.length / seconds) };
}

export interface IdleMemory {
  connections: number;
  /** least-squares slope of RSS over connections, all samples (RSS moves in allocator-sized jumps) */
  perConnectionBytes: number;
  /** (last - first) / connections */
  deltaPerConnectionBytes: number;
  points: { connections: number; rss: number }[];
  forcedGc: boolean;
  loginsPerSec: number;
}

/**
 * RSS of the server's process(es) after a warm-up batch (kept open) and after each of
 * `steps` batches of idle logged-in connections; each sample after a pause and, where the
 * server offers one, a full GC.
 */
export async function idleMemory(s: XmppServer, names: string[], secrets: string[], warm: number, steps: number): Promise<IdleMemory> {
  const open: XmppLoadClient[] = [];
  try {
    open.push(...(await loginAll(s, names.slice(0, warm), secrets.slice(0, warm), 25)).clients);
    const sample = async () => {
      await sleep(1500);
      const gc = await s.collectGarbage();
      await sleep(300);
      return { rss: rss(s), gc };
    };
    await sleep(1000);
    const first = await sample();
    const points = [{ connections: 0, rss: first.rss }];
    const count = names.length - warm;
    let loginSecs = 0;
    for (let k = 1; k <= steps; k++) {
      const from = warm + Math.round((count * (k - 1)) / steps);
      const to = warm + Math.round((count * k) / steps);
      const r = await loginAll(s, names.slice(from, to), secrets.slice(from, to), 50);
      loginSecs += r.seconds;
      open.push(...r.clients);
      points.push({ connections: to - warm, rss: (await sample()).rss });
    }
    return {
      connections: count,
      perConnectionBytes: Math.round(leastSquaresSlope(points.map((p) => [p.connections, p.rss]))),
      deltaPerConnectionBytes: Math.round((points[points.length - 1]!.rss - first.rss) / count),
      points,
      forcedGc: first.gc,
      loginsPerSec: Math.round(count / loginSecs),
    };
  } finally {
    for (const c of open) c.close();
    await sleep(1000);
  }
}

function leastSquaresSlope(xy: [number, number][]): number {
  const n = xy.length;
  const mx = xy.reduce((a, [x]) => a + x, 0) / n;
  const my = xy.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = xy.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = xy.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

/** Routes every receiver's chat deliveries to the phase running now. */
export function wirePairs(p: Omit<Pairs, 'current' | 'onDeliver' | 'stray'>): Pairs {
  const pairs: Pairs = { ...p, current: null, onDeliver: null, stray: 0 };
  p.receivers.forEach((r, rx) => {
    r.onChat = (key) => {
      const t = pairs.current;
      if (!t || !t.deliver(rx, { id: key, body: `${key}|`, createdAt: 0 })) return void pairs.stray++;
      pairs.onDeliver?.(rx, key);
    };
  });
  return pairs;
}

function sendOne(p: Pairs, t: Tracker, s: number, key: string, intended?: number): void {
  t.start(key, s, intended);
  p.senders[s]!.chat(p.receiverNames[s]!, key, p.padding);
  t.ok(key, key); // XMPP has no send result: "accepted" = written to the socket
}

/** One message per pair, all delivered: every session is live before measuring. */
export async function handshake(p: Pairs, t: Tracker): Promise<void> {
  p.current = t;
  p.senders.forEach((_s, i) => sendOne(p, t, i, `${t.prefix}.${i}.0`));
  const ok = await t.drain(15_000);
  const v = t.verify();
  if (!ok || !v.exactlyOnce) throw new Error(`handshake failed: ${JSON.stringify(v)}`);
}

export interface LoadResult {
  messages: number;
  seconds: number;
  deliveredPerSec: number;
  sendToDeliverMs: ReturnType<typeof summarize>;
  scheduledToDeliverMs?: ReturnType<typeof summarize>;
  targetPerSec?: number;
  drained: boolean;
  check: ReturnType<Tracker['verify']>;
  cpu: CpuUsage | null;
}

function finish(t: Tracker, drained: boolean, cpu: CpuUsage | null): LoadResult {
  let first = Infinity, last = 0;
  for (const s of t.sent.values()) {
    first = Math.min(first, s.intended);
    if (s.deliveredAt !== undefined) last = Math.max(last, s.deliveredAt);
  }
  const lat = t.latencies(-Infinity, Infinity);
  const seconds = (last - first) / 1000;
  return {
    messages: t.sent.size,
    seconds: Math.round(seconds * 100) / 100,
    deliveredPerSec: Math.round(t.delivered / seconds),
    sendToDeliverMs: summarize(lat.fromStart),
    drained,
    check: t.verify(),
    cpu,
  };
}

function meter(s: XmppServer, db: string): () => CpuUsage | null {
  const a = cpuSample(s.pids(), db);
  return () => cpuUsage(a, cpuSample(s.pids(), db), cpus().length);
}

/** Each pair sends `perPair` messages keeping `window` sent but not yet delivered. */
export async function closedLoop(s: XmppServer, p: Pairs, t: Tracker, perPair: number, window: number, db: string): Promise<LoadResult> {
  const sent = new Array<number>(p.senders.length).fill(0);
  const next = (i: number) => {
    if (sent[i]! >= perPair) return;
    sendOne(p, t, i, `${t.prefix}.${i}.${++sent[i]!}`);
  };
  const stopMeter = meter(s, db);
  p.current = t;
  p.onDeliver = (rx) => next(rx);
  for (let i = 0; i < p.senders.length; i++) for (let w = 0; w < window; w++) next(i);
  const drained = await waitDelivered(t, perPair * p.senders.length, 120_000);
  p.onDeliver = null;
  const cpu = stopMeter();
  return finish(t, drained, cpu);
}

/** Polls the delivery counter (Tracker.drain rescans every send on each delivery). */
async function waitDelivered(t: Tracker, total: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (t.delivered < total && performance.now() < deadline) await sleep(10);
  return t.delivered >= total;
}

/** `perPair` messages per pair on a fixed schedule of `rate` messages/s over all pairs. */
export async function openLoop(s: XmppServer, p: Pairs, t: Tracker, perPair: number, rate: number, db: string): Promise<LoadResult> {
  const n = p.senders.length;
  const total = perPair * n;
  const interval = 1000 / rate;
  const stopMeter = meter(s, db);
  p.current = t;
  const t0 = performance.now();
  for (let i = 0; i < total;) {
    const now = performance.now();
    for (let due = t0 + i * interval; i < total && due <= now; due = t0 + i * interval) {
      sendOne(p, t, i % n, `${t.prefix}.${i % n}.${i}`, due);
      i++;
    }
    await sleep(1);
  }
  const drained = await waitDelivered(t, total, 30_000);
  const cpu = stopMeter();
  const r = finish(t, drained, cpu);
  const lat = t.latencies(-Infinity, Infinity);
  return { ...r, targetPerSec: Math.round(rate), scheduledToDeliverMs: summarize(lat.fromIntended) };
}
