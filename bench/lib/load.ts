// Load generators: sender i always writes to receiver i (BENCH_PAIRS pairs). Closed loop
// (fixed number of in-flight sendMessage calls) for max throughput, open loop (a fixed
// schedule, independent of how fast replies come) for latency.
import { setTimeout as sleep } from 'node:timers/promises';
import type { GqlHttp } from './gql.js';
import { summarize, type Tracker } from './tracker.js';

const SEND = 'mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id } }';

export interface Pairs {
  http: GqlHttp;
  senderTokens: string[];
  receiverNames: string[];
  bodyBytes: number;
}

export function send(p: Pairs, t: Tracker, s: number, key: string, intended?: number): Promise<void> {
  t.start(key, s, intended);
  const body = `${key}|`.padEnd(p.bodyBytes, 'x');
  return p.http
    .request<{ sendMessage: { id: string } }>(SEND, { input: { to: p.receiverNames[s], msgId: key, body } }, p.senderTokens[s])
    .then((r) => t.ok(key, r.sendMessage.id), (e) => t.fail(key, e));
}

/** One message per pair, all delivered: proves every subscription is live before measuring. */
export async function handshake(p: Pairs, t: Tracker, timeoutMs = 10_000): Promise<void> {
  await Promise.all(p.senderTokens.map((_x, s) => send(p, t, s, `${t.prefix}.${s}.0`)));
  const ok = await t.drain(timeoutMs);
  const v = t.verify();
  if (!ok || !v.exactlyOnce || v.failed) throw new Error(`handshake failed: ${JSON.stringify(v)}`);
}

export interface ClosedLoopResult {
  concurrency: number;
  measureSeconds: number;
  persistedPerSec: number;
  deliveredPerSec: number;
  ackLatencyMs: ReturnType<typeof summarize>;
  /** deliveries in each second of the measured window */
  perSecond: number[];
  /** filled in by the caller from the server's snapshot */
  serverEventLoopDelayMs?: { p50: number; p99: number; max: number };
  drained: boolean;
  check: ReturnType<Tracker['verify']>;
}

export async function closedLoop(p: Pairs, t: Tracker, concurrency: number, warmupMs: number, measureMs: number): Promise<ClosedLoopResult> {
  const pairs = p.senderTokens.length;
  const from = performance.now() + warmupMs;
  const to = from + measureMs;
  const counters = new Array<number>(pairs).fill(0);
  await Promise.all(Array.from({ length: concurrency }, async (_x, w) => {
    const s = w % pairs;
    while (performance.now() < to) await send(p, t, s, `${t.prefix}.${s}.${++counters[s]!}`);
  }));
  const drained = await t.drain(15_000);
  const c = t.countIn(from, to);
  return {
    concurrency,
    measureSeconds: measureMs / 1000,
    persistedPerSec: Math.round(c.persisted / (measureMs / 1000)),
    deliveredPerSec: Math.round(c.delivered / (measureMs / 1000)),
    ackLatencyMs: summarize(t.latencies(from, to).ack),
    perSecond: t.timeline(from, to),
    drained,
    check: t.verify(),
  };
}

export interface OpenLoopResult {
  targetPerSec: number;
  achievedDeliveredPerSec: number;
  measureSeconds: number;
  /** send start -> delivery at the receiver */
  sendToDeliverMs: ReturnType<typeof summarize>;
  /** scheduled send time -> delivery (includes any lag of this generator: no coordinated omission) */
  scheduledToDeliverMs: ReturnType<typeof summarize>;
  /** send start -> sendMessage reply */
  ackLatencyMs: ReturnType<typeof summarize>;
  perSecond: number[];
  /** filled in by the caller from the server's snapshot */
  serverEventLoopDelayMs?: { p50: number; p99: number; max: number };
  drained: boolean;
  check: ReturnType<Tracker['verify']>;
  /** the measured window, performance.now() ms */
  window: { from: number; to: number };
}

export async function openLoop(p: Pairs, t: Tracker, ratePerSec: number, warmupMs: number, measureMs: number): Promise<OpenLoopResult> {
  const pairs = p.senderTokens.length;
  const interval = 1000 / ratePerSec;
  const t0 = performance.now();
  const from = t0 + warmupMs;
  const to = from + measureMs;
  const inflight = new Set<Promise<void>>();
  let i = 0;
  for (;;) {
    const now = performance.now();
    if (now >= to) break;
    for (let due = t0 + i * interval; due <= now && due < to; due = t0 + i * interval) {
      const s = i % pairs;
      const pr = send(p, t, s, `${t.prefix}.${s}.${i}`, due);
      inflight.add(pr);
      void pr.finally(() => inflight.delete(pr));
      i++;
    }
    await sleep(1);
  }
  await Promise.all(inflight);
  const drained = await t.drain(15_000);
  const lat = t.latencies(from, to);
  return {
    targetPerSec: Math.round(ratePerSec),
    achievedDeliveredPerSec: Math.round(t.countIn(from, to).delivered / (measureMs / 1000)),
    measureSeconds: measureMs / 1000,
    sendToDeliverMs: summarize(lat.fromStart),
    scheduledToDeliverMs: summarize(lat.fromIntended),
    ackLatencyMs: summarize(lat.ack),
    perSecond: t.timeline(from, to),
    drained,
    check: t.verify(),
    window: { from, to },
  };
}
