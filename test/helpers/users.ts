// The alice/bob/eve setup: users created through the GraphQL API, keyed by name.
import type { TestApp } from './app.js';

export type TestUser = Awaited<ReturnType<TestApp['createUser']>>;

/** Creates each user in turn (password 'password-123' unless given) and returns them by name. */
export async function users<const N extends string>(t: Pick<TestApp, 'createUser'>, ...names: N[]): Promise<Record<N, TestUser>> {
  const out = {} as Record<N, TestUser>;
  for (const n of names) out[n] = await t.createUser(n);
  return out;
}
