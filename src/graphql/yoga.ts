// The GraphQL edge: yoga over HTTP (incl. SSE subscriptions) and graphql-ws over WebSocket,
// sharing one schema, one context factory, one set of limits and one error mask.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { AuthSession } from '../core/accounts/types.js';
import { isApiKeyToken } from '../core/admin/api-keys.js';
import type { ApiKeyInfo } from '../core/admin/scopes.js';
import type { Core } from '../core/index.js';
import type { Context } from './builder.js';
import { createMaskError } from './errors.js';
import { schema } from './schema/index.js';
import { sharedSubscribe } from './shared-subscribe.js';

export interface GraphQLLimits {
  maxRequestBytes: number;
  maxQueryDepth: number;
  maxQueryCost: number;
  maxAliases: number;
  maxTokens: number;
  maxWsConnections: number;
}

export interface GraphQLEdgeOptions {
  core: Core;
  limits: GraphQLLimits;
  graphiql: boolean;
  logError: (err: unknown) => void;
}

const bearer = (v: unknown) => (typeof v === 'string' ? v.replace(/^Bearer\s+/i, '').trim() : null);

type Auth = { session: AuthSession | null; apiKey: ApiKeyInfo | null };

/** A user token or an API key ("stk_…"); an unknown token of either kind is null. */
async function authenticate(core: Core, token: string | null): Promise<Auth | null> {
  if (!token) return null;
  if (isApiKeyToken(token)) {
    const apiKey = await core.apiKeys.authenticate(token);
    return apiKey ? { session: null, apiKey } : null;
  }
  const session = await core.accounts.authenticate(token);
  return session ? { session, apiKey: null } : null;
}

export function createGraphQLEdge(opts: GraphQLEdgeOptions) {
  const { core, limits } = opts;
  const maskError = createMaskError(opts.logError);
  const armor: Plugin[] = [
    maxDepthPlugin({ n: limits.maxQueryDepth, ignoreIntrospection: true, exposeLimits: true }),
    costLimitPlugin({ maxCost: limits.maxQueryCost, ignoreIntrospection: true, exposeLimits: true }),
    maxAliasesPlugin({ n: limits.maxAliases, exposeLimits: true }),
    maxTokensPlugin({ n: limits.maxTokens, exposeLimits: true }),
  ] as Plugin[];

  const yoga = createYoga<{ session?: AuthSession | null; apiKey?: ApiKeyInfo | null }, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: opts.graphiql ? { title: 'Startalk Next', subscriptionsProtocol: 'WS' } : false,
    maskedErrors: { maskError: (e) => maskError(e) },
    logging: false,
    plugins: [...armor, useBodyLimit(limits.maxRequestBytes)],
    context: async (init) => {
      const req = (init as { request?: Request }).request;
      const auth = init.session !== undefined
        ? { session: init.session, apiKey: init.apiKey ?? null }
        : await authenticate(core, bearer(req?.headers.get('authorization')));
      return { core, session: auth?.session ?? null, apiKey: auth?.apiKey ?? null, userAgent: req?.headers.get('user-agent') ?? null };
    },
  });

  /** graphql-ws on the HTTP server's /graphql path (the server routes upgrades by path). */
  function attachWebSocket() {
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxRequestBytes });
    wss.on('connection', (socket) => {
      if (wss.clients.size > limits.maxWsConnections) socket.close(1013, 'too many connections');
    });
    const disposable = useServer<Record<string, unknown>, { session?: AuthSession | null; apiKey?: ApiKeyInfo | null; token?: string }>(
      {
        onConnect: async (ctx) => {
          const params = ctx.connectionParams ?? {};
          const token = bearer(params.authorization ?? params.Authorization ?? params.token);
          if (!token) {
            ctx.extra.session = null;
            ctx.extra.apiKey = null;
            return true;
          }
          const auth = await authenticate(core, token);
          if (!auth) return false; // closes with 4403 Forbidden
          ctx.extra.token = token;
          ctx.extra.session = auth.session;
          ctx.extra.apiKey = auth.apiKey;
          return true;
        },
        onSubscribe: async (ctx, _id, payload) => {
          if (ctx.extra.token) {
            // Each operation re-checks the connection's token (cached): a revoked session or key,
            // or a demoted admin, cannot keep starting operations on a socket opened before.
            const auth = await authenticate(core, ctx.extra.token);
            if (!auth) {
              ctx.extra.socket.close(4403, 'Forbidden');
              return [new GraphQLError('the session has ended', { extensions: { code: 'UNAUTHENTICATED' } })];
            }
            ctx.extra.session = auth.session;
            ctx.extra.apiKey = auth.apiKey;
          }
          const { schema: s, execute, contextFactory, parse, validate } = yoga.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params: payload,
            session: ctx.extra.session ?? null,
            apiKey: ctx.extra.apiKey ?? null,
          });
          let document;
          try {
            document = parse(payload.query);
          } catch (e) {
            return [maskError(e) as GraphQLError];
          }
          const errors: readonly unknown[] = validate(s, document);
          if (errors.length > 0) return errors.map((e: unknown) => maskError(e) as GraphQLError);
          const args: ExecutionArgs = {
            schema: s, operationName: payload.operationName, document,
            variableValues: payload.variables, contextValue: await contextFactory(),
            rootValue: { execute, payload },
          };
          return args;
        },
        execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
        // Events are rendered once per (event, operation) and shared between subscribers.
        subscribe: (args) => {
          const { query, operationName, variables } = (args.rootValue as { payload: SubscribePayload }).payload;
          return sharedSubscribe({ ...args, rootValue: undefined }, JSON.stringify([query, operationName, variables])) as never;
        },
        onError: () => {},
        onNext: (_ctx, _id, _payload, _args, result) => {
          if ('errors' in result && result.errors) {
            return { ...result, errors: result.errors.map((e: unknown) => maskError(e) as GraphQLError) };
          }
          return result;
        },
      },
      wss,
    );
    return {
      wss,
      close: () => disposable.dispose(),
      upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) =>
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    };
  }

  return { yoga, attachWebSocket };
}

/** Rejects bodies over the limit before they are read; chunked bodies must declare a length. */
function useBodyLimit(maxBytes: number): Plugin {
  const reject = (status: number, message: string) =>
    new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }), {
      status, headers: { 'content-type': 'application/json' },
    });
  return {
    onRequest({ request, endResponse }) {
      if (request.method !== 'POST') return;
      const len = request.headers.get('content-length');
      if (len === null) return endResponse(reject(411, 'a Content-Length header is required'));
      if (Number(len) > maxBytes) endResponse(reject(413, `request body is larger than ${maxBytes} bytes`));
    },
  };
}
