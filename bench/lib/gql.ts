// GraphQL clients: HTTP POST over a keep-alive agent (the server wants a Content-Length),
// and graphql-ws over the `ws` WebSocket for the events subscription.
import http from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export class GqlError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export class GqlHttp {
  private readonly agent: http.Agent;
  private readonly target: URL;

  constructor(url: string, maxSockets = 1024) {
    this.target = new URL(url);
    // An idle socket is dropped after 4 s, before the server's 5 s keep-alive timeout can
    // close it under a request being sent on it (an ECONNRESET race).
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4000 });
  }

  request<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
    const body = Buffer.from(JSON.stringify({ query, variables }));
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': body.length,
      accept: 'application/json',
    };
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        { host: this.target.hostname, port: this.target.port, path: this.target.pathname, method: 'POST', headers, agent: this.agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
            try {
              json = JSON.parse(text);
            } catch {
              return reject(new GqlError(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`, `HTTP_${res.statusCode}`));
            }
            const err = json.errors?.[0];
            if (err) return reject(new GqlError(err.message, err.extensions?.code ?? `HTTP_${res.statusCode}`));
            resolve(json.data as T);
          });
          res.on('error', reject);
        },
      );
      req.on('error', (e) => reject(new GqlError(e.message, 'NETWORK')));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export const EVENTS_SUBSCRIPTION =
  'subscription { events { cursor ... on MessageAddedEvent { message { id body createdAt } } } }';

export interface AddedMessage {
  id: string;
  body: string;
  createdAt: number;
}

export interface Subscriber {
  client: Client;
  /** resolves once the server acknowledged the connection */
  connected: Promise<void>;
  errors: string[];
  dispose(): Promise<void>;
}

/** One WebSocket with one events subscription; onMessage sees every MessageAddedEvent. */
export function subscribeEvents(httpUrl: string, token: string, onMessage: (m: AddedMessage) => void): Subscriber {
  const errors: string[] = [];
  let ack!: () => void;
  let fail!: (e: Error) => void;
  const connected = new Promise<void>((res, rej) => ((ack = res), (fail = rej)));
  const client = createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: false,
    onNonLazyError: (e) => {
      const ev = e as { code?: number; reason?: string; message?: string };
      errors.push(`connection: ${ev.code ?? ''} ${ev.reason ?? ev.message ?? String(e)}`);
    },
    retryAttempts: 0,
    keepAlive: 0,
    on: {
      connected: () => ack(),
      closed: (e) => {
        const ev = e as { code?: number; reason?: string };
        fail(new Error(`closed before ack: ${ev.code} ${ev.reason}`));
      },
      error: (e) => errors.push(String((e as Error)?.message ?? e)),
    },
  });
  client.subscribe<{ events: { cursor: string; message?: AddedMessage } }>(
    { query: EVENTS_SUBSCRIPTION },
    {
      next: (r) => {
        if (r.errors?.length) errors.push(r.errors.map((x) => x.message).join('; '));
        const m = r.data?.events.message;
        if (m) onMessage(m);
      },
      error: (e) => errors.push(`subscription error: ${JSON.stringify(e).slice(0, 200)}`),
      complete: () => {},
    },
  );
  return { client, connected, errors, dispose: () => client.dispose() as Promise<void> };
}
