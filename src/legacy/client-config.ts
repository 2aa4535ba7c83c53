// Roaming client settings (../shared/startalk/PROTOCOL.md §6.5): getincreclientconfig, setclientconfig.
import type { ConfigEntry } from '../core/client-config/ports.js';
import type { ConfigChange } from '../core/client-config/service.js';
import type { LegacyDeps, LegacyRoute } from './router.js';
import { ERR, LegacyError, str } from './http.js';
import { localPart } from '../startalk/address.js';

/** COMPAT: {"version","clientConfigInfos":[{"key","infos":[{"subkey","configinfo","isdel"}]}]} */
function shape(entries: ConfigEntry[], since: string) {
  const byKey = new Map<string, { subkey: string; configinfo: string; isdel: number }[]>();
  for (const e of entries) {
    const list = byKey.get(e.key) ?? [];
    list.push({ subkey: e.subkey, configinfo: e.deleted ? '' : e.value, isdel: e.deleted ? 1 : 0 });
    byKey.set(e.key, list);
  }
  return {
    version: Number(entries.at(-1)?.version ?? since),
    clientConfigInfos: [...byKey].map(([key, infos]) => ({ key, infos })),
  };
}

function change(item: unknown): ConfigChange {
  const key = str(item, 'key');
  const subkey = str(item, 'subkey');
  if (!key || !subkey) throw new LegacyError(ERR.BAD_INPUT, 'key and subkey are required');
  // COMPAT: type 1 sets, 2 deletes
  const type = str(item, 'type') ?? '1';
  if (type !== '1' && type !== '2') throw new LegacyError(ERR.BAD_INPUT, 'type must be 1 (set) or 2 (delete)');
  return { key, subkey, value: str(item, 'value') ?? '', delete: type === '2' };
}

export function clientConfigRoutes(deps: LegacyDeps): LegacyRoute[] {
  const { core } = deps;
  const mine = (user: { username: string }, body: unknown) => {
    const u = str(body, 'username');
    if (u && localPart(u).toLowerCase() !== user.username) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
  };
  return [
    {
      path: 'configuration/getincreclientconfig.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        mine(user, body);
        const since = str(body, 'version') ?? '0';
        return shape(await core.clientConfig.changes(user, since), since);
      },
    },
    {
      path: 'configuration/setclientconfig.qunar',
      auth: 'ckey',
      handle: async ({ user, body }) => {
        mine(user, body);
        const batch = (body as { batchProcess?: unknown }).batchProcess;
        const items = Array.isArray(batch) && batch.length ? batch.map((b) => ({ type: str(body, 'type'), ...(b as object) })) : [body];
        const done = await core.clientConfig.set(user, items.map(change), str(body, 'operate_plat') ?? null);
        const result = shape(done, '0');
        // COMPAT: category 6 tells the user's other devices to fetch their settings again.
        core.notify.toSelf(user.id, 6, JSON.stringify({ version: result.version }));
        return result;
      },
    },
  ];
}
