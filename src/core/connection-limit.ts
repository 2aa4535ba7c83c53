// Long-lived connections one client address may hold at a time, counted across every
// transport that shares the limiter (XMPP over TCP and WebSocket, Startalk's protobuf,
// graphql-ws). Counts are in memory, per process.

export class ConnectionLimiter {
  private readonly byAddress = new Map<string, number>();
  private readonly exempt: ReadonlySet<string>;

  /** max 0 = no limit; exempt: addresses never counted (e.g. a reverse proxy's) */
  constructor(private readonly max: number, exempt: readonly string[] = []) {
    this.exempt = new Set(exempt.map(normalize));
  }

  /** A release function (idempotent), or null when the address already holds `max` connections. */
  acquire(address: string | undefined): (() => void) | null {
    const key = normalize(address ?? '');
    if (this.max === 0 || this.exempt.has(key)) return () => {};
    const n = this.byAddress.get(key) ?? 0;
    if (n >= this.max) return null;
    this.byAddress.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.byAddress.get(key) ?? 1) - 1;
      if (left > 0) this.byAddress.set(key, left);
      else this.byAddress.delete(key);
    };
  }

  count(address: string): number {
    return this.byAddress.get(normalize(address)) ?? 0;
  }
}

/** IPv4 seen through an IPv6 socket (::ffff:1.2.3.4) is the same address as 1.2.3.4. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
