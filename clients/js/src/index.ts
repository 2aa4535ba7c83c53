// A small typed client for Startalk Next's GraphQL API: sign in, send with retries that cannot
// duplicate (the msgId is fixed before the first attempt), and an event stream that resumes
// from the last cursor it delivered after any disconnect. Works in browsers and in Node 20.
import { createClient, type Client as WsClient } from 'graphql-ws';
import type {
  EventCursorQuery, EventsSubscription, LoginMutation, LoginMutationVariables, SendMessageInput, SendMutation, SendMutationVariables,
} from './generated.js';
import { EVENT_CURSOR, EVENTS, LOGIN, SEND } from './operations.js';

export type { EventsSubscription, SendMessageInput } from './generated.js';
export type StartalkEvent = EventsSubscription['events'];
export type SentMessage = SendMutation['sendMessage'];

export interface StartalkClientOptions {
  /** the GraphQL endpoint, e.g. https://im.example.com/graphql */
  url: string;
  /** a token from an earlier login */
  token?: string;
  /** outside browsers: a WebSocket implementation, e.g. the `ws` package */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
  /** attempts of one send after network failures, 5xx or RATE_LIMITED (default 6) */
  sendAttempts?: number;
  /** first backoff in ms, doubled per attempt, capped at 10 s (default 250) */
  retryBaseMs?: number;
}

/** The server refused the operation; `code` is its extensions.code. */
export class StartalkError extends Error {
  constructor(readonly code: string, message: string, readonly extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = 'StartalkError';
  }
}

/** The request may or may not have reached the server (network failure, 5xx). */
export class TransportError extends Error {
  name = 'TransportError';
}

type GqlError = { message: string; extensions?: Record<string, unknown> };
const toError = (errors: readonly GqlError[]) => {
  const e = errors[0]!;
  return new StartalkError(String(e.extensions?.code ?? 'INTERNAL'), e.message, e.extensions);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Startalk clients use 32 hex digits */
export const newMsgId = () => crypto.randomUUID().replace(/-/g, '');
/** codes after which a subscription is not retried */
const FATAL = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']);

export function createStartalkClient(opts: StartalkClientOptions) {
  const doFetch = opts.fetch ?? fetch;
  const base = opts.retryBaseMs ?? 250;
  const backoff = (attempt: number) => Math.min(10_000, base * 2 ** attempt);
  let token = opts.token ?? null;
  let ws: WsClient | null = null;

  async function request<D, V extends Record<string, unknown> = Record<string, never>>(query: string, variables?: V): Promise<D> {
    let res: Response;
    try {
      res = await doFetch(opts.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
    } catch (e) {
      throw new TransportError(`request failed: ${(e as Error).message}`);
    }
    if (res.status >= 500) throw new TransportError(`HTTP ${res.status}`);
    const body = (await res.json().catch(() => null)) as { data?: D; errors?: GqlError[] } | null;
    if (!body) throw new TransportError(`HTTP ${res.status} without a JSON body`);
    if (body.errors?.length) throw toError(body.errors);
    return body.data as D;
  }

  function socket(): WsClient {
    ws ??= createClient({
      url: opts.url.replace(/^http/, 'ws'),
      webSocketImpl: opts.webSocketImpl,
      connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
      lazy: true,
      retryAttempts: 0, // events() retries itself, with a fresh cursor
    });
    return ws;
  }

  return {
    get token() {
      return token;
    },

    async login(username: string, password: string) {
      const d = await request<LoginMutation, LoginMutationVariables>(LOGIN, { username, password });
      token = d.login.token;
      void ws?.dispose();
      ws = null;
      return d.login;
    },

    /**
     * Sends once, whatever happens: the msgId is chosen before the first attempt and every retry
     * carries it, so a retry after a lost answer returns the stored message instead of a second one.
     */
    async send(input: Omit<SendMessageInput, 'msgId'> & { msgId?: string }): Promise<SentMessage> {
      const msg = { ...input, msgId: input.msgId ?? newMsgId() };
      const attempts = opts.sendAttempts ?? 6;
      for (let attempt = 0; ; attempt++) {
        try {
          return (await request<SendMutation, SendMutationVariables>(SEND, { input: msg })).sendMessage;
        } catch (e) {
          const retryable = e instanceof TransportError || (e instanceof StartalkError && e.code === 'RATE_LIMITED');
          if (!retryable || attempt + 1 >= attempts) throw e;
          const wait = e instanceof StartalkError && typeof e.extensions.retryAfterMs === 'number' ? e.extensions.retryAfterMs : backoff(attempt);
          await sleep(wait);
        }
      }
    },

    /**
     * Every event after `since` (default: from now), in order, across disconnects: after each one
     * it subscribes again from the cursor of the last event handed to `onEvent`, so nothing is
     * missed or repeated. Ends on stop() or a refusal (bad token, invalid operation) via onError.
     */
    events(handlers: { since?: string; onEvent: (e: StartalkEvent) => unknown; onError?: (e: unknown) => void; onReconnect?: () => void }) {
      let cursor: string | null = handlers.since ?? null;
      let stopped = false;
      let current: AsyncIterableIterator<unknown> | null = null;
      const run = async () => {
        if (cursor === null) cursor = (await request<EventCursorQuery>(EVENT_CURSOR)).eventCursor;
        for (let failures = 0; !stopped; ) {
          try {
            const it: AsyncIterableIterator<{ data?: EventsSubscription | null; errors?: readonly unknown[] }> = socket().iterate<EventsSubscription>({ query: EVENTS, variables: { since: cursor } });
            current = it;
            for await (const r of it) {
              if (r.errors?.length) throw toError(r.errors as readonly GqlError[]);
              failures = 0;
              cursor = r.data!.events.cursor;
              await handlers.onEvent(r.data!.events);
            }
            if (stopped) return;
          } catch (e) {
            if (stopped) return;
            const refusal = Array.isArray(e) ? toError(e as GqlError[]) : e;
            const closed = (e as { code?: unknown })?.code;
            if ((refusal instanceof StartalkError && FATAL.has(refusal.code)) || closed === 4403) {
              handlers.onError?.(refusal);
              return;
            }
          }
          await sleep(backoff(failures++));
          handlers.onReconnect?.();
        }
      };
      const done = run().catch((e) => handlers.onError?.(e));
      return {
        /** the cursor of the last delivered event: keep it to resume in a later session */
        get cursor() {
          return cursor;
        },
        async stop() {
          stopped = true;
          await current?.return?.();
          await done;
        },
      };
    },

    async close() {
      await ws?.dispose();
      ws = null;
    },
  };
}

export type StartalkClient = ReturnType<typeof createStartalkClient>;
