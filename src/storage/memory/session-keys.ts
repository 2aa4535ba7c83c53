// In-process session keys: the single-node default.
import type { UserId } from '../../core/accounts/types.js';
import type { SessionKeyStore } from '../../core/session-keys/ports.js';

export function createMemorySessionKeys(): SessionKeyStore {
  const byUser = new Map<UserId, Set<string>>();
  return {
    async add(userId, key) {
      let s = byUser.get(userId);
      if (!s) byUser.set(userId, (s = new Set()));
      s.add(key);
    },
    async remove(userId, key) {
      const s = byUser.get(userId);
      s?.delete(key);
      if (s?.size === 0) byUser.delete(userId);
    },
    async list(userId) {
      return [...(byUser.get(userId) ?? [])];
    },
    async close() {},
  };
}
