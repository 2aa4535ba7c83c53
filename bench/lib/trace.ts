// Optional (BENCH_TRACE=1) server-side timing, by wrapping objects the app exposes at run
// time: how long callers wait for a database connection, and how long each group-commit
// transaction of the stream writer takes. Diagnostic only; it reaches into private fields.
import type { App } from '../../src/server/app.js';

type Hist = { n: number; sum: number; max: number; over50: number; over200: number };
const hist = (): Hist => ({ n: 0, sum: 0, max: 0, over50: 0, over200: 0 });
const add = (h: Hist, ms: number) => {
  h.n++; h.sum += ms; h.max = Math.max(h.max, ms);
  if (ms > 50) h.over50++;
  if (ms > 200) h.over200++;
};

export function installTrace(app: App) {
  const stats = { poolWait: hist(), writerTxn: hist(), writerQueueMax: 0, poolWaitingMax: 0, batchMax: 0 };
  const writer = app.storage.writer as unknown as {
    pool: { connect: (...a: unknown[]) => Promise<unknown>; waitingCount: number };
    run: (batch: unknown[]) => Promise<unknown>;
    queue: unknown[];
  };
  const pool = writer.pool;
  if (typeof pool?.connect !== 'function' || typeof writer.run !== 'function' || !Array.isArray(writer.queue)) {
    return () => ({ unavailable: 'the stream writer no longer has the fields this trace wraps' });
  }
  const connect = pool.connect.bind(pool);
  pool.connect = (...a: unknown[]) => {
    if (a.length) return connect(...a); // callback form (pool.query): timed via waitingCount
    const t = performance.now();
    return connect().then((c) => (add(stats.poolWait, performance.now() - t), c));
  };
  const run = writer.run.bind(writer);
  writer.run = async (batch: unknown[]) => {
    const t = performance.now();
    stats.batchMax = Math.max(stats.batchMax, batch.length);
    try {
      return await run(batch);
    } finally {
      add(stats.writerTxn, performance.now() - t);
    }
  };
  const timer = setInterval(() => {
    stats.writerQueueMax = Math.max(stats.writerQueueMax, writer.queue.length);
    stats.poolWaitingMax = Math.max(stats.poolWaitingMax, pool.waitingCount);
  }, 5);
  timer.unref();
  return () => {
    const out = JSON.parse(JSON.stringify(stats));
    Object.assign(stats, { poolWait: hist(), writerTxn: hist(), writerQueueMax: 0, poolWaitingMax: 0, batchMax: 0 });
    return out;
  };
}
