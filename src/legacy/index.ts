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
import { roomNames } from './rooms.js';
import { LegacyRouter, type LegacyDeps } from './router.js';
import { searchRoutes } from './search.js';

export type { LegacyDeps } from './router.js';

export interface LegacyEdge {
  /** true when the request was a legacy endpoint (and is being answered) */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createLegacyEdge(deps: LegacyDeps): LegacyEdge {
  const router = new LegacyRouter(deps);
  router.add(...navRoutes(deps, deps.nav));
  router.add(...loginRoutes(deps, deps.startalkKey));
  const rooms = roomNames(deps.core, deps.domain);
  router.add(...historyRoutes(deps, rooms));
  router.add(...userRoutes(deps));
  router.add(...groupRoutes(deps, rooms));
  router.add(...clientConfigRoutes(deps));
  router.add(...adminRoutes(deps, rooms));
  router.add(...pushRoutes(deps));
  router.add(...fileRoutes(deps));
  router.add(...searchRoutes(deps));
  return { handle: (req, res) => router.handle(req, res) };
}
