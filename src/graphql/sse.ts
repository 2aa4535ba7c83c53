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

export function useSingleConnectionSSE(
  endpoint: string,
  prepare: (params: OperationParams, serverContext: Record<string, unknown>) => Promise<Prepared | GraphQLError[]>,
  maskError: (e: unknown) => Error,
  /** whether the request carries a valid token (a reservation holds memory until its stream ends) */
  signedIn: (req: Request) => Promise<boolean>,
): Plugin {
  const handler = createHandler({
    // A stream's token is the capability to read what its operations produce: reservations
    // need a signed-in caller and get an unguessable token of ours, never one the caller names.
    authenticate: async (req) => {
      if (req.method === 'PUT') {
        if (!(await signedIn(req.raw))) return ['a valid Authorization header is required', { status: 401, statusText: 'Unauthorized' }];
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
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== endpoint) return;
      const m = request.method;
      const token = request.headers.get(TOKEN_HEADER) ?? url.searchParams.get('token');
      if (m === 'PUT' || m === 'DELETE' || (token && (m === 'GET' || m === 'POST'))) return handler(request).then(endResponse);
    },
  };
}
