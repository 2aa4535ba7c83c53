// Writes made in one tick leave in one writev: the socket is corked until the next tick.
// Shared by XMPP/TCP and Startalk's protobuf transport (both write many small frames per tick).
import type { Socket } from 'node:net';

export interface BatchedWriter {
  write(chunk: string | Uint8Array): void;
  /** sends what is corked now (before TLS takes the socket over) */
  flush(): void;
}

/** `socket()` is read at each write: STARTTLS swaps the socket under the writer. */
export function batchedWriter(socket: () => Socket): BatchedWriter {
  let corked: Socket | null = null;
  const flush = () => {
    const s = corked;
    corked = null;
    s?.uncork();
  };
  return {
    write(chunk) {
      const s = socket();
      if (s.destroyed) return;
      if (!corked) {
        corked = s;
        s.cork();
        process.nextTick(flush);
      }
      s.write(chunk);
    },
    flush,
  };
}
