// Roaming client settings (../shared/startalk/PROTOCOL.md §6.5): pinned chats, mutes, marks…
// stored per user and synced incrementally by version across the user's devices.
import type { User } from '../accounts/types.js';
import { badInput } from '../errors.js';
import type { ClientConfigStore, ConfigEntry } from './ports.js';

/** COMPAT: the keys Startalk's server accepted. */
export const CONFIG_KEYS = new Set([
  'kMarkupNames', 'kCollectionCacheKey', 'kStickJidDic', 'kNotificationSetting', 'kNoticeStickJidDic',
  'kChatColorInfo', 'kCurrentFontInfo', 'kChatMessageFontInfo', 'kCustomConfigForMac', 'kAdrFontInfo',
  'kConversationParamDic', 'kQuickResponse', 'kStarContact', 'kBlackList', 'kNoDisturbToggle',
]);
const MAX_SUBKEY = 256;
const MAX_VALUE = 16 * 1024;
const MAX_BATCH = 200;

export interface ConfigChange {
  key: string;
  subkey: string;
  value: string;
  delete: boolean;
}

export class ClientConfigService {
  constructor(private readonly store: ClientConfigStore) {}

  async set(actor: User, changes: ConfigChange[], platform: string | null): Promise<ConfigEntry[]> {
    if (changes.length === 0) throw badInput('nothing to set');
    if (changes.length > MAX_BATCH) throw badInput(`at most ${MAX_BATCH} settings per call`);
    for (const c of changes) {
      if (!CONFIG_KEYS.has(c.key)) throw badInput(`unknown setting key "${String(c.key).slice(0, 64)}"`, { field: 'key' });
      if (!c.subkey || c.subkey.length > MAX_SUBKEY) throw badInput(`subkey must be 1-${MAX_SUBKEY} characters`, { field: 'subkey' });
      if (Buffer.byteLength(c.value) > MAX_VALUE) throw badInput(`value is over ${MAX_VALUE} bytes`, { field: 'value' });
    }
    return this.store.put(actor.id, changes.map((c) => ({ key: c.key, subkey: c.subkey, value: c.value, deleted: c.delete })), platform?.slice(0, 64) ?? null);
  }

  changes(actor: User, afterVersion: string, limit = 5000): Promise<ConfigEntry[]> {
    if (!/^\d{1,19}$/.test(afterVersion)) throw badInput('version must be a non-negative integer');
    return this.store.changes(actor.id, afterVersion, limit);
  }
}
