// What groups need from storage (implemented in src/storage/postgres/groups.ts).
import type { UserId } from '../accounts/types.js';
import type { Announced } from '../events/types.js';
import type { ConversationId } from '../messages/types.js';
import type { CardPatch, GroupChange, GroupState, GroupSyncEntry } from './types.js';

/** A committed change: the events it produced (in seq order) and who must see each; announced with the commit. */
export type Applied = Announced[];

export interface GroupStore {
  /**
   * Creates a group owned by creator with the given other members, in one stream transaction;
   * null when roomName is already taken.
   */
  create(
    creator: UserId, card: Required<CardPatch>, memberIds: UserId[], roomName: string,
  ): Promise<{ id: ConversationId; applied: Applied } | null>;
  /**
   * Reads the group's state under the stream lock, lets plan decide (it may throw), and
   * applies the change it returns; null when plan returns null (nothing to do).
   */
  change(
    id: ConversationId, plan: (state: GroupState) => GroupChange | null,
  ): Promise<Applied | null>;
  /** Card and members; null for an unknown id or a 1:1 conversation. */
  state(id: ConversationId): Promise<GroupState | null>;
  /** The group with this legacy room name (destroyed ones included); null when none. */
  idByRoomName(roomName: string): Promise<ConversationId | null>;
  /** A group's legacy room name; null for an unknown id or a 1:1 conversation. */
  roomName(id: ConversationId): Promise<string | null>;
  /** The user's groups: all current ones, or every change after a stream position. */
  sync(userId: UserId, changedSince: string | null): Promise<GroupSyncEntry[]>;
}
