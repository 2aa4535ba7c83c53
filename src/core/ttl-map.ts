// A bounded map whose entries expire: process caches that must not grow without limit
// nor serve stale data for long.
export class TtlMap<K, V> {
  private readonly map = new Map<K, { v: V; at: number }>();

  constructor(private readonly ttlMs: number, private readonly maxSize: number) {}

  get(k: K): V | undefined {
    const e = this.map.get(k);
    if (!e) return undefined;
    if (Date.now() - e.at > this.ttlMs) {
      this.map.delete(k);
      return undefined;
    }
    return e.v;
  }

  set(k: K, v: V): void {
    if (this.map.size >= this.maxSize) this.map.clear();
    this.map.set(k, { v, at: Date.now() });
  }

  delete(k: K): void {
    this.map.delete(k);
  }
}
