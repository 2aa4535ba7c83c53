// What history sync for Startalk clients needs from storage (src/storage/postgres/sync.ts).
import type { UserId } from '../accounts/types.js';
import type { ConversationId, Message } from '../messages/types.js';
import type { TimePoint } from './time-cursor.js';

export interface SeqPoint {
  /** exact: the seq of the message at that point; else the last seq before the point ('0' if none) */
  seq: string;
  exact: boolean;
}

export interface ReadChange {
  conversationId: ConversationId;
  msgIds: string[];
  state: number;
  at: number;
}

export interface SyncStore {
  /** Where a time point falls in seq order. */
  locate(point: TimePoint): Promise<SeqPoint>;
  /** The last stream position (message or event) stamped at or before ms; '0' when none. */
  positionAt(ms: number): Promise<string>;
  /** Each message's rank among the messages of its millisecond (by seq). */
  ranks(messages: Message[]): Promise<Map<string, number>>;
  /** The user's messages in all their 1:1s or all their current groups with seq > afterSeq, ascending. */
  userMessages(userId: UserId, kind: 'direct' | 'group', afterSeq: string, limit: number): Promise<Message[]>;
  /** Read-state changes in the user's 1:1s recorded after sinceMs, oldest first. */
  readChanges(userId: UserId, sinceMs: number, limit: number): Promise<ReadChange[]>;
  /** The user's read pointer in each current group, as the time of the message it points at (0: none). */
  groupReadTimes(userId: UserId): Promise<{ conversationId: ConversationId; readMs: number; changedMs: number }[]>;
  /** For each group, the first message after the user's read pointer (getmuchistory time=-1). */
  firstUnreadPerGroup(userId: UserId): Promise<Message[]>;
}
