// One live subscription: replays the durable log from its cursor, then takes live
// events from a bounded buffer, skipping anything at or below what it already gave.
// A slow consumer that overflows the buffer, or a bus that may have dropped events,
// sends it back to the log; so memory stays bounded and nothing is lost.
import type { UserId } from '../accounts/types.js';
import { isAppError } from '../errors.js';
import type { EventLog } from './ports.js';
import type { DomainEvent } from './types.js';

const TYPING_TTL_MS = 10_000;
/** a log read that failed because the database is unavailable is tried again after this */
const RETRY_READ_MS = 1000;

export interface SubscriptionOptions {
  /** live events buffered before falling back to the log */
  queueLimit: number;
  /** events per log read while catching up */
  pageSize: number;
}

export class Subscription implements AsyncIterableIterator<DomainEvent> {
  private cursor: bigint | null;
  private needsCatchUp: boolean;
  private buffer: DomainEvent[] = [];
  private replay: DomainEvent[] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly userId: UserId,
    since: string | null,
    readonly sessionId: string,
    private readonly log: EventLog,
    private readonly opts: SubscriptionOptions,
    private readonly hooks: { onClose: () => void; onOverflow: () => void },
    private readonly only?: (e: DomainEvent) => boolean,
  ) {
    this.cursor = since === null ? null : BigInt(since);
    this.needsCatchUp = since !== null;
  }

  push(ev: DomainEvent): void {
    if (this.closed || (this.only && !this.only(ev))) return;
    if (this.buffer.length >= this.opts.queueLimit) {
      // Slow consumer: drop the buffer and re-read from the log when it asks again.
      this.buffer = [];
      this.needsCatchUp = true;
      this.hooks.onOverflow();
    } else {
      this.buffer.push(ev);
    }
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Ends the subscription when its session expires. */
  closeAt(when: Date): void {
    const ms = Math.min(when.getTime() - Date.now(), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.close(), Math.max(ms, 0));
    this.timer.unref();
  }

  resync(): void {
    if (this.cursor === null) return; // not started: its first read sets the cursor
    this.needsCatchUp = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async next(): Promise<IteratorResult<DomainEvent>> {
    if (this.cursor === null) this.cursor = BigInt(await this.log.currentPosition());
    while (!this.closed) {
      const ev = this.replay.shift() ?? (this.needsCatchUp ? undefined : this.takeBuffered());
      if (ev) {
        this.cursor = BigInt(ev.seq);
        return { value: ev, done: false };
      }
      if (this.needsCatchUp) {
        this.needsCatchUp = false; // an overflow during the read sets it again
        let page: DomainEvent[];
        try {
          page = await this.log.eventsAfter(this.userId, this.cursor.toString(), this.opts.pageSize);
        } catch (err) {
          // The database is away for a moment: the subscriber waits for it, it is not ended.
          if (!isAppError(err) || err.code !== 'UNAVAILABLE') throw err;
          this.needsCatchUp = true;
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, RETRY_READ_MS);
            this.wake = () => (clearTimeout(t), resolve());
          });
          continue;
        }
        if (page.length >= this.opts.pageSize) this.needsCatchUp = true;
        const from = this.cursor;
        this.replay = page.filter((e) => BigInt(e.seq) > from && (!this.only || this.only(e)));
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return { value: undefined, done: true };
  }

  private takeBuffered(): DomainEvent | undefined {
    while (this.buffer.length) {
      const ev = this.buffer.shift()!;
      if (ev.kind === 'presence' || ev.kind === 'notify') return { ...ev, seq: this.cursor!.toString() };
      if (ev.kind === 'typing') {
        // Ephemeral: stamped with the current cursor (resuming from it stays exact); stale ones dropped.
        if (Date.now() - ev.at < TYPING_TTL_MS) return { ...ev, seq: this.cursor!.toString() };
      } else if (BigInt(ev.seq) > this.cursor!) {
        return ev;
      }
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.buffer = [];
    this.replay = [];
    this.hooks.onClose();
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async return(): Promise<IteratorResult<DomainEvent>> {
    this.close();
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<DomainEvent>> {
    this.close();
    throw err;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<DomainEvent> {
    return this;
  }
}
