// Row shapes of raw queries and their mapping to core types.
import type { DomainEvent } from '../../core/events/types.js';
import type { DeliveryStateValue, Message } from '../../core/messages/types.js';

export const MESSAGE_COLUMNS =
  'seq, conversation_id, sender_id, msg_id, msg_type, body, extend_info, backup_info, created_at, state, recalled_at';

/** pg returns bigint columns as strings */
export interface MessageRow {
  seq: string;
  conversation_id: string;
  sender_id: string;
  msg_id: string;
  msg_type: number;
  body: string;
  extend_info: string | null;
  backup_info: string | null;
  created_at: string;
  state: number;
  recalled_at: string | null;
}

export function rowToMessage(r: MessageRow): Message {
  return {
    seq: r.seq, conversationId: r.conversation_id, senderId: r.sender_id, msgId: r.msg_id,
    msgType: r.msg_type, body: r.body, extendInfo: r.extend_info, backupInfo: r.backup_info,
    createdAt: Number(r.created_at), state: r.state as DeliveryStateValue,
    recalledAt: r.recalled_at === null ? null : Number(r.recalled_at),
  };
}

export interface EventRow {
  seq: string;
  kind: string;
  payload: Record<string, unknown>;
}

/** Stored events keep everything but kind and seq in payload (JSON-safe by construction). */
export function rowToEvent(r: EventRow): DomainEvent {
  return { ...r.payload, kind: r.kind, seq: r.seq } as DomainEvent;
}
