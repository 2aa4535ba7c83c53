// What API keys need from storage (implemented in src/storage/postgres/api-keys.ts).
import type { UserId } from '../accounts/types.js';
import type { ApiKeyInfo, ApiScope } from './scopes.js';

export interface ApiKeyStore {
  /** Stores a key by the SHA-256 of its secret; returns it with its id. */
  create(name: string, scopes: ApiScope[], secretHash: string, createdBy: UserId | null): Promise<ApiKeyInfo>;
  /** A key with its stored hash, revoked ones included; null when unknown. */
  find(id: string): Promise<(ApiKeyInfo & { secretHash: string }) | null>;
  /** Marks a key revoked; false when it was unknown or already revoked. */
  revoke(id: string): Promise<boolean>;
  /** Every key, newest first (no secrets). */
  list(): Promise<ApiKeyInfo[]>;
  /** Records use (at most once a minute per key, callers throttle). */
  touch(id: string): Promise<void>;
}
