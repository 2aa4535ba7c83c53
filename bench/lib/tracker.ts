// Bookkeeping for one load phase: every send (keyed by its msgId, which is also the
// prefix of its body) and every delivery at a receiver, so the phase can check that each
// receiver got each persisted message exactly once, and compute rates and latencies.
import type { AddedMessage } from './gql.js';

interface Sent {
  to: number;
  intended: number; // when the open-loop schedule wanted it sent (= start in closed loop)
  start: number;
  done?: number; // sendMessage returned
  id?: string; // server id returned by sendMessage
  failed?: string;
  deliveredAt?: number;
  deliveredId?: string;
  deliveries: number;
}

export class Tracker {
  readonly sent = new Map<string, Sent>();
  readonly errors = new Map<string, number>();
  /** deliveries of keys not sent in this phase, or to the wrong receiver */
  unexpected = 0;
  delivered = 0;
  duplicates = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly prefix: string) {}

  start(key: string, to: number, intended = performance.now()): void {
    this.sent.set(key, { to, intended, start: performance.now(), deliveries: 0 });
  }

  ok(key: string, id: string): void {
    const s = this.sent.get(key)!;
    s.done = performance.now();
    s.id = id;
  }

  fail(key: string, err: unknown): void {
    const s = this.sent.get(key)!;
    s.done = performance.now();
    const e = err as { code?: string; message?: string };
    s.failed = `${e.code ?? 'ERROR'}: ${String(e.message ?? err).slice(0, 120)}`;
    this.errors.set(s.failed, (this.errors.get(s.failed) ?? 0) + 1);
  }

  /** Called by receiver `rx` for every MessageAddedEvent; returns false if not ours. */
  deliver(rx: number, m: AddedMessage): boolean {
    const key = m.body.slice(0, m.body.indexOf('|'));
    if (key.slice(0, key.indexOf('.')) !== this.prefix) return false;
    const s = this.sent.get(key);
    if (!s || s.to !== rx) {
      this.unexpected++;
      return true;
    }
    s.deliveries++;
    if (s.deliveries > 1) {
      this.duplicates++;
    } else {
      s.deliveredAt = performance.now();
      s.deliveredId = m.id;
      this.delivered++;
    }
    if (this.waiters.length) for (const w of this.waiters.splice(0)) w();
    return true;
  }

  /** Waits until every successfully sent message was delivered, or the timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.pendingDeliveries() > 0 && performance.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
    return this.pendingDeliveries() === 0;
  }

  pendingDeliveries(): number {
    let n = 0;
    for (const s of this.sent.values()) if (s.id !== undefined && s.deliveries === 0) n++;
    return n;
  }

  /** Exactly-once check over the whole phase. */
  verify() {
    let persisted = 0, failed = 0, inFlight = 0, missing = 0, idMismatch = 0, deliveredButFailed = 0;
    for (const s of this.sent.values()) {
      if (s.id !== undefined) {
        persisted++;
        if (s.deliveries === 0) missing++;
        else if (s.deliveredId !== s.id) idMismatch++;
      } else if (s.failed) {
        failed++;
        if (s.deliveries > 0) deliveredButFailed++; // send reported an error but it was stored
      } else inFlight++;
    }
    return {
      sent: this.sent.size, persisted, failed, inFlight, delivered: this.delivered,
      missing, duplicates: this.duplicates, unexpected: this.unexpected, idMismatch, deliveredButFailed,
      exactlyOnce: missing === 0 && this.duplicates === 0 && this.unexpected === 0 && idMismatch === 0,
      errors: Object.fromEntries(this.errors),
    };
  }

  /** Completed sends and deliveries whose time falls in [from, to) (performance.now() ms). */
  countIn(from: number, to: number): { persisted: number; delivered: number } {
    let persisted = 0, delivered = 0;
    for (const s of this.sent.values()) {
      if (s.id !== undefined && s.done! >= from && s.done! < to) persisted++;
      if (s.deliveredAt !== undefined && s.deliveredAt >= from && s.deliveredAt < to) delivered++;
    }
    return { persisted, delivered };
  }

  /** Deliveries per second, second by second from `from` (to spot stalls and drift). */
  timeline(from: number, to: number): number[] {
    const out = new Array<number>(Math.round((to - from) / 1000)).fill(0);
    for (const s of this.sent.values()) {
      const at = s.deliveredAt;
      if (at !== undefined && at >= from && at < to) out[Math.min(out.length - 1, Math.floor((at - from) / 1000))]!++;
    }
    return out;
  }

  /** Messages intended in [from, to) whose send->deliver took over `ms` (or never arrived). */
  slow(from: number, to: number, ms: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    for (const s of this.sent.values()) {
      if (s.intended < from || s.intended >= to) continue;
      const end = s.deliveredAt ?? Infinity;
      if (end - s.start > ms) out.push({ start: s.start, end });
    }
    return out;
  }

  /** Latencies (ms) of messages intended to start in [from, to). */
  latencies(from: number, to: number) {
    const fromStart: number[] = [], fromIntended: number[] = [], ack: number[] = [];
    for (const s of this.sent.values()) {
      if (s.intended < from || s.intended >= to) continue;
      if (s.id !== undefined) ack.push(s.done! - s.start);
      if (s.deliveredAt === undefined) continue;
      fromStart.push(s.deliveredAt - s.start);
      fromIntended.push(s.deliveredAt - s.intended);
    }
    return { fromStart, fromIntended, ack };
  }
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(xs: number[]) {
  const r = (v: number) => Math.round(v * 100) / 100;
  return { n: xs.length, p50: r(percentile(xs, 50)), p90: r(percentile(xs, 90)), p99: r(percentile(xs, 99)), max: r(percentile(xs, 100)) };
}
