// The server under test: buildApp + listen, usable in-process (startServer) or as a
// child process (run this file with fork + IPC). The child answers 'snapshot' requests
// with its memoryUsage (after a full GC when started with --expose-gc), its number of
// live event subscriptions and the stream writer's group-commit stats.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildApp, type App } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';

export interface Snapshot {
  memory: NodeJS.MemoryUsage;
  gcRan: boolean;
  subscriptions: number;
  /** frames the event hub gave up waiting for (then re-read the log), if it counts them */
  hubGaps?: number;
  httpConnections: number;
  writer: { batches: number; jobs: number };
  /** BENCH_TRACE=1: pool waits and writer transactions since the previous snapshot */
  trace?: unknown;
  /** event-loop delay since the previous snapshot, ms (p50 / p99 / max) */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let takeTrace: (() => unknown) | undefined;

export async function startServer(env: Record<string, string | undefined>): Promise<{ app: App; url: string; xmppPort: number | null }> {
  const app = await buildApp(loadConfig(env));
  if (env.BENCH_TRACE === '1') takeTrace = (await import('./lib/trace.js')).installTrace(app);
  const { url, xmppPort } = await app.listen(0, '127.0.0.1');
  return { app, url, xmppPort };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function snapshot(app: App): Promise<Snapshot> {
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const eventLoopDelayMs = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    // Several rounds with turns of the event loop between them, so weak callbacks and
    // finalizers run and what they free is collected too.
    for (let i = 0; i < 4; i++) {
      gc();
      await tick();
    }
  }
  loopDelay.reset(); // after the forced GC, so its pause is not counted
  const httpConnections = await new Promise<number>((r) => app.server.getConnections((_e, n) => r(n ?? -1)));
  return {
    memory: process.memoryUsage(),
    gcRan: !!gc,
    subscriptions: app.core.hub.size,
    hubGaps: (app.core.hub as { gaps?: number }).gaps,
    httpConnections,
    writer: { ...app.storage.writer.stats },
    eventLoopDelayMs,
    trace: takeTrace?.(),
  };
}

type Request = { id: number; type: 'snapshot' | 'close' };

async function runChild(): Promise<void> {
  const { app, url, xmppPort } = await startServer(process.env);
  const send = (m: unknown) => process.send!(m);
  process.on('message', (m: Request) => {
    if (m.type === 'snapshot') {
      void snapshot(app).then((s) => send({ id: m.id, result: s }), (e) => send({ id: m.id, error: String(e) }));
    } else if (m.type === 'close') {
      void app.close().finally(() => {
        send({ id: m.id, result: null });
        process.disconnect();
      });
    }
  });
  process.on('disconnect', () => setTimeout(() => process.exit(0), 2000).unref());
  send({ ready: true, url, xmppPort, pbPort: app.pbPort });
}

if (process.send && process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runChild().catch((err) => {
    process.stderr.write(`bench server failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
