// Domain events: what the bus carries between nodes and what subscribers receive.
import type { UserId } from '../accounts/types.js';
import type { ConversationId, DeliveryStateValue, Message } from '../messages/types.js';

export type DomainEvent =
  | { kind: 'message.added'; seq: string; message: Message }
  | {
      kind: 'message.state';
      seq: string;
      conversationId: ConversationId;
      /** seqs of the messages whose state changed */
      messageSeqs: string[];
      state: DeliveryStateValue;
      by: UserId;
      at: number;
    };

/** Sessions that were revoked: their live subscriptions end on every node. */
export interface SessionRevocation {
  userId: UserId;
  /** only this session; otherwise all of the user's sessions */
  sessionId?: string;
  /** all but this one */
  exceptSessionId?: string;
}

/**
 * One publish: an event with every user who must see it (local nodes pick their own
 * sessions), or a control message that is not part of the event stream.
 */
export type Envelope =
  | { recipients: UserId[]; event: DomainEvent; revoke?: undefined }
  | { recipients?: undefined; event?: undefined; revoke: SessionRevocation };
