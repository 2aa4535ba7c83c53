// Startalk clients page history by time `t` (../shared/startalk/PROTOCOL.md §6.2): float
// seconds with µs digits, or ms, or s. Several messages can share a millisecond, so the
// three µs digits carry the message's rank within its millisecond (the stream writer keeps
// at most MAX_PER_MS messages per ms and never lets time go backwards in seq order):
//   t(m) = created_at_ms / 1000 + (rank + 1) / 1e6
// and a time given without µs digits (r = 0) sits before every message of its millisecond.
// A page boundary then never drops or repeats a message.

export const MAX_PER_MS = 999;

/** A point on the time line: a millisecond and the µs slot in it (0 = before its messages). */
export interface TimePoint {
  ms: number;
  r: number;
}

/**
 * Seconds or milliseconds (COMPAT: values >= 1e12 are ms), number or numeric string;
 * null when absent or not a time. Negative values are null (callers give -1 its meaning).
 */
export function parseTime(v: unknown): TimePoint | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1e16) return null;
  const us = n >= 1e12 ? Math.round(n * 1e3) : Math.round(n * 1e6);
  return { ms: Math.floor(us / 1000), r: us % 1000 };
}

/** `t` of a message: float seconds whose µs digits are its rank in its millisecond, plus one. */
export function formatT(createdAtMs: number, rank: number): number {
  return (createdAtMs * 1000 + Math.min(rank, MAX_PER_MS - 1) + 1) / 1e6;
}
