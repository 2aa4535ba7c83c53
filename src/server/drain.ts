// Graceful stop of the HTTP side: once draining, no connection takes new work (new
// requests on kept-alive connections get 503 and Connection: close), responses still
// being worked on go out with Connection: close, and the caller can wait for them.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface HttpDrain {
  /** true once drain() was called: the request handler refuses (and has already answered) */
  refuse(req: IncomingMessage, res: ServerResponse): boolean;
  /**
   * Stop taking work; resolves when the requests in flight are done and every kept-alive
   * connection has closed or stayed silent for LINGER_MS, or when `graceMs` passed.
   */
  drain(graceMs: number): Promise<void>;
}

/** a kept-alive client this quiet is not about to send: its connection may be cut */
const LINGER_MS = 250;

export function createHttpDrain(server: Server): HttpDrain {
  const inFlight = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  let draining = false;
  let lastRequest = 0;

  const closeAfter = (res: ServerResponse) => {
    if (res.headersSent) {
      // a stream already under way (SSE subscriptions): end it, the client reconnects elsewhere
      if (String(res.getHeader('content-type') ?? '').includes('text/event-stream')) res.end();
    } else {
      res.setHeader('connection', 'close');
    }
  };

  return {
    refuse(req, res) {
      lastRequest = Date.now();
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      if (!draining) return false;
      // Read the body first: closing with unread bytes resets the connection, and the client
      // could lose the 503 that tells it nothing was done.
      const answer = () => {
        if (res.headersSent) return;
        res.writeHead(503, { 'content-type': 'application/json', connection: 'close', 'retry-after': '1' })
          .end(JSON.stringify({ status: 'shutting down' }));
      };
      if (req.complete) answer();
      else req.once('end', answer).once('error', () => res.destroy()).resume();
      return true;
    },
    async drain(graceMs) {
      draining = true;
      lastRequest = Date.now();
      // No new connections. Not http.Server#close: it also cuts idle kept-alive connections at
      // once, racing a request their client may be sending (ECONNRESET, nothing known of the
      // request). Left open a moment, such a request gets a clean 503; the caller cuts the rest.
      NetServer.prototype.close.call(server);
      for (const res of inFlight) closeAfter(res);
      const until = Date.now() + graceMs;
      while (Date.now() < until) {
        if (inFlight.size === 0 && (sockets.size === 0 || Date.now() - lastRequest >= LINGER_MS)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
