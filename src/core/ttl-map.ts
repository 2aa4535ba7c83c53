// A bounded map whose entries expire: process caches that must not grow without limit
// nor serve stale data for long. Least-recently-used entries make room (lru-cache), so
// filling the map with junk keys evicts the oldest entries, never all of them at once.
import { LRUCache } from 'lru-cache';

export class TtlMap<K extends {}, V extends {}> {
  private readonly cache: LRUCache<K, V>;

  constructor(ttlMs: number, maxSize: number) {
    this.cache = new LRUCache<K, V>({ max: maxSize, ttl: ttlMs, ttlAutopurge: false });
  }

  get(k: K): V | undefined {
    return this.cache.get(k);
  }

  set(k: K, v: V): void {
    this.cache.set(k, v);
  }

  delete(k: K): void {
    this.cache.delete(k);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(match: (v: V) => boolean): void {
    const doomed: K[] = [];
    for (const [k, v] of this.cache.entries()) if (match(v)) doomed.push(k);
    for (const k of doomed) this.cache.delete(k);
  }

  clear(): void {
    this.cache.clear();
  }
}
