// 1:1 messaging: send (idempotent by client msgId), delivery/read marks, history, conversations.
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { AppError, badInput, forbidden, notFound, rateLimited } from '../errors.js';
import type { Bus } from '../events/ports.js';
import { RateLimiter } from '../rate-limit.js';
import type { MessageStore } from './ports.js';
import {
  DeliveryState, type Conversation, type ConversationId, type ConversationSummary, type DeliveryStateValue, type Message,
  type PageRequest,
} from './types.js';

export interface MessageOptions {
  maxBodyBytes: number;
  /** extendInfo / backupInfo each */
  maxInfoBytes: number;
  sendRatePerSec: number;
  sendBurst: number;
  maxPageSize: number;
  /** Startalk allows 120 s */
  recallWindowMs: number;
  typingPerSec: number;
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

/** What else must happen before a message is stored (the files area shares a file it carries). */
export interface SendHook {
  /** null when nothing is to be done for this message (no await on the hot path) */
  beforeSend(m: { conversationId: ConversationId; senderId: UserId; msgType: number; body: string }): Promise<void> | null;
}

/** See sendDirect. */
export interface Ordered {
  onQueued: () => void;
}

const MSG_ID_RE = /^[A-Za-z0-9_.:@-]{1,128}$/;
/** COMPAT: Startalk reserves msgType -1 (recall) and -2 (consult recall). */
const RESERVED_TYPES = new Set([-1, -2]);
const INT32 = 2 ** 31;
const MAX_MARK_IDS = 500;

export class MessageService {
  private readonly sendLimiter: RateLimiter;
  private readonly typingLimiter: RateLimiter;
  private readonly conversationCache = new Map<ConversationId, Conversation>();
  private readonly kindCache = new Map<ConversationId, 'direct' | 'group'>();

  constructor(
    private readonly store: MessageStore,
    private readonly accounts: AccountService,
    private readonly bus: Bus,
    private readonly opts: MessageOptions,
    private readonly hook?: SendHook,
  ) {
    this.sendLimiter = new RateLimiter(opts.sendRatePerSec, opts.sendBurst);
    this.typingLimiter = new RateLimiter(opts.typingPerSec, Math.max(1, opts.typingPerSec * 3));
  }

  /**
   * Sends a 1:1 message. `ordered.onQueued` runs once its place in commit order is fixed: a
   * caller that must keep a client's messages in order (the bridge) waits for that, not the commit.
   */
  async sendDirect(sender: User, input: SendInput, ordered?: Ordered): Promise<Message> {
    const content = this.validate(sender, input);
    const peer = await this.accounts.findByAddress(input.to);
    if (peer.id === sender.id) badField('to', 'cannot send a message to yourself');
    const conv = await this.directConversation(sender.id, peer.id);
    return this.store_(sender, conv.id, content, false, conv.memberIds, ordered);
  }

  /** Posts in a group: only current members (checked at commit), delivered to every member. */
  async sendGroup(sender: User, input: Omit<SendInput, 'to'> & { groupId: string }, ordered?: Ordered): Promise<Message> {
    const content = this.validate(sender, input);
    if ((await this.kindOf(input.groupId)) !== 'group') throw notFound('group not found');
    // Membership (and not destroyed) is checked by the insert itself, under the stream lock:
    // no member-list read per message.
    return this.store_(sender, input.groupId, content, true, undefined, ordered);
  }

  private validate(sender: User, input: Omit<SendInput, 'to'>) {
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
    return { msgId, msgType, body: input.body, extendInfo: input.extendInfo ?? null, backupInfo: input.backupInfo ?? null };
  }

  private async store_(
    sender: User, conversationId: ConversationId, c: ReturnType<MessageService['validate']>, isGroup: boolean, members?: UserId[],
    ordered?: Ordered,
  ): Promise<Message> {
    // before the insert, so those who receive the message can already open its file
    const pending = this.hook?.beforeSend({ conversationId, senderId: sender.id, msgType: c.msgType, body: c.body });
    if (pending) await pending;
    const { message, created } = await this.store.insertMessage(
      { ...c, conversationId, senderId: sender.id, withMembers: isGroup },
      // Group members are read at commit, so a member who joined just before gets it.
      (r) => [{ recipients: r.memberIds ?? members ?? [], event: { kind: 'message.added', seq: r.message.seq, message: r.message } }],
      ordered?.onQueued,
    );
    if (!created && (message.conversationId !== conversationId || message.body !== c.body || message.msgType !== c.msgType)) {
      throw new AppError('CONFLICT', `msgId "${c.msgId}" was already used for a different message`);
    }
    return message;
  }

