// Puts frames from all nodes back into stream order. Each frame covers a contiguous
// range of positions and every position belongs to exactly one frame, so a node can
// release frames strictly in order. A frame that does not come (its node died between
// commit and publish, or the bus dropped it) is given up after waitMs: subscribers are
// told to re-read the durable log from their cursors, where its events are.
import type { Frame } from './types.js';

export class FrameOrder {
  private expect: bigint | null = null;
  private readonly pending = new Map<bigint, Frame>();
  private timer: NodeJS.Timeout | undefined;
  /** frames given up on (each one made every subscriber re-read the log) */
  gaps = 0;

  constructor(
    private readonly deliver: (frame: Frame) => void,
    private readonly onGap: () => void,
    private readonly waitMs: number,
  ) {}

  /** Starts ordering after `position`, the stream's end when this node started. */
  begin(position: bigint): void {
    this.skipTo(position + 1n);
  }

  push(frame: Frame): void {
    const from = BigInt(frame.from);
    if (this.expect !== null && BigInt(frame.to) < this.expect) return; // given up on: it is in the log
    this.pending.set(from, frame);
    if (this.expect !== null) this.release();
  }

  /**
   * The bus lost frames and subscribers re-read the log: stop waiting for anything up to
   * `position` (read after they were told). Frames past it that already came are kept:
   * they may have committed after a subscriber's re-read.
   */
  reset(position: bigint): void {
    this.skipTo(position + 1n);
  }

  private skipTo(next: bigint): void {
    if (this.expect === null || next > this.expect) this.expect = next;
    for (const [from, f] of this.pending) if (BigInt(f.to) < this.expect) this.pending.delete(from);
    this.release();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private release(): void {
    for (let f = this.pending.get(this.expect!); f; f = this.pending.get(this.expect!)) {
      this.pending.delete(this.expect!);
      this.expect = BigInt(f.to) + 1n;
      this.deliver(f);
    }
    if (this.pending.size === 0) {
      this.stop();
    } else {
      this.timer ??= setTimeout(() => this.giveUp(), this.waitMs);
    }
  }

  private giveUp(): void {
    this.timer = undefined;
    if (this.pending.size === 0) return;
    this.gaps++;
    this.onGap();
    this.expect = [...this.pending.keys()].reduce((a, b) => (a < b ? a : b));
    this.release();
  }
}
