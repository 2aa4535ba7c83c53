// Session keys for Startalk clients: issued at session start, dead with the session, and
// the q_ckey check of the legacy HTTP API (../shared/startalk/PROTOCOL.md §3.3).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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

  /** COMPAT: q_ckey's k = UPPER(md5(key + t)) for some live key of the user; t is not checked for freshness by Startalk. */
  async check(userId: UserId, k: string, t: string): Promise<boolean> {
    const want = Buffer.from(k.toUpperCase());
    for (const key of await this.store.list(userId)) {
      const got = Buffer.from(createHash('md5').update(key + t).digest('hex').toUpperCase());
      if (got.length === want.length && timingSafeEqual(got, want)) return true;
    }
    return false;
  }
}
