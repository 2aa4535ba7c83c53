// The Pothos builder and the request context type; no types are defined here.
import SchemaBuilder from '@pothos/core';
import type { User } from '../core/accounts/types.js';
import type { AuthSession } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';
import type { ApiKeyInfo, Principal } from '../core/admin/scopes.js';
import { forbidden, unauthenticated } from '../core/errors.js';

export interface Context {
  core: Core;
  session: AuthSession | null;
  /** set when the bearer token is an API key ("stk_…"); session is then null */
  apiKey: ApiKeyInfo | null;
  userAgent: string | null;
}

export interface Types {
  Context: Context;
  DefaultFieldNullability: false;
}

export const builder = new SchemaBuilder<Types>({ defaultFieldNullability: false });

export type InputFields = PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<Types>, 'InputObject'>;

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/** The signed-in user, or UNAUTHENTICATED; an API key never acts as a user (FORBIDDEN). */
export function viewer(ctx: Context): User {
  if (ctx.apiKey) throw forbidden('API keys can only call admin operations');
  if (!ctx.session) throw unauthenticated();
  return ctx.session.user;
}

/** Who calls an admin operation: an API key, a signed-in user, or nobody (null). */
export function principal(ctx: Context): Principal | null {
  if (ctx.apiKey) return { kind: 'key', key: ctx.apiKey };
  return ctx.session ? { kind: 'user', user: ctx.session.user } : null;
}
