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

/** One publish: the event and every user who must see it (local nodes pick their own sessions). */
export interface Envelope {
  recipients: UserId[];
  event: DomainEvent;
}
