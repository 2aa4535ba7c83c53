// Per-session keys: issued at session start, dead with the session. What a client proves
// with one (Startalk's q_ckey) is the edge's business: it passes the test to anyLive.
import { randomBytes } from 'node:crypto';
import type { UserId } from '../accounts/types.js';
import type { SessionKeyStore } from './ports.js';

export class SessionKeyService {
  constructor(private readonly store: SessionKeyStore) {}

  /** A new key for a session; call revoke when the session ends. */
  async issue(userId: UserId): Promise<string> {
    const key = randomBytes(16).toString('hex').toUpperCase();
    await this.store.add(userId, key);
    return key;
  }

  /** The user's live keys, one per bound session on any node. */
  live(userId: UserId): Promise<string[]> {
    return this.store.list(userId);
  }

  revoke(userId: UserId, key: string): Promise<void> {
    return this.store.remove(userId, key);
  }

  /** True when some live key of the user passes `test` (e.g. Startalk's q_ckey proof, src/startalk/ckey.ts). */
  async anyLive(userId: UserId, test: (key: string) => boolean): Promise<boolean> {
    for (const key of await this.store.list(userId)) if (test(key)) return true;
    return false;
  }
}
