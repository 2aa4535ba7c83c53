// graphql-sse single-connection reservations are bounded: a principal may hold only a few
// unopened streams, and an unopened one is dropped after a while (each buffers in memory).
import { describe, expect, it } from 'vitest';
import { MAX_PENDING_RESERVATIONS, useSingleConnectionSSE } from '../src/graphql/sse.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plugin(ttlMs: number) {
  const p = useSingleConnectionSSE('/graphql', async () => [], (e) => e as Error,
    async (req) => req.headers.get('authorization'), ttlMs);
  return async (req: Request): Promise<Response> => {
    let out: Response | undefined;
    await (p.onRequest as any)({ request: req, url: new URL(req.url), endResponse: (r: Response) => { out = r; } });
    if (!out) throw new Error('not handled');
    return out;
  };
}
const put = (who: string) => new Request('http://x/graphql', { method: 'PUT', headers: { accept: 'text/plain', authorization: who } });
const open = (token: string) => new Request('http://x/graphql', { headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': token } });

describe('graphql-sse reservations', () => {
  it('caps the unopened reservations of one principal, and opening one frees its place', async () => {
    const h = plugin(60_000);
    const tokens: string[] = [];
    for (let i = 0; i < MAX_PENDING_RESERVATIONS; i++) {
      const r = await h(put('alice'));
      expect(r.status).toBe(201);
      tokens.push(await r.text());
    }
    expect((await h(put('alice'))).status).toBe(429);
    expect((await h(put('bob'))).status).toBe(201); // others are not affected
    const stream = await h(open(tokens[0]!));
    expect(stream.status).toBe(200);
    await stream.body?.cancel();
    expect((await h(put('alice'))).status).toBe(201);
    expect((await h(new Request('http://x/graphql', { method: 'PUT', headers: { accept: 'text/plain' } }))).status).toBe(401);
  });

  it('drops a reservation nobody opens in time', async () => {
    const h = plugin(150);
    const token = await (await h(put('carol'))).text();
    for (let i = 1; i < MAX_PENDING_RESERVATIONS; i++) await h(put('carol'));
    expect((await h(put('carol'))).status).toBe(429);
    await sleep(600);
    // the stream is gone: the token no longer opens it, and carol may reserve again
    expect((await h(open(token))).status).not.toBe(200);
    expect((await h(put('carol'))).status).toBe(201);
  });
});