  /** The sender recalls their message within the window; everyone in the conversation is told. */
  async recall(actor: User, seq: string): Promise<Message> {
    if (!/^\d{1,19}$/.test(seq)) throw notFound('message not found');
    const window = this.opts.recallWindowMs;
    const conversationId = await this.findConversationOf(actor, seq); // NOT_FOUND for strangers
    await this.store.recall(seq, actor.id, (m, senderIsMember) => {
      if (m.senderId !== actor.id) throw forbidden('only the sender can recall a message');
      if (!senderIsMember) throw forbidden('you are no longer in this conversation');
      if (m.recalledAt === null && Date.now() - m.createdAt > window) {
        throw forbidden(`messages can only be recalled within ${Math.round(window / 1000)} s`);
      }
    });
    const [m] = await this.store.messagesBySeq(conversationId, [seq]);
    return m!;
  }

  /** Typing notification: never stored; to the peer, or to the other members of a group. */
  async typing(actor: User, target: { to?: string | null; groupId?: string | null }): Promise<void> {
    if ((target.to == null) === (target.groupId == null)) throw badInput('give exactly one of `to` and `groupId`');
    let conv: Conversation;
    if (target.to != null) {
      const peer = await this.accounts.findByAddress(target.to);
      if (peer.id === actor.id) badField('to', 'cannot type to yourself');
      conv = await this.directConversation(actor.id, peer.id);
    } else {
      conv = await this.conversationFor(actor, target.groupId!);
      if (conv.kind !== 'group' || conv.destroyed) throw notFound('group not found');
    }
    const wait = this.typingLimiter.take(`${actor.id}/${conv.id}`);
    if (wait > 0) throw rateLimited('typing notifications too frequent', wait);
    this.bus.publish({
      ephemeral: {
        recipients: conv.memberIds.filter((id) => id !== actor.id),
        event: { kind: 'typing', seq: '', conversationId: conv.id, userId: actor.id, at: Date.now() },
      },
    });
  }

  /** Startalk read_type 2: the group read pointer, up to and including message `upTo`. */
  async markGroupRead(actor: User, groupId: string, upTo: string): Promise<void> {
    if (!/^\d{1,19}$/.test(upTo)) badField('upTo', 'is not a message id');
    const conv = await this.conversationFor(actor, groupId);
    if (conv.kind !== 'group') throw notFound('group not found');
    await this.store.setReadPointer(actor.id, conv.id, upTo);
  }

  /**
   * Startalk read_type 2 by time: the group read pointer moves to the newest message sent at
   * or before `atMs` (Startalk keeps a time, muc_room_users.date; we keep a message position).
   */
  async markGroupReadAt(actor: User, groupId: string, atMs: number): Promise<void> {
    if (!Number.isFinite(atMs) || atMs < 0) badField('t', 'must be a time in ms since the epoch');
    const conv = await this.conversationFor(actor, groupId);
    if (conv.kind !== 'group') throw notFound('group not found');
    const seq = await this.store.lastSeqAt(conv.id, Math.min(atMs, Date.now()));
    if (seq) await this.store.setReadPointer(actor.id, conv.id, seq);
  }

  /** Startalk group revoke: the sender recalls their group message by its client id. */
  async recallInGroup(actor: User, groupId: string, msgId: string): Promise<Message> {
    const conv = await this.conversationFor(actor, groupId);
    if (conv.kind !== 'group') throw notFound('group not found');
    const [seq] = await this.store.seqsByMsgIds(conv.id, actor.id, [msgId]);
    if (!seq) throw notFound('message not found');
    return this.recall(actor, seq);
  }

  /** Startalk read_type 0: everything received up to a time is read, in every conversation. */
  async markAllRead(actor: User, beforeMs: number): Promise<void> {
    if (!Number.isFinite(beforeMs) || beforeMs < 0) badField('before', 'must be a time in ms since the epoch');
    await this.store.markAllRead(actor.id, Math.min(beforeMs, Date.now()));
  }

  private async findConversationOf(actor: User, seq: string): Promise<ConversationId> {
    const m = await this.store.messageBySeq(seq);
    if (!m) throw notFound('message not found');
    return (await this.conversationFor(actor, m.conversationId)).id;
  }

