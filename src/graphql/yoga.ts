// The GraphQL edge: yoga over HTTP (incl. SSE subscriptions) and graphql-ws over WebSocket,
// sharing one schema, one context factory, one set of limits and one error mask.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ExecutionArgs } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { AuthSession } from '../core/accounts/types.js';
import type { ApiKeyInfo } from '../core/admin/scopes.js';
import type { Core } from '../core/index.js';
import { authenticate, bearer, extensionsToken } from './auth.js';
import type { Context } from './builder.js';
import { createMaskError } from './errors.js';
import { renderOfflineGraphiQL, useGzippedGraphiQL } from './graphiql.js';
import { createOperationPreparer } from './operation.js';
import { loadTrustedDocuments, persistedOperationsPlugin } from './persisted.js';
import { schema } from './schema/index.js';
import { sharedSubscribe } from './shared-subscribe.js';
import { useSingleConnectionSSE } from './sse.js';

export interface GraphQLLimits {
  maxRequestBytes: number;
  maxQueryDepth: number;
  maxQueryCost: number;
  maxAliases: number;
  maxTokens: number;
  maxWsConnections: number;
  /** ms from the WebSocket upgrade to connection_init */
  graphqlWsInitTimeoutMs: number;
  /** WebSocket ping interval; a socket that answered nothing since the last ping is cut (0 = off) */
  graphqlWsPingSeconds: number;
}

export interface GraphQLEdgeOptions {
  core: Core;
  limits: GraphQLLimits;
  /** GraphiQL on GET /graphql (never with trusted documents: it sends arbitrary ones) */
  graphiql: boolean;
  introspection: boolean;
  /** a trusted-documents manifest (see persisted.ts): only its operations are accepted; null: any document, with APQ */
  trustedDocumentsJson: string | null;
  logError: (err: unknown) => void;
}


const ENDPOINT = '/graphql';

type ServerContext = { session?: AuthSession | null; apiKey?: ApiKeyInfo | null };

/** A query-limit refusal (graphql-armor) as BAD_USER_INPUT, without armor's "Syntax Error: " prefix. */
function limitRejection(reason: string) {
  return (ctx: { reportError(e: GraphQLError): void } | null, err: GraphQLError) => {
    const e = new GraphQLError(err.message.replace(/^Syntax Error: /, ''), { nodes: err.nodes, extensions: { code: 'BAD_USER_INPUT', reason } });
    if (!ctx) throw e; // max-tokens runs inside the parser
    ctx.reportError(e);
  };
}

const noIntrospection: Plugin = {
  onValidate({ addValidationRule }) {
    addValidationRule(NoSchemaIntrospectionCustomRule);
  },
};

