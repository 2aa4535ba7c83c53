// Who is calling an admin operation: an admin user (every scope) or an API key (its scopes).
import type { User } from '../accounts/types.js';
import { forbidden, unauthenticated } from '../errors.js';

export const API_SCOPES = [
  'USERS_READ', 'USERS_WRITE', 'GROUPS_WRITE', 'MESSAGES_SEND', 'MESSAGES_READ', 'SESSIONS_KICK', 'EVENTS_READ', 'WEBHOOKS_WRITE',
  'ADMINS_WRITE',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export type Principal =
  | { kind: 'user'; user: User }
  | { kind: 'key'; key: ApiKeyInfo };

/** Throws unless the principal may use the scope: admins may use all, keys only theirs. */
export function authorize(p: Principal | null, scope: ApiScope): void {
  if (!p) throw unauthenticated();
  if (p.kind === 'user' ? !p.user.isAdmin : !p.key.scopes.includes(scope)) {
    throw forbidden(p.kind === 'user' ? 'admin only' : `this API key lacks the ${scope} scope`);
  }
}

/**
 * Granting, removing or touching admin rights: creating an admin, changing anyone's admin flag,
 * or changing an admin's account (password, freeze, profile). An admin user may; a key needs
 * ADMINS_WRITE on top of the operation's own scope, so USERS_WRITE cannot mint an admin
 * (who could then sign in and create keys with every scope).
 */
export function authorizeAdminRights(p: Principal | null): void {
  if (!p) throw unauthenticated();
  if (p.kind === 'user' ? !p.user.isAdmin : !p.key.scopes.includes('ADMINS_WRITE')) {
    throw forbidden(p.kind === 'user' ? 'admin only' : 'this API key lacks the ADMINS_WRITE scope (needed to grant or change admin rights)');
  }
}

/** The acting user's id, when a person (not a key) is acting. */
export const actorId = (p: Principal): string | null => (p.kind === 'user' ? p.user.id : null);
