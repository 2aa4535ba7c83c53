// Message value types. seq is the message's position in the global event stream.
import type { UserId } from '../accounts/types.js';

export type ConversationId = string;

/** Startalk read_flag values (PROTOCOL.md §4.3). */
export const DeliveryState = { SENT: 0, DELIVERED: 1, READ: 3 } as const;
export type DeliveryStateValue = (typeof DeliveryState)[keyof typeof DeliveryState];

export interface Message {
  seq: string;
  conversationId: ConversationId;
  senderId: UserId;
  /** client-chosen id (Startalk msg_id), unique per sender */
  msgId: string;
  /** Startalk msgType: 1 text, 2 voice, 3 image, 5 file, 32 video, … */
  msgType: number;
  body: string;
  extendInfo: string | null;
  backupInfo: string | null;
  /** server time, ms since the epoch */
  createdAt: number;
  state: DeliveryStateValue;
  /** set when the sender recalled it; body is then empty and msgType -1 */
  recalledAt: number | null;
}

export interface NewMessage {
  /** also return the conversation's member list as of the commit (groups: it can change) */
  withMembers?: boolean;
  conversationId: ConversationId;
  senderId: UserId;
  msgId: string;
  msgType: number;
  body: string;
  extendInfo: string | null;
  backupInfo: string | null;
}

export interface Conversation {
  id: ConversationId;
  kind: 'direct' | 'group';
  memberIds: UserId[];
  /** groups: destroyed groups are read-only */
  destroyed?: boolean;
}

export interface ConversationSummary {
  conversation: Conversation;
  /** group name, for groups */
  name: string | null;
  lastMessage: Message;
  unreadCount: number;
}

export interface PageRequest {
  /** seq bounds, exclusive */
  beforeSeq?: string;
  afterSeq?: string;
  limit: number;
  /** which end of the range to take from: 'newest' reads downward from beforeSeq */
  from: 'newest' | 'oldest';
}

/** A message found by search, with what a result list shows beside it. */
export interface MessageMatch {
  message: Message;
  conversationKind: 'direct' | 'group';
  /** 1:1: the other member */
  peerId: UserId | null;
  /** groups: the group's name */
  groupName: string | null;
  /** groups: the legacy room name (local part of the room JID) */
  roomName: string | null;
}

export interface MessageSearch {
  /** words to find; all of them must occur */
  text: string;
  /** true: file messages (msgType 5) only; false: everything else */
  files: boolean;
  /** only 1:1s or only groups; unset: both */
  conversationKind?: 'direct' | 'group';
  offset: number;
  limit: number;
}
