// What messaging needs from storage (implemented in src/storage/postgres/messages.ts).
import type { UserId } from '../accounts/types.js';
import type { DomainEvent } from '../events/types.js';
import type {
  Conversation, ConversationId, ConversationSummary, DeliveryStateValue, Message, NewMessage, PageRequest,
} from './types.js';

export type InsertResult = { message: Message; created: boolean };
export type StateEvent = Extract<DomainEvent, { kind: 'message.state' }>;

export interface MessageStore {
  /** Returns the 1:1 conversation of two users, creating it (and both memberships) when missing. */
  directConversation(a: UserId, b: UserId): Promise<Conversation>;
  /** Loads a conversation with its member ids; null when unknown. */
  conversation(id: ConversationId): Promise<Conversation | null>;
  /**
   * Persists a message (concurrent calls are committed together). created=false when the
   * sender already stored this msgId; message is then the stored one. onCommit runs
   * synchronously right after the commit, in stream order across all writes of this node
   * (publish from there so subscribers see events in seq order); not for duplicates.
   */
  insertMessage(input: NewMessage, onCommit?: (r: InsertResult) => void): Promise<InsertResult>;
  /**
   * Raises the delivery state of the given messages (those not sent by reader) and
   * records one event; null when nothing changed. onCommit as for insertMessage.
   */
  markState(
    reader: UserId, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue,
    onCommit?: (e: StateEvent | null) => void,
  ): Promise<StateEvent | null>;
  /** A page of a conversation's history, ordered by seq descending when from='newest'. */
  history(conversationId: ConversationId, page: PageRequest): Promise<Message[]>;
  /** Messages by seq within one conversation. */
  messagesBySeq(conversationId: ConversationId, seqs: string[]): Promise<Message[]>;
  /** The user's conversations, most recent first, with last message and unread count. */
  conversations(userId: UserId, limit: number, beforeSeq?: string): Promise<ConversationSummary[]>;
}
