// Startalk's per-session keys (../shared/startalk/PROTOCOL.md §3.3): one random key per
// live IM session; the legacy HTTP API accepts q_ckey cookies built from any live key.
import type { UserId } from '../accounts/types.js';

export interface SessionKeyStore {
  /** Records a key held by a session on this node. */
  add(userId: UserId, key: string): Promise<void>;
  /** Forgets a key (its session ended). */
  remove(userId: UserId, key: string): Promise<void>;
  /** The user's keys whose sessions are alive (on live nodes). */
  list(userId: UserId): Promise<string[]>;
  close(): Promise<void>;
}
