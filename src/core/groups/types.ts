// Group value types (Startalk MUC rooms: ../shared/startalk/PROTOCOL.md §5).
import type { UserId } from '../accounts/types.js';
import type { ConversationId } from '../messages/types.js';

export type GroupRole = 'owner' | 'admin' | 'member';
/** A user's relation to a group, as incremental sync reports it. */
export type MembershipStatus = 'member' | 'left' | 'removed' | 'destroyed';

export interface GroupCard {
  id: ConversationId;
  /** the legacy room name (Startalk <room>@conference.<domain>); chosen at create_muc, else generated; never changes */
  roomName: string;
  name: string;
  topic: string | null;
  description: string | null;
  pictureUrl: string | null;
  /** +1 on every card change */
  version: number;
  /** ms since the epoch (events carry cards as JSON) */
  createdAt: number;
  destroyed: boolean;
  memberCount: number;
}

export interface GroupMember {
  userId: UserId;
  role: GroupRole;
  joinedAt: Date;
}

/** What rules decide on: the card and the member list, read under the stream lock. */
export interface GroupState {
  card: GroupCard;
  members: Map<UserId, GroupMember>;
}

export interface CardPatch {
  name?: string;
  topic?: string | null;
  description?: string | null;
  pictureUrl?: string | null;
}

/** One decided change, applied atomically by the store. */
export type GroupChange =
  | { kind: 'join'; userIds: UserId[]; by: UserId }
  | { kind: 'leave'; userId: UserId; newOwner?: UserId }
  | { kind: 'remove'; userId: UserId; by: UserId }
  | { kind: 'role'; userId: UserId; role: GroupRole; by: UserId; /** owner handing over demotes itself */ demote?: UserId }
  | { kind: 'card'; patch: CardPatch; by: UserId }
  | { kind: 'destroy'; by: UserId };

export interface GroupSyncEntry {
  card: GroupCard;
  status: MembershipStatus;
  role: GroupRole;
}
