// What search needs from an index (src/storage/postgres/search.ts by default,
// src/storage/meili/search.ts when MEILI_URL is set). Visibility is part of each query
// (frozen users, the viewer's own groups), never a filter applied to results afterwards.
import type { Change } from '../events/changes.js';
import type { GroupCard } from '../groups/types.js';
import type { User, UserId } from '../accounts/types.js';
import type { GroupQuery, SearchPage, SharedGroupQuery, UserQuery } from './types.js';

export interface ReindexProgress {
  (what: 'users' | 'groups', done: number): void;
}

export interface SearchIndex {
  readonly name: 'postgres' | 'meilisearch';
  /** Creates or updates index settings; called once at start. */
  start(): Promise<void>;
  /** Non-frozen users of the domain matching the text, best first. */
  users(q: UserQuery): Promise<SearchPage<User>>;
  /** The viewer's current (not destroyed) groups whose name or topic matches. */
  groups(q: GroupQuery): Promise<SearchPage<GroupCard>>;
  /** The viewer's current groups that also have some of userIds, with which of them. */
  sharedGroups(q: SharedGroupQuery): Promise<SearchPage<{ card: GroupCard; withUserIds: UserId[] }>>;
  /** Brings the index up to date with a committed change (fed by the core's ChangeFeed). */
  apply(change: Change): Promise<void>;
  /** Resolves once every change applied so far is searchable. */
  flush(): Promise<void>;
  /** Rebuilds everything from the database (recovery); returns how many of each were indexed. */
  reindex(progress?: ReindexProgress): Promise<{ users: number; groups: number }>;
  close(): Promise<void>;
}
