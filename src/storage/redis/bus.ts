// Redis Bus: every envelope is published once on one channel; each node receives it
// and delivers to its own local sessions (so a group message costs one PUBLISH, not
// one per member). Subscribers that miss envelopes while Redis is down catch up from
// the durable event log by cursor; this bus never buffers.
import { Redis } from 'ioredis';
import type { Bus } from '../../core/events/ports.js';
import type { Envelope } from '../../core/events/types.js';

export interface RedisBusOptions {
  url: string;
  channel?: string;
  onError?: (err: Error) => void;
}

export async function createRedisBus(opts: RedisBusOptions): Promise<Bus> {
  const channel = opts.channel ?? 'stn:events';
  const common = { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true };
  const pub = new Redis(opts.url, { ...common, connectionName: 'stn-pub' });
  const sub = new Redis(opts.url, { ...common, connectionName: 'stn-sub' });
  const onError = opts.onError ?? (() => {});
  pub.on('error', onError);
  sub.on('error', onError);
  await Promise.all([pub.connect(), sub.connect()]);
  await sub.subscribe(channel); // ioredis re-subscribes by itself after a reconnect

  const handlers = new Set<(env: Envelope) => void>();
  const resyncs = new Set<() => void>();
  let lost = false;
  sub.on('close', () => (lost = true));
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const r of resyncs) r();
  });
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      return onError(new Error('undecodable envelope on the bus'));
    }
    for (const h of handlers) h(env);
  });

  return {
    publish(env) {
      // Fire and forget: the event is already durable; a lost publish is recovered by resume.
      pub.publish(channel, JSON.stringify(env)).catch(onError);
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
    async close() {
      handlers.clear();
      resyncs.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
