// Memory per idle subscribed WebSocket, measured in the server's own process (a child
// started with --expose-gc): full GC + process.memoryUsage() before and after opening
// `count` graphql-ws connections that each hold one events subscription and stay idle.
// A warm-up batch is opened first and kept open, so code paths, JIT and lazily built
// caches are in the baseline, not in the delta.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Snapshot } from '../server.js';
import { subscribeEvents, type Subscriber } from './gql.js';
import type { ServerHandle } from './server-handle.js';

export interface MemoryResult {
  connections: number;
  method: string;
  before: NodeJS.MemoryUsage;
  after: NodeJS.MemoryUsage;
  perConnectionBytes: { heapUsed: number; external: number; heapPlusExternal: number; rss: number };
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

export async function measureIdleSockets(server: ServerHandle, tokens: string[], count: number, warm = 50): Promise<MemoryResult> {
  const base = (await server.snapshot()).subscriptions;
  const warmSubs = await openMany(server.url, tokens, warm, 50);
  await waitForSubscriptions(server, base + warm, 30_000);
  await sleep(500);
  const before = await server.snapshot();
  const subs = await openMany(server.url, tokens, count, 100);
  await waitForSubscriptions(server, before.subscriptions + count, 60_000);
  await sleep(1000); // let the last handshakes' garbage become garbage
  const after = await server.snapshot();
  const all = [...warmSubs, ...subs];
  const clientErrors = all.reduce((n, s) => n + s.errors.length, 0);
  await Promise.all(all.map((s) => s.dispose()));
  await waitForGone(server, base);

  const d = (k: keyof NodeJS.MemoryUsage) => Math.round((after.memory[k] - before.memory[k]) / count);
  return {
    connections: count,
    method:
      `server in a child process (${server.mode === 'child' ? 'the one under test' : 'separate from the in-process server'}), ` +
      `${before.gcRan ? 'global.gc() x4' : 'NO forced GC (missing --expose-gc)'} then process.memoryUsage() ` +
      `before/after opening ${count} idle graphql-ws connections with one events subscription each ` +
      `(${warm} warm-up connections opened first and kept in the baseline); delta / ${count}`,
    before: before.memory,
    after: after.memory,
    perConnectionBytes: { heapUsed: d('heapUsed'), external: d('external'), heapPlusExternal: d('heapUsed') + d('external'), rss: d('rss') },
    clientErrors,
  };
}

async function waitForGone(server: ServerHandle, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await server.snapshot()).subscriptions > n) await sleep(200);
}
