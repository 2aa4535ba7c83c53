// Redis Bus: every envelope is published once on one channel of this deployment; each
// node receives it and delivers to its own sessions, so a group message costs one
// PUBLISH per commit batch, never one per member. While Redis is away, stream frames and
// revocations wait in a bounded queue and go out in order on reconnect (ephemeral events
// are dropped); subscribers re-read the durable log after a reconnect, so nothing is lost.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Bus } from '../../core/events/ports.js';
import type { Envelope } from '../../core/events/types.js';

export interface RedisBusOptions {
  url: string;
  channel: string;
  /** envelopes kept while disconnected; beyond it the oldest go (subscribers resync anyway) */
  maxQueued?: number;
  onError?: (err: Error) => void;
}

export function createRedisBus(opts: RedisBusOptions): Bus {
  const { channel } = opts;
  const maxQueued = opts.maxQueued ?? 10_000;
  const onError = opts.onError ?? (() => {});
  const common = {
    maxRetriesPerRequest: 1, enableOfflineQueue: false,
    retryStrategy: (n: number) => Math.min(100 * n, 2000), // reconnect forever, at most every 2 s
  };
  const pub = new Redis(opts.url, { ...common, connectionName: 'stn-pub' });
  const sub = new Redis(opts.url, { ...common, connectionName: 'stn-sub', enableOfflineQueue: true });
  let lastError = '';
  const report = (err: Error) => {
    if (err.message !== lastError) onError(err); // one line per distinct failure, not per retry
    lastError = err.message;
  };
  pub.on('error', report);
  sub.on('error', report);
  // Readiness probes go round through this bus's own channel: publish, see it come back.
  const probeChannel = `${channel}:probe:${randomBytes(6).toString('hex')}`;
  const probes = new Map<string, (ok: boolean) => void>();
  let probeSeq = 0;
  sub.subscribe(channel, probeChannel).catch(report); // ioredis re-subscribes by itself after a reconnect

  const handlers = new Set<(env: Envelope) => void>();
  const resyncs = new Set<() => void>();
  const queue: string[] = [];
  let flushing = false;
  let lost = false;

  const flush = async () => {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length && pub.status === 'ready') {
        await pub.publish(channel, queue[0]!);
        queue.shift();
      }
    } catch (err) {
      report(err as Error);
    } finally {
      flushing = false;
    }
  };
  pub.on('ready', () => {
    lastError = '';
    void flush();
  });
  sub.on('close', () => (lost = true));
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const r of resyncs) r();
  });
  sub.on('message', (ch: string, raw: string) => {
    if (ch === probeChannel) return probes.get(raw)?.(true);
    if (ch !== channel) return;
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      return report(new Error('undecodable envelope on the bus'));
    }
    for (const h of handlers) h(env);
  });

  return {
    publish(env) {
      if (env.ephemeral && pub.status !== 'ready') return; // typing and presence are not worth keeping
      queue.push(JSON.stringify(env));
      if (queue.length > maxQueued) queue.shift();
      void flush();
    },
    subscribe(handler, onResync) {
      handlers.add(handler);
      if (onResync) resyncs.add(onResync);
      return () => {
        handlers.delete(handler);
        if (onResync) resyncs.delete(onResync);
      };
    },
    isReady: () => pub.status === 'ready' && sub.status === 'ready',
    probe(timeoutMs) {
      if (pub.status !== 'ready' || sub.status !== 'ready') return Promise.resolve(false);
      const token = String(++probeSeq);
      return new Promise<boolean>((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          probes.delete(token);
          resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        probes.set(token, done);
        pub.publish(probeChannel, token).catch(() => done(false));
      });
    },
    async close() {
      for (const p of [...probes.values()]) p(false);
      handlers.clear();
      resyncs.clear();
      await flush();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
