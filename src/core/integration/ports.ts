// What integrations need from storage (src/storage/postgres/integration.ts) and from an HTTP
// client (src/storage/webhook-sender/http.ts).
import type { EventOf } from '../events/types.js';
import type { IntegrationEvent, IntegrationKind } from './types.js';

export type StreamEvent = EventOf<IntegrationKind>;

export interface Webhook {
  id: string;
  url: string;
  kinds: IntegrationKind[];
  /** last stream position acknowledged (2xx) or dead-lettered */
  cursor: string;
  /** consecutive failed attempts at the next event */
  failures: number;
  nextAt: Date;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

export interface DeadLetter {
  id: string;
  webhookId: string;
  cursor: string;
  kind: IntegrationKind;
  payload: IntegrationEvent;
  attempts: number;
  error: string;
  createdAt: Date;
}

export interface IntegrationStore {
  /** Stream entries of the integration kinds with seq > afterSeq, ascending, at most limit. */
  readAfter(afterSeq: string, limit: number): Promise<StreamEvent[]>;
  /** The highest seq handed out so far. */
  position(): Promise<string>;

  createWebhook(url: string, secret: string, kinds: IntegrationKind[], cursor: string): Promise<Webhook>;
  /** Soft-deletes; false when unknown or already deleted. */
  deleteWebhook(id: string): Promise<boolean>;
  webhooks(): Promise<Webhook[]>;
  /** Dead letters of a webhook, newest first. */
  deadLetters(webhookId: string, limit: number): Promise<DeadLetter[]>;

  /** Holds the delivery lock (one webhook worker in the deployment); false when another node has it. */
  lead(): Promise<boolean>;
  /** Webhooks due for an attempt, with their secrets. */
  due(limit: number): Promise<(Webhook & { secret: string })[]>;
  /** After a 2xx: the cursor moves to `cursor` (never back) and failures reset. */
  delivered(id: string, cursor: string): Promise<void>;
  /** A failed attempt: failures and the next attempt time are recorded. */
  failed(id: string, failures: number, error: string, nextAt: Date): Promise<void>;
  /** Gives up on one event: recorded with the error, the cursor moves past it, failures reset. */
  deadLetter(id: string, event: IntegrationEvent, attempts: number, error: string): Promise<void>;
  close(): Promise<void>;
}

export interface WebhookSender {
  /** POSTs a signed body; resolves on a 2xx, throws otherwise (status or network error). */
  post(hook: { id: string; url: string; secret: string }, body: string): Promise<void>;
}
