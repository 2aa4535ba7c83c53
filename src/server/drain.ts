// Graceful stop of the HTTP side: once draining, no connection takes new work (new
// requests on kept-alive connections get 503 and Connection: close), responses still
// being worked on go out with Connection: close, and the caller can wait for them.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export interface HttpDrain {
  /** true once drain() was called: the request handler refuses (and has already answered) */
  refuse(req: IncomingMessage, res: ServerResponse): boolean;
  /** stop taking work; resolves when the in-flight requests are done or `graceMs` passed */
  drain(graceMs: number): Promise<void>;
}

export function createHttpDrain(server: Server): HttpDrain {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let idle: (() => void) | null = null;

  const closeAfter = (res: ServerResponse) => {
    if (res.headersSent) {
      // a stream already under way (SSE subscriptions): end it, the client reconnects elsewhere
      if (String(res.getHeader('content-type') ?? '').includes('text/event-stream')) res.end();
    } else {
      res.setHeader('connection', 'close');
    }
  };

  return {
    refuse(_req, res) {
      if (draining) {
        res.writeHead(503, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' })
          .end(JSON.stringify({ status: 'shutting down' }));
        return true;
      }
      inFlight.add(res);
      res.once('close', () => {
        inFlight.delete(res);
        if (inFlight.size === 0) idle?.();
      });
      return false;
    },
    async drain(graceMs) {
      draining = true;
      server.close(); // no new connections; the callback would wait for every socket, so it is not awaited
      for (const res of inFlight) closeAfter(res);
      server.closeIdleConnections();
      if (inFlight.size === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        idle = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
    },
  };
}
