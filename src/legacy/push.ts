// Push registration as Startalk clients call it (../shared/startalk/PROTOCOL.md §6.7): GET with
// query parameters under {javaurl}/push/qtapi/token/ (= /package/push/qtapi/token/…), q_ckey.
import type { LegacyDeps, LegacyRoute } from './router.js';
import { ERR, LegacyError } from './http.js';
import type { User } from '../core/accounts/types.js';
import { localPart } from '../startalk/address.js';

const PREFIXES = ['/package/push/qtapi/token/', '/push_service/qtapi/token/'];

export function pushRoutes(deps: LegacyDeps): LegacyRoute[] {
  const { core } = deps;
  /** COMPAT: parameters come in the query string; `username` must be the cookie's user. */
  const param = (url: URL, body: unknown, k: string) => url.searchParams.get(k) ?? ((body as Record<string, unknown>)?.[k] as string | undefined)?.toString();
  const mine = (user: User, url: URL, body: unknown) => {
    const u = param(url, body, 'username');
    if (u && localPart(u).toLowerCase() !== user.username) throw new LegacyError(ERR.FORBIDDEN, 'ukey not match');
  };
  const routes: LegacyRoute[] = [];
  const add = (name: string, handle: LegacyRoute['handle']) => {
    for (const p of PREFIXES) routes.push({ path: p + name, auth: 'ckey', handle });
  };
  add('setpersonmackey.qunar', async ({ user, url, body }) => {
    mine(user, url, body);
    const token = param(url, body, 'mac_key');
    if (!token) throw new LegacyError(ERR.BAD_INPUT, 'missing mac_key');
    await core.push.registerDevice(user, {
      token, platform: param(url, body, 'platname') || param(url, body, 'os') || 'unknown', os: param(url, body, 'os') ?? '',
      package: param(url, body, 'pkgname') ?? null,
    });
    return 'success';
  });
  add('delpersonmackey.qunar', async ({ user, url, body }) => {
    mine(user, url, body);
    const token = param(url, body, 'mac_key');
    if (!token) throw new LegacyError(ERR.BAD_INPUT, 'missing mac_key');
    await core.push.unregisterDevice(user, token);
    return 'success';
  });
  add('setmsgsettings.qunar', async ({ user, url, body }) => {
    mine(user, url, body);
    const index = Number(param(url, body, 'index'));
    const status = param(url, body, 'status');
    if (status !== '0' && status !== '1') throw new LegacyError(ERR.BAD_INPUT, 'status must be 0 or 1');
    return (await core.push.setFlag(user, index, status === '1')).flags;
  });
  add('getmsgsettings.qunar', async ({ user, url, body }) => {
    mine(user, url, body);
    return (await core.push.settings(user)).flags; // COMPAT: the bit flags as one number
  });
  return routes;
}
