// What the accounts service needs from storage (implemented in src/storage/postgres/accounts.ts).
import type { AuthSession, NewUser, User, UserId, UserPatch, UserSecret } from './types.js';

export interface AccountStore {
  /** Returns the domain's id, creating the domain when missing. */
  ensureDomain(host: string): Promise<number>;
  /** Looks a user up by login name within a domain, with the stored password hash. */
  findUserWithSecret(domain: string, username: string): Promise<(User & UserSecret) | null>;
  /** Looks a user up by login name within a domain. */
  findUserByName(domain: string, username: string): Promise<User | null>;
  /** Loads users by id; missing ids are absent from the result. */
  findUsersByIds(ids: readonly UserId[]): Promise<User[]>;
  /** Inserts a user; throws AppError CONFLICT when the name is taken in that domain. */
  createUser(input: NewUser): Promise<User>;
  /** Applies a partial update and bumps version; throws NOT_FOUND for an unknown id. */
  updateUser(id: UserId, patch: UserPatch): Promise<User>;
  /** Replaces the stored password hash (salt only for legacy hashes). */
  setPassword(id: UserId, passwordHash: string, passwordSalt: string | null): Promise<void>;
  /** Stores a new session by the SHA-256 of its token. */
  createSession(userId: UserId, tokenHash: string, expiresAt: Date, userAgent: string | null): Promise<string>;
  /** Finds a live (unrevoked, unexpired) session by token hash. */
  findLiveSession(tokenHash: string, now: Date): Promise<AuthSession | null>;
  /** Users of a domain whose org-visible fields changed after `afterVersion`, by org version. */
  orgChanges(domain: string, afterVersion: string, limit: number): Promise<{ user: User; orgVersion: string }[]>;
  /** Revokes one session. */
  revokeSession(sessionId: string): Promise<void>;
  /** Revokes every session of a user, optionally keeping one. */
  revokeUserSessions(userId: UserId, exceptSessionId?: string): Promise<void>;
}
