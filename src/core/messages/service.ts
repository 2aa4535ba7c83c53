// 1:1 messaging: send (idempotent by client msgId), delivery/read marks, history, conversations.
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { AppError, badInput, notFound, rateLimited } from '../errors.js';
import type { Bus } from '../events/ports.js';
import { RateLimiter } from '../rate-limit.js';
import type { MessageStore } from './ports.js';
import type {
  Conversation, ConversationId, ConversationSummary, DeliveryStateValue, Message, PageRequest,
} from './types.js';

export interface MessageOptions {
  maxBodyBytes: number;
  /** extendInfo / backupInfo each */
  maxInfoBytes: number;
  sendRatePerSec: number;
  sendBurst: number;
  maxPageSize: number;
}

export interface SendInput {
  /** peer address: "name" or "name@domain" */
  to: string;
  msgId?: string | null;
  msgType?: number | null;
  body: string;
  extendInfo?: string | null;
  backupInfo?: string | null;
}

const MSG_ID_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** COMPAT: Startalk reserves msgType -1 (recall) and -2 (consult recall). */
const RESERVED_TYPES = new Set([-1, -2]);
const INT32 = 2 ** 31;
const MAX_MARK_IDS = 500;

export class MessageService {
  private readonly sendLimiter: RateLimiter;
  private readonly conversationCache = new Map<ConversationId, Conversation>();

  constructor(
    private readonly store: MessageStore,
    private readonly accounts: AccountService,
    private readonly bus: Bus,
    private readonly opts: MessageOptions,
  ) {
    this.sendLimiter = new RateLimiter(opts.sendRatePerSec, opts.sendBurst);
  }

  async sendDirect(sender: User, input: SendInput): Promise<Message> {
    const msgId = input.msgId == null ? randomUUID().replaceAll('-', '') : input.msgId;
    if (!MSG_ID_RE.test(msgId)) badField('msgId', 'must be 1-128 characters of A-Z a-z 0-9 _ . : @ -');
    const msgType = input.msgType ?? 1;
    if (!Number.isInteger(msgType) || msgType < -INT32 || msgType >= INT32) badField('msgType', 'must be a 32-bit integer');
    if (RESERVED_TYPES.has(msgType)) badField('msgType', `${msgType} is reserved for recalls`);
    this.checkText('body', input.body, this.opts.maxBodyBytes, true);
    this.checkText('extendInfo', input.extendInfo, this.opts.maxInfoBytes, false);
    this.checkText('backupInfo', input.backupInfo, this.opts.maxInfoBytes, false);

    const wait = this.sendLimiter.take(sender.id);
    if (wait > 0) throw rateLimited('sending too fast', wait);

    const peer = await this.accounts.findByAddress(input.to);
    if (peer.id === sender.id) badField('to', 'cannot send a message to yourself');
    const conv = await this.directConversation(sender.id, peer.id);
    const { message, created } = await this.store.insertMessage(
      {
        conversationId: conv.id, senderId: sender.id, msgId, msgType, body: input.body,
        extendInfo: input.extendInfo ?? null, backupInfo: input.backupInfo ?? null,
      },
      (r) => this.bus.publish({ recipients: conv.memberIds, event: { kind: 'message.added', seq: r.message.seq, message: r.message } }),
    );
    if (!created && (message.conversationId !== conv.id || message.body !== input.body || message.msgType !== msgType)) {
      throw new AppError('CONFLICT', `msgId "${msgId}" was already used for a different message`);
    }
    return message;
  }

  /** Raises delivery state (DELIVERED or READ) of messages the viewer received in a conversation. */
  async markMessages(viewer: User, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue) {
    if (seqs.length === 0 || seqs.length > MAX_MARK_IDS) badField('messageIds', `give 1-${MAX_MARK_IDS} ids`);
    const conv = await this.conversationFor(viewer, conversationId);
    for (const s of seqs) if (!/^\d{1,19}$/.test(s)) badField('messageIds', 'contains an invalid id');
    return this.store.markState(viewer.id, conv.id, seqs, state, (event) => {
      if (event) this.bus.publish({ recipients: conv.memberIds, event });
    });
  }

  /** The conversation if the viewer belongs to it; NOT_FOUND otherwise (no existence leak). */
  async conversationFor(viewer: User, id: ConversationId): Promise<Conversation> {
    const conv = await this.conversation(id);
    if (!conv || !conv.memberIds.includes(viewer.id)) throw notFound('conversation not found');
    return conv;
  }

  /** The 1:1 conversation with a peer, for history; it exists (empty) once looked up. */
  async directWith(viewer: User, peerAddress: string): Promise<Conversation> {
    const peer = await this.accounts.findByAddress(peerAddress);
    if (peer.id === viewer.id) badField('with', 'there is no conversation with yourself');
    return this.directConversation(viewer.id, peer.id);
  }

  /** One page of history; hasMore tells whether the range continues past it. */
  async history(viewer: User, conversationId: ConversationId, page: PageRequest): Promise<{ messages: Message[]; hasMore: boolean }> {
    if (page.limit < 1 || page.limit > this.opts.maxPageSize) badField('first/last', `must be 1-${this.opts.maxPageSize}`);
    const conv = await this.conversationFor(viewer, conversationId);
    const rows = await this.store.history(conv.id, { ...page, limit: page.limit + 1 });
    return { messages: rows.slice(0, page.limit), hasMore: rows.length > page.limit };
  }

  async messagesBySeq(viewer: User, conversationId: ConversationId, seqs: string[]): Promise<Message[]> {
    const conv = await this.conversationFor(viewer, conversationId);
    return this.store.messagesBySeq(conv.id, seqs);
  }

  async conversations(viewer: User, limit: number, beforeSeq?: string): Promise<ConversationSummary[]> {
    if (limit < 1 || limit > this.opts.maxPageSize) badField('first', `must be 1-${this.opts.maxPageSize}`);
    return this.store.conversations(viewer.id, limit, beforeSeq);
  }

  /** Cached: membership of a 1:1 conversation never changes. */
  async conversation(id: ConversationId): Promise<Conversation | null> {
    const hit = this.conversationCache.get(id);
    if (hit) return hit;
    const conv = await this.store.conversation(id);
    if (conv?.kind === 'direct') this.remember(conv);
    return conv;
  }

  private async directConversation(a: UserId, b: UserId): Promise<Conversation> {
    const key = directKey(a, b);
    const hit = this.conversationCache.get(key);
    if (hit) return hit;
    const conv = await this.store.directConversation(a, b);
    this.remember(conv, key);
    return conv;
  }

  private remember(conv: Conversation, key = directKey(conv.memberIds[0]!, conv.memberIds[1]!)): void {
    if (this.conversationCache.size > 200_000) this.conversationCache.clear();
    this.conversationCache.set(conv.id, conv);
    this.conversationCache.set(key, conv);
  }

  private checkText(field: string, v: string | null | undefined, maxBytes: number, required: boolean): void {
    if (v == null) {
      if (required) badField(field, 'is required');
      return;
    }
    if (required && v.length === 0) badField(field, 'must not be empty');
    if (Buffer.byteLength(v, 'utf8') > maxBytes) badField(field, `is larger than ${maxBytes} bytes`);
    if (v.includes('\u0000')) badField(field, 'contains a NUL character');
  }
}

const directKey = (a: UserId, b: UserId) => (BigInt(a) < BigInt(b) ? `d:${a}:${b}` : `d:${b}:${a}`);

function badField(field: string, problem: string): never {
  throw badInput(`${field} ${problem}`, { field });
}

