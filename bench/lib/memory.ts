// Memory per idle subscribed WebSocket, measured in the server's own process (a child
// started with --expose-gc): full GC + process.memoryUsage() at the start and after each
// of a few steps that open graphql-ws connections, each holding one events subscription
// and then idle. The figure is memory growth per socket (RSS moves in page-sized
// and GC-timed jumps, so one before/after pair can even come out negative): the median of
// the per-step slopes, robust to a step in which unrelated memory was released. A warm-up
// batch is opened first and kept open, so code paths, JIT and lazily built caches are in
// the baseline, not in the slope.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Snapshot } from '../server.js';
import { subscribeEvents, type Subscriber } from './gql.js';
import type { ServerHandle } from './server-handle.js';

export interface MemoryResult {
  connections: number;
  method: string;
  /** server memory after each step: sockets opened so far (beyond the warm-up) and memoryUsage */
  points: { sockets: number; memory: NodeJS.MemoryUsage }[];
  /** median over the steps of (memory growth / sockets opened in the step), bytes per socket */
  perConnectionBytes: { heapUsed: number; heapTotal: number; external: number; heapPlusExternal: number; rss: number };
  /** plain (last - first) / sockets, for comparison */
  perConnectionDeltaBytes: { heapUsed: number; rss: number };
  clientErrors: number;
}

async function openMany(url: string, tokens: string[], count: number, parallel: number): Promise<Subscriber[]> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < count; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - i) }, (_x, k) =>
      subscribeEvents(url, tokens[(i + k) % tokens.length]!, () => {}));
    await Promise.all(batch.map((s) => s.connected));
    subs.push(...batch);
  }
  return subs;
}

async function waitForSubscriptions(server: ServerHandle, n: number, timeoutMs: number): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await server.snapshot();
    if (s.subscriptions >= n) return s;
    if (Date.now() > deadline) throw new Error(`only ${s.subscriptions} of ${n} subscriptions became live`);
    await sleep(200);
  }
}

export async function measureIdleSockets(
  server: ServerHandle, tokens: string[], count: number, steps = 5, warm = 50,
): Promise<MemoryResult> {
  const base = (await server.snapshot()).subscriptions;
  const all = await openMany(server.url, tokens, warm, 50);
  await waitForSubscriptions(server, base + warm, 30_000);
  await sleep(2000); // start-up garbage (module transpiling, migrations) is returned to the OS by now
  const first = await server.snapshot();
  const points = [{ sockets: 0, memory: first.memory }];
  for (let k = 1; k <= steps; k++) {
    const target = Math.round((count * k) / steps);
    all.push(...(await openMany(server.url, tokens, target - points[points.length - 1]!.sockets, 100)));
    await waitForSubscriptions(server, first.subscriptions + target, 60_000);
    await sleep(500); // let the last handshakes' garbage become garbage
    points.push({ sockets: target, memory: (await server.snapshot()).memory });
  }
  const clientErrors = all.reduce((n, s) => n + s.errors.length, 0);
  await Promise.all(all.map((s) => s.dispose()));
  await waitForGone(server, base);

  const slope = (k: keyof NodeJS.MemoryUsage) => Math.round(medianStepSlope(points.map((p) => [p.sockets, p.memory[k]])));
  const last = points[points.length - 1]!.memory;
  const delta = (k: keyof NodeJS.MemoryUsage) => Math.round((last[k] - first.memory[k]) / count);
  return {
    connections: count,
    method:
      'a fresh server child process (same database, no load before); ' +
      `${first.gcRan ? 'global.gc() x4' : 'NO forced GC (missing --expose-gc)'} then process.memoryUsage() ` +
      `after each of ${steps} steps opening ${count} idle graphql-ws connections in all, one events subscription each ` +
      `(${warm} warm-up connections kept in the baseline); bytes per connection = median of the per-step slopes`,
    points,
    perConnectionBytes: { heapUsed: slope('heapUsed'), heapTotal: slope('heapTotal'), external: slope('external'), heapPlusExternal: slope('heapUsed') + slope('external'), rss: slope('rss') },
    perConnectionDeltaBytes: { heapUsed: delta('heapUsed'), rss: delta('rss') },
    clientErrors,
  };
}

/** Median of the per-step slopes: robust to one step where unrelated memory was released. */
function medianStepSlope(xy: [number, number][]): number {
  const slopes = xy.slice(1).map(([x, y], i) => (y - xy[i]![1]) / (x - xy[i]![0])).sort((a, b) => a - b);
  const m = slopes.length >> 1;
  return slopes.length % 2 ? slopes[m]! : (slopes[m - 1]! + slopes[m]!) / 2;
}

async function waitForGone(server: ServerHandle, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await server.snapshot()).subscriptions > n) await sleep(200);
}
