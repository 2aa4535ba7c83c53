// Ports of the live-event layer.
import type { UserId } from '../accounts/types.js';
import type { DomainEvent, Envelope } from './types.js';

/** Pub/sub between nodes: in-process by default, Redis when configured. */
export interface Bus {
  /** Publishes once; every node's handlers receive it, in publish order per node. */
  publish(envelope: Envelope): void;
  /**
   * Registers the node's handler; returns an unsubscribe function. onResync is called
   * when envelopes may have been missed (a reconnect): subscribers then re-read the log.
   */
  subscribe(handler: (envelope: Envelope) => void, onResync?: () => void): () => void;
  /** False while the transport is disconnected (readiness). */
  isReady(): boolean;
  /**
   * Readiness of delivery itself: a message published now comes back through the subscription
   * within timeoutMs. A connection can look ready while the server is stalled (a partition).
   */
  probe?(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** Durable, ordered history of events, for resume-from-cursor. */
export interface EventLog {
  /** Events visible to the user with seq > afterSeq, ascending, at most limit. */
  eventsAfter(userId: UserId, afterSeq: string, limit: number): Promise<DomainEvent[]>;
  /** The highest seq handed out so far. */
  currentPosition(): Promise<string>;
}
