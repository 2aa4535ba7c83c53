// The legacy HTTP edge: what Startalk clients call over HTTP after the socket login
// (../shared/startalk/PROTOCOL.md §6), answered from the core. A peer of src/graphql and
// bridge/: it calls core only. Each feature's routes live in their own file.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { adminRoutes } from './admin.js';
import { pushRoutes } from './push.js';
import { clientConfigRoutes } from './client-config.js';
import { groupRoutes } from './groups.js';
import { historyRoutes } from './history.js';
import { loginRoutes } from './login.js';
import { fileRoutes } from './files.js';
import { navRoutes } from './nav.js';
import { userRoutes } from './users.js';
import { roomNames } from './room-names.js';
import { LegacyRouter, type LegacyDeps, type LegacyRoute } from './router.js';
import { searchRoutes } from './search.js';

export type { LegacyDeps } from './router.js';

export interface LegacyEdge {
  /** true when the request was a legacy endpoint (and is being answered) */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  routes: LegacyRouter['list'];
}

/** Every route of the edge (the authorization matrix, test/authz-legacy.test.ts, lists them here). */
export function legacyRoutes(deps: LegacyDeps): LegacyRoute[] {
  const rooms = roomNames(deps.core, deps.domain);
  return [
    ...navRoutes(deps, deps.nav), ...loginRoutes(deps, deps.startalkKey), ...historyRoutes(deps, rooms), ...userRoutes(deps),
    ...groupRoutes(deps, rooms), ...clientConfigRoutes(deps), ...adminRoutes(deps, rooms), ...pushRoutes(deps),
    ...fileRoutes(deps), ...searchRoutes(deps),
  ];
}

export function createLegacyEdge(deps: LegacyDeps): LegacyEdge {
  const router = new LegacyRouter(deps).add(...legacyRoutes(deps));
  return { handle: (req, res) => router.handle(req, res), routes: () => router.list() };
}
