// In-process token buckets keyed by an arbitrary string (per sender, per login name).
// Bounded: at most maxKeys buckets; the least recently used one makes room (lru-cache), so
// a flood of distinct keys cannot grow memory nor reset the buckets that are being hammered.
import { LRUCache } from 'lru-cache';

export class RateLimiter {
  private readonly buckets: LRUCache<string, { tokens: number; at: number }>;

  /** ratePerSec tokens refill per second, up to burst. */
  constructor(private readonly ratePerSec: number, private readonly burst: number, maxKeys = 100_000) {
    this.buckets = new LRUCache({ max: maxKeys });
  }

  /** The ms to wait before a token is available (0 = one is), without taking it. */
  peek(key: string, now = Date.now()): number {
    const b = this.buckets.peek(key);
    if (this.ratePerSec <= 0 || !b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.ratePerSec) * 1000);
  }

  /** Takes one token; returns 0 when allowed, else the ms to wait. */
  take(key: string, now = Date.now()): number {
    if (this.ratePerSec <= 0) return 0; // disabled
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: this.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.ratePerSec) * 1000);
  }
}

/** One token bucket (no keys): for per-connection limits, where a Map per limiter would cost memory. */
export class TokenBucket {
  private tokens: number;
  private at = Date.now();

  /** ratePerSec tokens refill per second, up to burst; a rate of 0 disables the limit. */
  constructor(private readonly ratePerSec: number, private readonly burst: number) {
    this.tokens = burst;
  }

  /** Takes one token; returns 0 when allowed, else the ms to wait. */
  take(now = Date.now()): number {
    if (this.ratePerSec <= 0) return 0;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.ratePerSec);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }
}
