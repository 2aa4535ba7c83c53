// Local delivery of live events with resume: each node keeps its own subscribers and
// takes every envelope from the bus once; a subscription replays the durable log from
// its cursor, then continues live, skipping anything at or below what it already gave.
import type { UserId } from '../accounts/types.js';
import type { Bus, EventLog } from './ports.js';
import { rateLimited } from '../errors.js';
import { FrameOrder } from './frame-order.js';
import { Subscription } from './subscription.js';
import type { Announced, DomainEvent, Envelope, Frame } from './types.js';

export interface HubOptions {
  /** live events buffered per subscription before it falls back to reading the log */
  queueLimit: number;
  /** events per log read while catching up */
  pageSize: number;
  /** live subscriptions per user on one node */
  maxPerUser: number;
  /** how long to wait for a missing frame before re-reading the log */
  frameWaitMs: number;
}

/** Who holds a subscription: it ends when that session is revoked or expires. */
export interface SubscriberSession {
  sessionId: string;
  expiresAt: Date;
}

export class EventHub {
  private readonly local = new Map<UserId, Set<Subscription>>();
  /** times a subscription's live buffer overflowed and it fell back to the log */
  readonly stats = { overflows: 0 };
  private unsubscribe: (() => void) | null = null;
  private readonly order: FrameOrder;

  constructor(private readonly bus: Bus, private readonly log: EventLog, private readonly opts: HubOptions) {
    this.order = new FrameOrder((f) => this.deliver(f), () => this.resyncAll(), opts.frameWaitMs);
  }

  /** frames given up on since start */
  get gaps(): number {
    return this.order.gaps;
  }

  async start(): Promise<void> {
    if (this.unsubscribe) return;
    // Subscribe first, then read the stream's end: frames in between are held, not lost.
    this.unsubscribe = this.bus.subscribe(
      (env) => this.dispatch(env),
      () => void this.onBusResync(),
    );
    this.order.begin(BigInt(await this.log.currentPosition()));
  }

  private async onBusResync(): Promise<void> {
    this.resyncAll();
    try {
      this.order.reset(BigInt(await this.log.currentPosition()));
    } catch {
      // database down too: frames keep flowing; a later gap or resync catches up
    }
  }

  stop(): void {
    this.order.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    for (const subs of this.local.values()) for (const s of subs) s.close();
    this.local.clear();
  }

  /** The last position of the durable stream. */
  position(): Promise<string> {
    return this.log.currentPosition();
  }

  /** Live subscriptions on this node. */
  get size(): number {
    let n = 0;
    for (const subs of this.local.values()) n += subs.size;
    return n;
  }

  /**
   * Everything the user may see after `since` (a seq), or from now when since is null;
   * `only` keeps the events it accepts (live and replayed alike).
   */
  subscribe(
    userId: UserId, since: string | null, session: SubscriberSession, only?: (e: DomainEvent) => boolean,
  ): AsyncIterableIterator<DomainEvent> {
    let set = this.local.get(userId);
    if (set && set.size >= this.opts.maxPerUser) {
      throw rateLimited(`at most ${this.opts.maxPerUser} live subscriptions per user`, 1000);
    }
    const sub = new Subscription(userId, since, session.sessionId, this.log, this.opts, {
      onClose: () => this.remove(userId, sub),
      onOverflow: () => this.stats.overflows++,
    }, only);
    if (!set) this.local.set(userId, (set = new Set()));
    set.add(sub);
    sub.closeAt(session.expiresAt);
    return sub;
  }

  private remove(userId: UserId, sub: Subscription): void {
    const set = this.local.get(userId);
    if (!set) return;
    set.delete(sub);
    if (set.size === 0) this.local.delete(userId);
  }

  /** The bus may have dropped envelopes: every subscription re-reads the log from its cursor. */
  private resyncAll(): void {
    for (const subs of this.local.values()) for (const s of subs) s.resync();
  }

  private dispatch(env: Envelope): void {
    if (env.frame) return this.order.push(env.frame);
    if (env.ephemeral) return this.deliverOne(env.ephemeral);
    if (!env.revoke) return;
    const { userId, sessionId, exceptSessionId } = env.revoke;
    for (const s of [...(this.local.get(userId) ?? [])]) {
      if ((sessionId === undefined || s.sessionId === sessionId) && s.sessionId !== exceptSessionId) s.close();
    }
  }

  private deliver(frame: Frame): void {
    for (const item of frame.items) this.deliverOne(item);
  }

  private deliverOne({ event, recipients }: Announced): void {
    for (const r of recipients) {
      const set = this.local.get(r);
      if (set) for (const s of set) s.push(event);
    }
  }
}
