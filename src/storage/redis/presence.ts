// Presence in Redis, shared by all nodes:
//   <p>:presence:<userId>      hash deviceId -> JSON Device
//   <p>:nodes                  zset nodeId -> last heartbeat (ms)
//   <p>:node:<nodeId>          set of "<userId> <deviceId>" this node holds
// Reads leave out devices of nodes whose heartbeat is older than ttlMs, so a crashed
// node's users look offline within ttlMs; the next heartbeat of any live node then
// deletes those devices (one node per dead node, under a lock) and reports the users.
import { Redis } from 'ioredis';
import type { UserId } from '../../core/accounts/types.js';
import type { PresenceStore } from '../../core/presence/ports.js';
import type { Device } from '../../core/presence/types.js';

export interface RedisPresenceOptions {
  url: string;
  prefix: string;
  nodeId: string;
  ttlMs: number;
  onError?: (err: Error) => void;
  /** a command Redis does not answer within this fails (a frozen Redis must not hang reads) */
  commandTimeoutMs?: number;
}

export function createRedisPresence(opts: RedisPresenceOptions): PresenceStore {
  const { prefix, nodeId, ttlMs } = opts;
  const redis = new Redis(opts.url, {
    maxRetriesPerRequest: 1, connectionName: 'stn-presence', retryStrategy: (n: number) => Math.min(100 * n, 2000),
    commandTimeout: opts.commandTimeoutMs ?? 2000,
  });
  redis.on('error', (e) => opts.onError?.(e));
  const userKey = (u: UserId) => `${prefix}:presence:${u}`;
  const nodeKey = (n: string) => `${prefix}:node:${n}`;
  const nodesKey = `${prefix}:nodes`;

  async function sweep(node: string): Promise<UserId[]> {
    const lock = await redis.set(`${prefix}:sweep:${node}`, nodeId, 'PX', ttlMs, 'NX');
    if (!lock) return [];
    const held = await redis.smembers(nodeKey(node));
    const m = redis.multi();
    for (const entry of held) {
      const [u, d] = entry.split(' ');
      m.hdel(userKey(u!), d!);
    }
    m.del(nodeKey(node));
    m.zrem(nodesKey, node);
    await m.exec();
    return [...new Set(held.map((e) => e.split(' ')[0]!))];
  }

  return {
    async put(userId, device) {
      await redis.multi()
        .hset(userKey(userId), device.deviceId, JSON.stringify(device))
        .sadd(nodeKey(nodeId), `${userId} ${device.deviceId}`)
        .zadd(nodesKey, Date.now(), nodeId)
        .exec();
    },
    async remove(userId, deviceId) {
      await redis.multi().hdel(userKey(userId), deviceId).srem(nodeKey(nodeId), `${userId} ${deviceId}`).exec();
    },
    async updateSession(userId, sessionId, show, status) {
      const all = await redis.hgetall(userKey(userId));
      const m = redis.multi();
      let n = 0;
      for (const [id, raw] of Object.entries(all)) {
        const d = JSON.parse(raw) as Device;
        if (d.sessionId !== sessionId) continue;
        m.hset(userKey(userId), id, JSON.stringify({ ...d, show, status }));
        n++;
      }
      if (n) await m.exec();
      return n;
    },
    async devices(userIds) {
      const p = redis.pipeline();
      for (const u of userIds) p.hgetall(userKey(u));
      const res = (await p.exec()) ?? [];
      // a pipeline reports each command's failure in its tuple: a timed-out read is not "offline"
      const failed = res.find(([err]) => err);
      if (failed) throw failed[0];
      const raw = res.map(([, v]) => (v ?? {}) as Record<string, string>);
      const parsed = raw.map((h) => Object.values(h).map((v) => JSON.parse(v) as Device));
      const nodes = [...new Set(parsed.flat().map((d) => d.node))];
      const alive = new Set<string>();
      if (nodes.length) {
        const scores = await redis.zmscore(nodesKey, ...nodes);
        nodes.forEach((n, i) => {
          if (scores[i] != null && Date.now() - Number(scores[i]) < ttlMs) alive.add(n);
        });
      }
      return new Map(userIds.map((u, i) => [u, parsed[i]!.filter((d) => alive.has(d.node))]));
    },
    async heartbeat() {
      const now = Date.now();
      await redis.zadd(nodesKey, now, nodeId);
      const dead = await redis.zrangebyscore(nodesKey, '-inf', now - ttlMs);
      const users: UserId[] = [];
      for (const node of dead) if (node !== nodeId) users.push(...(await sweep(node)));
      return [...new Set(users)];
    },
    async removeNode() {
      const held = await redis.smembers(nodeKey(nodeId));
      const m = redis.multi();
      for (const entry of held) {
        const [u, d] = entry.split(' ');
        m.hdel(userKey(u!), d!);
      }
      await m.del(nodeKey(nodeId)).zrem(nodesKey, nodeId).exec();
      return [...new Set(held.map((e) => e.split(' ')[0]!))];
    },
    async close() {
      redis.disconnect();
    },
  };
}
