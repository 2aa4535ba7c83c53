// A TCP proxy a test can "freeze": bytes stop flowing but every connection stays open,
// as in a network partition or a SIGSTOPped server. Cheap, and it never touches the
// machine's shared PostgreSQL or Redis (they only lose a forwarder).
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FreezeProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** no bytes either way; new connections are accepted and left waiting */
  private frozen = false;
  /** replies (server -> client) held back; requests still go through */
  private repliesFrozen = false;
  private freezeRepliesAfter_: { first: string; then: string } | undefined;
  private readonly held: (() => void)[] = [];
  port = 0;

  constructor(private readonly upstreamHost: string, private readonly upstreamPort: number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Stops all traffic (existing and new connections stay open). */
  freeze(): void {
    this.frozen = true;
  }

  /**
   * On the first connection that sends `first` and then `then` (an INSERT, then its COMMIT),
   * the request with `then` goes through and from there on every reply is held: the server
   * did the work, the client never hears of it.
   */
  freezeRepliesAfter(first: string, then: string): void {
    this.freezeRepliesAfter_ = { first, then };
  }

  thaw(): void {
    this.frozen = false;
    this.repliesFrozen = false;
    this.freezeRepliesAfter_ = undefined;
    for (const go of this.held.splice(0)) go();
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const done = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    let armed = false;
    client.on('data', (chunk: Buffer) => {
      const trap = this.freezeRepliesAfter_;
      if (trap && !this.frozen) {
        if (chunk.includes(trap.first)) armed = true;
        else if (armed && chunk.includes(trap.then)) this.repliesFrozen = true;
      }
      this.forward(upstream, chunk, () => this.frozen);
    });
    upstream.on('data', (chunk: Buffer) => this.forward(client, chunk, () => this.frozen || this.repliesFrozen));
  }

  /** In order: once one chunk is held, later chunks of the same direction queue behind it. */
  private forward(to: Socket, chunk: Buffer, stopped: () => boolean): void {
    const queue = ((to as Socket & { heldChunks?: Buffer[] }).heldChunks ??= []);
    if (stopped() || queue.length) {
      queue.push(chunk);
      if (queue.length === 1) {
        this.held.push(() => {
          for (const c of queue.splice(0)) if (!to.destroyed) to.write(c);
        });
      }
      return;
    }
    if (!to.destroyed) to.write(chunk);
  }
}
