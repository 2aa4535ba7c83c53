// One CORS policy for every HTTP route (GraphQL, uploads and downloads, the legacy API), so a
// browser app on another origin can call all of them. CORS_ORIGINS: '*' answers any origin
// without credentials (our tokens travel in headers, so nothing is lost; cookies such as
// q_ckey are then not sent cross-origin); a list answers only those origins, with credentials.
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';

export function createCors(origins: '*' | string[]) {
  const middleware = cors({
    origin: origins === '*' ? '*' : origins,
    credentials: origins !== '*',
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    // reflect the requested headers (authorization, content-type, x-graphql-event-stream-token, …)
    exposedHeaders: ['content-length', 'content-range', 'accept-ranges', 'etag', 'x-qfproxy-code'],
    maxAge: 600,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  /** Sets the headers; true when the request was a preflight and has been answered. */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    let next = false;
    middleware(req as never, res as never, () => (next = true));
    return !next;
  };
}
