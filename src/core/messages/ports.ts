// What messaging needs from storage (implemented in src/storage/postgres/messages.ts).
import type { UserId } from '../accounts/types.js';
import type { Announced, DomainEvent } from '../events/types.js';
import type {
  Conversation, ConversationId, ConversationSummary, DeliveryStateValue, Message, MessageMatch, MessageSearch, NewMessage,
  PageRequest,
} from './types.js';

export type InsertResult = { message: Message; created: boolean; memberIds?: UserId[] };
export type Applied = Announced[];
/** Maps what a stream write committed to the events to announce (called in seq order). */
export type Announce<T> = (committed: T) => Announced[];
export type StateEvent = Extract<DomainEvent, { kind: 'message.state' }>;

export interface MessageStore {
  /** Returns the 1:1 conversation of two users, creating it (and both memberships) when missing. */
  directConversation(a: UserId, b: UserId): Promise<Conversation>;
  /** Everyone who shares a conversation or group with the user. */
  contacts(userId: UserId): Promise<UserId[]>;
  /** The kind of a conversation; null when unknown. */
  conversationKind(id: ConversationId): Promise<'direct' | 'group' | null>;
  /** Loads a conversation with its member ids; null when unknown. */
  conversation(id: ConversationId): Promise<Conversation | null>;
  /**
   * Persists a message (concurrent calls are committed together). created=false when the
   * sender already stored this msgId; message is then the stored one. announce tells
   * what to publish with the commit's frame; it is not called for duplicates. onQueued runs
   * as soon as the message's place in commit order is fixed (before the commit).
   */
  insertMessage(input: NewMessage, announce?: Announce<InsertResult>, onQueued?: () => void): Promise<InsertResult>;
  /**
   * Raises the delivery state of the given messages (those not sent by reader) and
   * records one event; null when nothing changed. announce as for insertMessage.
   */
  markState(
    reader: UserId, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue,
    announce?: Announce<StateEvent | null>,
  ): Promise<StateEvent | null>;
  /**
   * Recalls a message: under the stream lock, check(message, senderIsMember) may throw;
   * then the original goes to the audit table and the row becomes a recall marker.
   * Stream ops like this one return, and announce, their events with recipients.
   */
  recall(
    seq: string, by: UserId, check: (m: Message, senderIsMember: boolean) => void,
  ): Promise<Applied>;
  /** Moves the user's read pointer in a group forward (never back); [] when unchanged. */
  setReadPointer(userId: UserId, conversationId: ConversationId, seq: string): Promise<Applied>;
  /** The newest message of a conversation created at or before `atMs`; null when none. */
  lastSeqAt(conversationId: ConversationId, atMs: number): Promise<string | null>;
  /** Startalk read_type 0: everything received up to `beforeMs` becomes read, in 1:1s and groups. */
  markAllRead(userId: UserId, beforeMs: number): Promise<Applied>;
  /** A page of a conversation's history, ordered by seq descending when from='newest'. */
  history(conversationId: ConversationId, page: PageRequest): Promise<Message[]>;
  /**
   * Compliance export: a conversation's messages in seq order after afterSeq, created in
   * [fromMs, toMs) when given; with originals, recalled messages keep their original content.
   */
  historyByTime(
    conversationId: ConversationId, range: { afterSeq?: string; fromMs?: number; toMs?: number; limit: number; originals?: boolean },
  ): Promise<Message[]>;
  /** Seqs of a sender's messages in a conversation, by their client ids (Startalk msg_id). */
  seqsByMsgIds(conversationId: ConversationId, senderId: UserId, msgIds: string[]): Promise<string[]>;
  /** One message by seq, in any conversation (callers check access). */
  messageBySeq(seq: string): Promise<Message | null>;
  /** A page of all the user's 1:1 messages (their personal archive), by seq. */
  directArchive(userId: UserId, page: PageRequest): Promise<Message[]>;
  /** Messages by seq within one conversation. */
  messagesBySeq(conversationId: ConversationId, seqs: string[]): Promise<Message[]>;
  /** The user's conversations, most recent first, with last message and unread count. */
  conversations(userId: UserId, limit: number, beforeSeq?: string): Promise<ConversationSummary[]>;
  /**
   * The user's own history matching the text, newest first: only conversations they are a
   * member of now (the join is the access rule), recalled messages excluded.
   */
  search(userId: UserId, q: MessageSearch): Promise<MessageMatch[]>;
}