  /**
   * Raises delivery state (DELIVERED or READ) of messages the viewer received in a 1:1
   * conversation. A message's state is shared by everyone who sees it, so in a group it is
   * never changed by one member: READ moves the viewer's own read pointer to the newest of
   * the given messages instead (DELIVERED does nothing), and null is returned.
   */
  async markMessages(viewer: User, conversationId: ConversationId, seqs: string[], state: DeliveryStateValue) {
    if (seqs.length === 0 || seqs.length > MAX_MARK_IDS) badField('messageIds', `give 1-${MAX_MARK_IDS} ids`);
    const conv = await this.conversationFor(viewer, conversationId);
    for (const s of seqs) if (!/^\d{1,19}$/.test(s)) badField('messageIds', 'contains an invalid id');
    if (conv.kind === 'group') {
      if (state === DeliveryState.READ) {
        const mine = await this.store.messagesBySeq(conv.id, seqs); // ids of other conversations are ignored
        const upTo = mine.reduce<bigint | null>((max, m) => (max === null || BigInt(m.seq) > max ? BigInt(m.seq) : max), null);
        if (upTo !== null) await this.store.setReadPointer(viewer.id, conv.id, upTo.toString());
      }
      return null;
    }
    return this.store.markState(viewer.id, conv.id, seqs, state, (event) => (event ? [{ recipients: conv.memberIds, event }] : []));
  }

  /**
   * Startalk read marks (read_type 3 delivered, 4 read): by the peer's client message ids.
   * Unknown ids are ignored, as Startalk does.
   */
  async markByMsgIds(viewer: User, peerAddress: string, msgIds: string[], state: DeliveryStateValue) {
    if (msgIds.length === 0 || msgIds.length > MAX_MARK_IDS) badField('ids', `give 1-${MAX_MARK_IDS} ids`);
    const peer = await this.accounts.findByAddress(peerAddress);
    const conv = await this.directConversation(viewer.id, peer.id);
    const seqs = await this.store.seqsByMsgIds(conv.id, peer.id, msgIds);
    return seqs.length ? this.markMessages(viewer, conv.id, seqs, state) : null;
  }

  /** Startalk revoke: the sender recalls by the message's client id. */
  async recallByMsgId(viewer: User, peerAddress: string, msgId: string): Promise<Message> {
    const peer = await this.accounts.findByAddress(peerAddress);
    const conv = await this.directConversation(viewer.id, peer.id);
    const [seq] = await this.store.seqsByMsgIds(conv.id, viewer.id, [msgId]);
    if (!seq) throw notFound('message not found');
    return this.recall(viewer, seq);
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

  /** Compliance export (admin tools; callers check permission): any conversation, oldest first. */
  async systemHistory(
    conversationId: ConversationId, range: { afterSeq?: string; fromMs?: number; toMs?: number; limit: number; originals?: boolean },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    if (range.limit < 1 || range.limit > this.opts.maxPageSize) badField('first', `must be 1-${this.opts.maxPageSize}`);
    for (const [k, v] of [['from', range.fromMs], ['to', range.toMs]] as const) {
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) badField(k, 'must be a time in ms since the epoch');
    }
    if (!(await this.conversation(conversationId))) throw notFound('conversation not found');
    const rows = await this.store.historyByTime(conversationId, { ...range, limit: range.limit + 1 });
    return { messages: rows.slice(0, range.limit), hasMore: rows.length > range.limit };
  }

  /** A user's conversations for admin tools (callers check permission). */
  async systemConversations(userId: UserId, limit: number, beforeSeq?: string): Promise<ConversationSummary[]> {
    if (limit < 1 || limit > this.opts.maxPageSize) badField('first', `must be 1-${this.opts.maxPageSize}`);
    return this.store.conversations(userId, limit, beforeSeq);
  }

  /** The viewer's whole 1:1 archive, paged like history (XMPP archive queries without a peer). */
  async archive(viewer: User, page: PageRequest): Promise<{ messages: Message[]; hasMore: boolean }> {
    if (page.limit < 1 || page.limit > this.opts.maxPageSize) badField('max', `must be 1-${this.opts.maxPageSize}`);
    const rows = await this.store.directArchive(viewer.id, { ...page, limit: page.limit + 1 });
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

  /** The other participant of a 1:1 message; null for group messages. Cached, no read per message. */
  async recipientOf(m: Message): Promise<UserId | null> {
    if ((await this.kindOf(m.conversationId)) !== 'direct') return null;
    const conv = await this.conversation(m.conversationId);
    return conv?.memberIds.find((id) => id !== m.senderId) ?? null;
  }

  /** Everyone the user shares a conversation or group with (the XMPP roster). */
  contactsOf(user: User): Promise<UserId[]> {
    return this.store.contacts(user.id);
  }

  /** A conversation's kind never changes: cached after the first read. */
  private async kindOf(id: ConversationId): Promise<'direct' | 'group' | null> {
    const hit = this.kindCache.get(id);
    if (hit) return hit;
    if (!/^\d{1,19}$/.test(id)) return null;
    const kind = await this.store.conversationKind(id);
    if (kind) {
      if (this.kindCache.size > 200_000) this.kindCache.clear();
      this.kindCache.set(id, kind);
    }
    return kind;
  }

  /** Cached for 1:1 conversations (their membership never changes); groups are read each time. */
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

