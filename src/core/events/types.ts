// Domain events: what the bus carries between nodes and what subscribers receive.
import type { UserId } from '../accounts/types.js';
import type { GroupCard, GroupRole } from '../groups/types.js';
import type { Show } from '../presence/types.js';
import type { ConversationId, DeliveryStateValue, Message } from '../messages/types.js';

export type DomainEvent =
  | { kind: 'message.added'; seq: string; message: Message }
  | {
      kind: 'message.state';
      seq: string;
      conversationId: ConversationId;
      /** seqs of the messages whose state changed */
      messageSeqs: string[];
      /** their client ids (Startalk msg_id), same order */
      msgIds: string[];
      state: DeliveryStateValue;
      by: UserId;
      at: number;
    }
  | {
      kind: 'message.recalled';
      seq: string;
      conversationId: ConversationId;
      messageSeq: string;
      msgId: string;
      senderId: UserId;
      by: UserId;
      at: number;
    }
  | {
      kind: 'group.members';
      seq: string;
      conversationId: ConversationId;
      change: 'joined' | 'left' | 'removed' | 'role';
      userIds: UserId[];
      /** for 'role': the new role of userIds */
      role?: GroupRole;
      by: UserId;
      card: GroupCard;
      at: number;
    }
  | { kind: 'group.updated'; seq: string; conversationId: ConversationId; card: GroupCard; by: UserId; at: number }
  | { kind: 'group.destroyed'; seq: string; conversationId: ConversationId; card: GroupCard; by: UserId; at: number }
  /** the user's own read pointer in a group moved (to their other devices) */
  | { kind: 'group.read'; seq: string; conversationId: ConversationId; userId: UserId; readSeq: string; at: number }
  /**
   * Ephemeral: never stored, never replayed. seq is '' on the bus; a subscription stamps
   * it with its current cursor so resuming from it stays correct.
   */
  | { kind: 'typing'; seq: string; conversationId: ConversationId; userId: UserId; at: number }
  /** Ephemeral, like typing: a user's aggregate presence changed. */
  | { kind: 'presence'; seq: string; userId: UserId; online: boolean; show: Show | null; status: string | null; at: number }
  /**
   * Ephemeral, like typing: a Startalk notify (PROTOCOL.md §4.6), e.g. category 9 (your online
   * clients) from presence, or whatever an admin sends.
   */
  | { kind: 'notify'; seq: string; category: number; data: string; at: number };

export type EventOf<K extends DomainEvent['kind']> = Extract<DomainEvent, { kind: K }>;

/** Sessions that were revoked: their live subscriptions end on every node. */
export interface SessionRevocation {
  userId: UserId;
  /** only this session; otherwise all of the user's sessions */
  sessionId?: string;
  /** all but this one */
  exceptSessionId?: string;
}

/** An event and every user who must see it (each node picks its own sessions). */
export interface Announced {
  event: DomainEvent;
  recipients: UserId[];
}

/**
 * What one stream transaction committed: positions from..to (inclusive, all of them:
 * positions that produced no event are covered too), and its events in seq order.
 * Nodes reassemble frames in position order, so delivery order is commit order.
 */
export interface Frame {
  from: string;
  to: string;
  items: Announced[];
}

/** An API key that was revoked: cached checks of it are dropped and its streams end on every node. */
export interface KeyRevocation {
  keyId: string;
}

/** One publish on the bus. */
export type Envelope =
  | { frame: Frame; ephemeral?: undefined; revoke?: undefined; revokeKey?: undefined }
  /** not part of the stream (typing, presence): delivered at once, never replayed */
  | { ephemeral: Announced; frame?: undefined; revoke?: undefined; revokeKey?: undefined }
  | { revoke: SessionRevocation; frame?: undefined; ephemeral?: undefined; revokeKey?: undefined }
  | { revokeKey: KeyRevocation; frame?: undefined; ephemeral?: undefined; revoke?: undefined };
