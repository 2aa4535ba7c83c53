// In-process presence: the single-node default (the node's death takes everything with it).
import type { UserId } from '../../core/accounts/types.js';
import type { PresenceStore } from '../../core/presence/ports.js';
import type { Device } from '../../core/presence/types.js';

export function createMemoryPresence(): PresenceStore {
  const byUser = new Map<UserId, Map<string, Device>>();
  return {
    async put(userId, device) {
      let m = byUser.get(userId);
      if (!m) byUser.set(userId, (m = new Map()));
      m.set(device.deviceId, device);
    },
    async remove(userId, deviceId) {
      const m = byUser.get(userId);
      m?.delete(deviceId);
      if (m?.size === 0) byUser.delete(userId);
    },
    async updateSession(userId, sessionId, show, status) {
      let n = 0;
      for (const d of byUser.get(userId)?.values() ?? []) {
        if (d.sessionId === sessionId) Object.assign(d, { show, status }), n++;
      }
      return n;
    },
    async devices(userIds) {
      return new Map(userIds.map((u) => [u, [...(byUser.get(u)?.values() ?? [])]]));
    },
    heartbeat: async () => [],
    async removeNode() {
      const users = [...byUser.keys()];
      byUser.clear();
      return users;
    },
    async close() {},
  };
}
