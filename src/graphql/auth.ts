// Who is calling: a user token or an API key ("stk_…"), from the Authorization header, the
// graphql-ws connection params, or an operation's `extensions.headers` (GraphiQL's Headers tab
// sends them there for subscriptions).
import type { AuthSession } from '../core/accounts/types.js';
import { isApiKeyToken } from '../core/admin/api-keys.js';
import type { ApiKeyInfo } from '../core/admin/scopes.js';
import type { Core } from '../core/index.js';

export type Auth = { session: AuthSession | null; apiKey: ApiKeyInfo | null };

export const bearer = (v: unknown) => (typeof v === 'string' ? v.replace(/^Bearer\s+/i, '').trim() || null : null);

/** A user token or an API key; an unknown token of either kind is null. */
export async function authenticate(core: Core, token: string | null): Promise<Auth | null> {
  if (!token) return null;
  if (isApiKeyToken(token)) {
    const apiKey = await core.apiKeys.authenticate(token);
    return apiKey ? { session: null, apiKey } : null;
  }
  const session = await core.accounts.authenticate(token);
  return session ? { session, apiKey: null } : null;
}

/** The token in an operation's `extensions.headers` (any letter case of "authorization"), if any. */
export function extensionsToken(extensions: unknown): string | null {
  const headers = (extensions as { headers?: unknown } | null | undefined)?.headers;
  if (!headers || typeof headers !== 'object') return null;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'authorization') return bearer(v);
  return null;
}