export function createGraphQLEdge(opts: GraphQLEdgeOptions) {
  const { core, limits } = opts;
  const trustedDocuments = opts.trustedDocumentsJson === null ? null : loadTrustedDocuments(opts.trustedDocumentsJson, schema);
  const maskError = createMaskError(opts.logError);
  const reject = (reason: string) => ({ propagateOnRejection: false, onReject: [limitRejection(reason)], exposeLimits: true });
  const armor: Plugin[] = [
    maxDepthPlugin({ n: limits.maxQueryDepth, ignoreIntrospection: true, ...reject('DEPTH_LIMIT') }),
    costLimitPlugin({ maxCost: limits.maxQueryCost, ignoreIntrospection: true, ...reject('COST_LIMIT') }),
    maxAliasesPlugin({ n: limits.maxAliases, ...reject('ALIAS_LIMIT') }),
    maxTokensPlugin({ n: limits.maxTokens, ...reject('TOKEN_LIMIT') }),
  ] as Plugin[];

  let prepare: ReturnType<typeof createOperationPreparer>;
  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: ENDPOINT,
    landingPage: false,
    graphiql: opts.graphiql && !trustedDocuments ? { title: 'Startalk Next', subscriptionsProtocol: 'WS' } : false,
    renderGraphiQL: renderOfflineGraphiQL,
    cors: false, // one CORS policy for every route, in src/server/cors.ts
    maskedErrors: { maskError: (e) => maskError(e) },
    logging: false,
    plugins: [
      useBodyLimit(limits.maxRequestBytes),
      useGzippedGraphiQL(),
      useSingleConnectionSSE(ENDPOINT, (params, ctx) => prepare(params, ctx), maskError,
        async (req) => {
          const a = await authenticate(core, bearer(req.headers.get('authorization')));
          return a?.session ? `user:${a.session.user.id}` : a?.apiKey ? `key:${a.apiKey.id}` : null;
        }),
      persistedOperationsPlugin(trustedDocuments),
      ...armor,
      ...(opts.introspection ? [] : [noIntrospection]),
    ],
    context: async (init) => {
      const req = (init as { request?: Request }).request;
      const params = (init as { params?: { extensions?: unknown } }).params;
      // COMPAT (GraphiQL): its Headers tab reaches a subscription as extensions.headers
      const auth = init.session !== undefined
        ? { session: init.session, apiKey: init.apiKey ?? null }
        : await authenticate(core, bearer(req?.headers.get('authorization')) ?? extensionsToken(params?.extensions));
      return { core, session: auth?.session ?? null, apiKey: auth?.apiKey ?? null, userAgent: req?.headers.get('user-agent') ?? null };
    },
  });
  prepare = createOperationPreparer(yoga as never, trustedDocuments, maskError);
  const unauthenticated = () =>
    [maskError(new GraphQLError('authentication required: unknown or expired token', { extensions: { code: 'UNAUTHENTICATED' } })) as GraphQLError];

  /** graphql-ws on the HTTP server's /graphql path (the server routes upgrades by path). */
  function attachWebSocket() {
    const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxRequestBytes });
    // A peer that vanished (no FIN: a phone losing its network) would hold its socket and
    // subscriptions forever: ping, and cut a socket that answered nothing since the last ping.
    const answered = new WeakSet<object>();
    wss.on('connection', (socket) => {
      if (wss.clients.size > limits.maxWsConnections) socket.close(1013, 'too many connections');
      answered.add(socket);
      socket.on('pong', () => answered.add(socket));
      socket.on('message', () => answered.add(socket));
    });
    const heartbeat = limits.graphqlWsPingSeconds > 0
      ? setInterval(() => {
        for (const socket of wss.clients) {
          if (!answered.delete(socket)) socket.terminate();
          else socket.ping();
        }
      }, limits.graphqlWsPingSeconds * 1000).unref()
      : undefined;
    const disposable = useServer<Record<string, unknown>, ServerContext & { token?: string }>(
      {
        // graphql-ws closes with 4408 when connection_init does not come in time
        connectionInitWaitTimeout: limits.graphqlWsInitTimeoutMs,
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
          // a token in the operation's extensions.headers wins over the connection's
          let auth: ServerContext = { session: ctx.extra.session ?? null, apiKey: ctx.extra.apiKey ?? null };
          const token = extensionsToken(payload.extensions);
          if (token) {
            const a = await authenticate(core, token);
            if (!a) return unauthenticated();
            auth = a;
          }
          const p = await prepare(payload, { ...ctx, req: ctx.extra.request, socket: ctx.extra.socket, ...auth });
          if (Array.isArray(p)) return p;
          return { ...p.args, rootValue: { execute: p.execute, payload } };
        },
        execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute({ ...args, rootValue: undefined }) as never,
        // Events are rendered once per (event, operation) and shared between subscribers.
        subscribe: (args) => {
          const { query, operationName, variables, extensions } = (args.rootValue as { payload: SubscribePayload }).payload;
          const key = JSON.stringify([query ?? (extensions as { persistedQuery?: unknown } | undefined)?.persistedQuery, operationName, variables]);
          return sharedSubscribe({ ...args, rootValue: undefined }, key) as never;
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
      close: () => {
        clearInterval(heartbeat);
        return disposable.dispose();
      },
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
