// Waiting in tests: one polling loop instead of a hand-written `until = Date.now() + …` per file.
import { sleep } from './app.js';

export interface EventuallyOptions {
  /** how long to keep trying (ms); on a loaded machine prefer generous values */
  timeoutMs?: number;
  /** pause between tries (ms) */
  intervalMs?: number;
  /** what is awaited, for the failure message */
  what?: string | (() => string);
}

/**
 * Retries `fn` until it holds, and returns what it returned. `fn` holds when it neither throws
 * nor returns false, null or undefined; so it can be a predicate or a block of `expect`s.
 * Once `timeoutMs` has passed it tries a last time, then fails with `what` and the last error.
 */
export async function eventually<T>(fn: () => T | Promise<T>, o: EventuallyOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const { timeoutMs = 5000, intervalMs = 20, what = 'a condition' } = o;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const last = Date.now() >= until;
    let failure: unknown;
    try {
      const v = await fn();
      if (v !== false && v !== null && v !== undefined) return v as Exclude<T, false | null | undefined>;
      failure = `it returned ${String(v)}`;
    } catch (e) {
      failure = e;
    }
    if (last) {
      const detail = failure instanceof Error ? failure.message : String(failure);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}: ${detail}`, { cause: failure });
    }
    await sleep(intervalMs);
  }
}
