// What push needs from storage (src/storage/postgres/push.ts) and from a gateway
// (src/storage/push-gateway/http.ts; APNs or FCM adapters would implement PushGateway too).
import type { UserId } from '../accounts/types.js';
import type { ConversationId, Message } from '../messages/types.js';
import type { PushDevice, PushPayload } from './types.js';

export interface PushCandidate {
  message: Message;
  userId: UserId;
  flags: number;
  devices: PushDevice[];
}

export interface PushJob {
  id: string;
  attempts: number;
  payload: PushPayload;
}

export interface PushStore {
  /**
   * Registers a token for the user (and the session that registered it, if any), and takes
   * it from every other user who had it: a token is one user's at a time.
   */
  registerDevice(userId: UserId, device: PushDevice, sessionId: string | null): Promise<void>;
  /** Disables the devices registered by ended sessions: one session, all but one, or (neither) all the user's devices. */
  disableForEndedSessions(userId: UserId, ended: { sessionId?: string; exceptSessionId?: string }): Promise<void>;
  /** true when a device was disabled */
  unregisterDevice(userId: UserId, token: string): Promise<boolean>;
  devices(userId: UserId): Promise<PushDevice[]>;
  flags(userId: UserId): Promise<number>;
  setFlags(userId: UserId, flags: number): Promise<number>;
  setMuted(userId: UserId, conversationId: ConversationId, muted: boolean): Promise<void>;
  mutedConversations(userId: UserId): Promise<ConversationId[]>;

  /** Holds the dispatcher lock (one dispatcher in the deployment); false when another node has it. */
  lead(): Promise<boolean>;
  /**
   * The next messages after the dispatcher's cursor with, for each, the recipients who have
   * an active device, pushes enabled and the conversation not muted.
   */
  pending(limit: number): Promise<{ lastSeq: string | null; candidates: PushCandidate[] }>;
  /** Stores jobs and moves the cursor to lastSeq, in one transaction; a (message, user) pair is queued once. */
  enqueue(jobs: { seq: string; userId: UserId; payload: Omit<PushPayload, 'id'> }[], lastSeq: string): Promise<number>;
  /** Claims due jobs for `leaseMs` (a crashed sender's jobs come back after it), with only the devices still the user's. */
  claim(limit: number, leaseMs: number): Promise<PushJob[]>;
  done(id: string): Promise<void>;
  /** Reschedules, or marks dead once attempts reach maxAttempts. */
  failed(id: string, error: string, retryAt: Date | null): Promise<void>;
  close(): Promise<void>;
}

export interface PushGateway {
  /** Resolves once the gateway acknowledged the job (2xx); throws otherwise. */
  send(payload: PushPayload): Promise<void>;
}
