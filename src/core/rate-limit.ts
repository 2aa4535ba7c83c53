// In-process token buckets keyed by an arbitrary string (per sender, per login name).
// Bounded: idle buckets are swept so a flood of distinct keys cannot grow memory forever.

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly maxKeys: number;

  /** ratePerSec tokens refill per second, up to burst. */
  constructor(private readonly ratePerSec: number, private readonly burst: number, maxKeys = 100_000) {
    this.maxKeys = maxKeys;
  }

  /** The ms to wait before a token is available (0 = one is), without taking it. */
  peek(key: string, now = Date.now()): number {
    const b = this.buckets.get(key);
    if (this.ratePerSec <= 0 || !b) return 0;
    const tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerSec);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.ratePerSec) * 1000);
  }

  /** Takes one token; returns 0 when allowed, else the ms to wait. */
  take(key: string, now = Date.now()): number {
    if (this.ratePerSec <= 0) return 0; // disabled
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
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

  private sweep(now: number): void {
    const fullAfterMs = (this.burst / this.ratePerSec) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at > fullAfterMs) this.buckets.delete(k);
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
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
