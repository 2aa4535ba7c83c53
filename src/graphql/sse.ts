// graphql-sse's single-connection mode on /graphql (PUT reserves a stream, GET with the token
// listens, POST with the token starts operations, DELETE stops one), beside yoga's own
// distinct-connections SSE (POST with Accept: text/event-stream). Operations go through the
// same preparation as graphql-ws: trusted documents, limits, validation, context.
import { randomUUID } from 'node:crypto';
import { getOperationAST, type ExecutionResult, type GraphQLError } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/fetch';
import type { Plugin } from 'graphql-yoga';
import type { OperationParams, Prepared } from './operation.js';

const TOKEN_HEADER = 'x-graphql-event-stream-token';

/** Reserved streams that no GET has opened yet, per principal: each holds memory until opened. */
export const MAX_PENDING_RESERVATIONS = 5;
/** A reservation not opened within this time is dropped (graphql-sse's client opens at once). */
export const RESERVATION_TTL_MS = 30_000;

export function useSingleConnectionSSE(
  endpoint: string,
  prepare: (params: OperationParams, serverContext: Record<string, unknown>) => Promise<Prepared | GraphQLError[]>,
  maskError: (e: unknown) => Error,
  /** who the request's token belongs to (user or API key), or null for none or an invalid one */
  principal: (req: Request) => Promise<string | null>,
  reservationTtlMs = RESERVATION_TTL_MS,
): Plugin {
  // graphql-sse keeps a reserved stream until a GET opens it, and buffers what its operations
  // produce meanwhile: bound how many a principal may hold unopened, and drop the unopened late.
  const pending = new Map<string, { owner: string; timer: NodeJS.Timeout }>();
  const pendingOf = new Map<string, number>();
  const settle = (token: string) => {
    const r = pending.get(token);
    if (!r) return undefined;
    clearTimeout(r.timer);
    pending.delete(token);
    const n = (pendingOf.get(r.owner) ?? 1) - 1;
    if (n > 0) pendingOf.set(r.owner, n);
    else pendingOf.delete(r.owner);
    return r;
  };
  const ownerOf = new WeakMap<Request, string>();
  const handler = createHandler({
    // A stream's token is the capability to read what its operations produce: reservations
    // need a signed-in caller and get an unguessable token of ours, never one the caller names.
    authenticate: async (req) => {
      if (req.method === 'PUT') {
        const owner = await principal(req.raw);
        if (!owner) return ['a valid Authorization header is required', { status: 401, statusText: 'Unauthorized' }];
        if ((pendingOf.get(owner) ?? 0) >= MAX_PENDING_RESERVATIONS) {
          return ['too many reserved streams not yet opened', { status: 429, statusText: 'Too Many Requests' }];
        }
        ownerOf.set(req.raw, owner);
        return randomUUID();
      }
      return req.raw.headers.get(TOKEN_HEADER) ?? new URL(req.raw.url).searchParams.get('token');
    },
    onSubscribe: async (req, params) => {
      const p = await prepare(params as OperationParams, { request: req.raw });
      if (Array.isArray(p)) return { errors: p };
      const op = getOperationAST(p.args.document, p.args.operationName);
      return (op?.operation === 'subscription' ? p.subscribe(p.args) : p.execute(p.args)) as never;
    },
    onNext: (_ctx, _req, result) => {
      const r = result as ExecutionResult;
      return r.errors ? { ...r, errors: r.errors.map((e) => maskError(e) as GraphQLError) } : r;
    },
  });
  /** Ends an unopened reservation through graphql-sse's own path: open it, then cancel at once. */
  const expire = async (token: string) => {
    if (!settle(token)) return;
    const res = await handler(new Request(`http://local${endpoint}`, { headers: { accept: 'text/event-stream', [TOKEN_HEADER]: token } }));
    await res.body?.cancel().catch(() => {});
  };
  const reserve = async (request: Request): Promise<Response> => {
    const res = await handler(request);
    const owner = ownerOf.get(request);
    if (res.status === 201 && owner) {
      const token = await res.clone().text();
      const timer = setTimeout(() => void expire(token).catch(() => {}), reservationTtlMs);
      timer.unref();
      pending.set(token, { owner, timer });
      pendingOf.set(owner, (pendingOf.get(owner) ?? 0) + 1);
    }
    return res;
  };
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint) return;
      const m = request.method;
      const token = request.headers.get(TOKEN_HEADER) ?? url.searchParams.get('token');
      if (m === 'PUT') return reserve(request).then(endResponse);
      if (m === 'GET' && token && request.headers.get('accept') === 'text/event-stream') settle(token);
      if (m === 'DELETE' || (token && (m === 'GET' || m === 'POST'))) return handler(request).then(endResponse);
    },
  };
}
