// Session keys in Redis: hash <p>:keys:<userId>, field key -> the node holding the session.
// Keys of nodes that stopped heartbeating (see presence.ts, same <p>:nodes set) are left
// out and pruned when read.
import { Redis } from 'ioredis';
import type { SessionKeyStore } from '../../core/session-keys/ports.js';

export function createRedisSessionKeys(opts: {
  url: string; prefix: string; nodeId: string; ttlMs: number; onError?: (e: Error) => void;
  /** a command Redis does not answer within this fails (a frozen Redis must not hang logins) */
  commandTimeoutMs?: number;
}): SessionKeyStore {
  const redis = new Redis(opts.url, {
    maxRetriesPerRequest: 1, connectionName: 'stn-keys', retryStrategy: (n: number) => Math.min(100 * n, 2000),
    commandTimeout: opts.commandTimeoutMs ?? 2000,
  });
  redis.on('error', (e) => opts.onError?.(e));
  const hash = (u: string) => `${opts.prefix}:keys:${u}`;
  return {
    async add(userId, key) {
      await redis.hset(hash(userId), key, opts.nodeId);
    },
    async remove(userId, key) {
      await redis.hdel(hash(userId), key);
    },
    async list(userId) {
      const all = await redis.hgetall(hash(userId));
      const nodes = [...new Set(Object.values(all))];
      if (nodes.length === 0) return [];
      const scores = await redis.zmscore(`${opts.prefix}:nodes`, ...nodes);
      const alive = new Set(nodes.filter((n, i) => scores[i] != null && Date.now() - Number(scores[i]) < opts.ttlMs));
      const dead = Object.keys(all).filter((k) => !alive.has(all[k]!));
      if (dead.length) await redis.hdel(hash(userId), ...dead);
      return Object.keys(all).filter((k) => alive.has(all[k]!));
    },
    async close() {
      redis.disconnect();
    },
  };
}
