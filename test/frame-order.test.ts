// Frames from several nodes are released in stream order; a missing one is given up on.
import { describe, expect, it } from 'vitest';
import { FrameOrder } from '../src/core/events/frame-order.js';
import type { Frame } from '../src/core/events/types.js';
import { sleep } from './helpers/app.js';

const f = (from: number, to = from): Frame => ({ from: String(from), to: String(to), items: [] });

function harness(waitMs = 50) {
  const out: string[] = [];
  let gaps = 0;
  const order = new FrameOrder((fr) => out.push(`${fr.from}-${fr.to}`), () => gaps++, waitMs);
  return { order, out, gaps: () => gaps };
}

describe('FrameOrder', () => {
  it('releases in position order whatever the arrival order', () => {
    const h = harness();
    h.order.begin(10n);
    h.order.push(f(14, 15));
    h.order.push(f(12, 13));
    expect(h.out).toEqual([]);
    h.order.push(f(11));
    expect(h.out).toEqual(['11-11', '12-13', '14-15']);
    h.order.stop();
  });

  it('holds frames that arrive before it knows where the stream ends, and drops old ones', () => {
    const h = harness();
    h.order.push(f(5));
    h.order.push(f(12));
    h.order.push(f(11));
    h.order.begin(10n);
    expect(h.out).toEqual(['11-11', '12-12']);
    h.order.push(f(3)); // committed before this node started: in the log already
    expect(h.out).toEqual(['11-11', '12-12']);
    h.order.stop();
  });

  it('gives up on a missing frame after the wait, signals a gap, and goes on', async () => {
    const h = harness(30);
    h.order.begin(0n);
    h.order.push(f(1));
    h.order.push(f(3));
    h.order.push(f(4));
    expect(h.out).toEqual(['1-1']);
    await sleep(80);
    expect(h.gaps()).toBe(1);
    expect(h.out).toEqual(['1-1', '3-3', '4-4']);
    h.order.push(f(2)); // too late: dropped (subscribers re-read it from the log)
    expect(h.out).toEqual(['1-1', '3-3', '4-4']);
    h.order.push(f(5));
    expect(h.out.at(-1)).toBe('5-5');
    h.order.stop();
  });
});
