// Search value types: what can be found, and hits with their highlights.
import type { User, UserId } from '../accounts/types.js';
import type { GroupCard } from '../groups/types.js';
import type { MessageMatch } from '../messages/types.js';

/** user: people; group: the searcher's groups; sharedGroup: their groups shared with matching people;
 * message: their own history (text); file: their own history (file messages, msgType 5) */
export type SearchKind = 'user' | 'group' | 'sharedGroup' | 'message' | 'file';

export const SEARCH_KINDS: readonly SearchKind[] = ['user', 'group', 'sharedGroup', 'message', 'file'];

/** Where the query matched: ranges are UTF-16 offsets into value. */
export interface Highlight {
  field: string;
  value: string;
  ranges: { start: number; length: number }[];
}

export type SearchHit =
  | { kind: 'user'; user: User; highlights: Highlight[] }
  | { kind: 'group'; card: GroupCard; highlights: Highlight[] }
  /** withUserIds: the matching people who are in this group */
  | { kind: 'sharedGroup'; card: GroupCard; withUserIds: UserId[]; highlights: Highlight[] }
  | { kind: 'message' | 'file'; match: MessageMatch; highlights: Highlight[] };

export interface SearchPage<T> {
  items: T[];
  hasMore: boolean;
}

export interface UserQuery {
  domain: string;
  /** what was typed, trimmed */
  text: string;
  offset: number;
  limit: number;
}

export interface GroupQuery {
  viewerId: UserId;
  text: string;
  offset: number;
  limit: number;
}

export interface SharedGroupQuery {
  viewerId: UserId;
  /** groups that have at least one of these users besides the viewer */
  userIds: UserId[];
  offset: number;
  limit: number;
}
