// The Pothos builder and the request context type; no types are defined here.
import SchemaBuilder from '@pothos/core';
import type { User } from '../core/accounts/types.js';
import type { AuthSession } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';
import { unauthenticated } from '../core/errors.js';

export interface Context {
  core: Core;
  session: AuthSession | null;
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

/** The signed-in user, or UNAUTHENTICATED. */
export function viewer(ctx: Context): User {
  if (!ctx.session) throw unauthenticated();
  return ctx.session.user;
}
