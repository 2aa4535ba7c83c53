// History sync as Startalk clients do it (../shared/startalk/PROTOCOL.md §6.2, §13 D): by
// time rather than by cursor. Times map onto seq positions (time-cursor.ts), then the
// ordinary seq-ordered reads serve; every read checks that the viewer belongs.
import type { User } from '../accounts/types.js';
import { badInput } from '../errors.js';
import type { MessageService } from '../messages/service.js';
import type { MessageStore } from '../messages/ports.js';
import type { ConversationId, Message, PageRequest } from '../messages/types.js';
import type { ReadChange, SyncStore } from './ports.js';
import { formatT, parseTime, type TimePoint } from './time-cursor.js';

export interface SyncOptions {
  /** COMPAT: Startalk capped num at 1000 */
  maxPage: number;
}

export interface TimedMessage {
  message: Message;
  /** float seconds, the cursor for the next page */
  t: number;
}

export class SyncService {
  constructor(
    private readonly store: SyncStore,
    private readonly messageStore: MessageStore,
    private readonly messages: MessageService,
    private readonly opts: SyncOptions,
  ) {}

  /** A time parameter (s or ms, µs digits allowed); BAD_USER_INPUT when unusable. */
  point(v: unknown, field = 'time'): TimePoint {
    const p = parseTime(v);
    if (!p) throw badInput(`${field} must be a time in seconds or milliseconds`);
    return p;
  }

  private limit(num: number | undefined): number {
    if (num === undefined) return Math.min(100, this.opts.maxPage);
    if (!Number.isInteger(num) || num < 1) throw badInput(`num must be 1-${this.opts.maxPage}`);
    return Math.min(num, this.opts.maxPage);
  }

  /** The seq after which messages are newer than the point (exclusive of it). */
  private async afterSeq(point: TimePoint, inclusive = false): Promise<string> {
    const at = await this.store.locate(point);
    return at.exact && inclusive ? (BigInt(at.seq) - 1n).toString() : at.seq;
  }

  private async beforeSeq(point: TimePoint, inclusive = false): Promise<string> {
    const at = await this.store.locate(point);
    return at.exact && !inclusive ? at.seq : (BigInt(at.seq) + 1n).toString();
  }

  /**
   * The stream position at a time, for "changes since T" reads of other stream-ordered data
   * (group sync): everything committed after T has a larger seq.
   */
  seqAt(ms: number): Promise<string> {
    return this.store.positionAt(Math.max(0, Math.floor(ms)));
  }

  async timed(messages: Message[]): Promise<TimedMessage[]> {
    const ranks = await this.store.ranks(messages);
    return messages.map((m) => ({ message: m, t: formatT(m.createdAt, ranks.get(m.seq) ?? 0) }));
  }

  /** All the viewer's 1:1 (or group) messages newer than `time`, oldest first (gethistory, getmuchistory). */
  async since(viewer: User, kind: 'direct' | 'group', time: unknown, num?: number): Promise<TimedMessage[]> {
    const after = await this.afterSeq(this.point(time));
    return this.timed(await this.store.userMessages(viewer.id, kind, after, this.limit(num)));
  }

  /** getmuchistory with time=-1: in each group, the first message after the viewer's read pointer. */
  async firstUnread(viewer: User): Promise<TimedMessage[]> {
    return this.timed(await this.store.firstUnreadPerGroup(viewer.id));
  }

  /**
   * One conversation's page around a time (getmsgs, getmucmsgs): direction 'older' reads
   * back from the point, 'newer' forward; `include` takes the message exactly at the point.
   * Always returned oldest first.
   */
  async page(
    viewer: User, conversationId: ConversationId, direction: 'older' | 'newer', time: unknown, num: number | undefined, include: boolean,
  ): Promise<TimedMessage[]> {
    const limit = this.limit(num);
    const point = this.point(time);
    const conv = await this.messages.conversationFor(viewer, conversationId);
    const page: PageRequest = direction === 'older'
      ? { beforeSeq: await this.beforeSeq(point, include), limit, from: 'newest' }
      : { afterSeq: await this.afterSeq(point, include), limit, from: 'oldest' };
    const rows = await this.messageStore.history(conv.id, page);
    if (direction === 'older') rows.reverse();
    return this.timed(rows);
  }

  /** Read-state changes of the viewer's 1:1 messages since a time (getreadflag). */
  readChanges(viewer: User, time: unknown, limit = 10_000): Promise<ReadChange[]> {
    return this.store.readChanges(viewer.id, this.point(time).ms, limit);
  }

  /** The viewer's read pointer per group; with `since`, only those that moved after it. */
  async groupReadTimes(viewer: User, since?: unknown) {
    const all = await this.store.groupReadTimes(viewer.id);
    if (since === undefined) return all;
    const from = this.point(since).ms;
    return all.filter((g) => g.changedMs > from);
  }
}
