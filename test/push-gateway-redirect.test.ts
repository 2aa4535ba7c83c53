// The push gateway URL is the operator's, but a redirect from it is not followed: the signed
// body goes only to the configured address.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { createHttpPushGateway } from '../src/storage/push-gateway/http.js';

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

it('does not follow a redirect from the push gateway', async () => {
  const elsewhere: string[] = [];
  const target = await serve((req, res) => {
    elsewhere.push(req.url ?? '');
    req.resume();
    res.writeHead(200).end();
  });
  const gateway = await serve((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${target}/stolen` }).end();
  });
  const push = createHttpPushGateway({ url: `${gateway}/push`, secret: 'push-secret-123', timeoutMs: 5000 });
  await expect(push.send({ id: 'p1' } as never)).rejects.toThrow('push gateway answered 307');
  expect(elsewhere).toEqual([]);
});
