// What roaming client settings need from storage (src/storage/postgres/client-config.ts).
import type { UserId } from '../accounts/types.js';

export interface ConfigEntry {
  key: string;
  subkey: string;
  value: string;
  deleted: boolean;
  version: string;
}

export interface ClientConfigStore {
  /** Sets (or with deleted=true, tombstones) entries; returns them with their new versions. */
  put(userId: UserId, entries: { key: string; subkey: string; value: string; deleted: boolean }[], platform: string | null): Promise<ConfigEntry[]>;
  /** Entries changed after a version, oldest first. */
  changes(userId: UserId, afterVersion: string, limit: number): Promise<ConfigEntry[]>;
}
