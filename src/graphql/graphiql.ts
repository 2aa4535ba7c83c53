// GraphiQL with every asset inlined from @graphql-yoga/render-graphiql (no CDN), so it works
// on an isolated network. The bundle is ~9 MB of JS: loaded on the first GET, only when GraphiQL
// is on, and the page rendered once per option set.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

const gzipAsync = promisify(gzip);

let cached: { key: string; html: Promise<string> } | null = null;

export function renderOfflineGraphiQL(opts: GraphiQLOptions): Promise<string> {
  const key = JSON.stringify(opts);
  if (cached?.key !== key) {
    const html = import('@graphql-yoga/render-graphiql').then((m) => m.renderGraphiQL(opts));
    cached = { key, html };
    html.catch(() => (cached = null));
  }
  return cached.html;
}

/**
 * Sends the GraphiQL page gzipped to browsers that accept it (9 MB becomes about 2.5 MB),
 * compressed once per page. Only this page: streams (SSE) must not sit in a compressor's buffer.
 */
export function useGzippedGraphiQL(): Plugin {
  let done: { html: string; gz: Promise<Buffer> } | null = null;
  return {
    async onResponse({ request, response, setResponse }) {
      if (request.method !== 'GET' || !response.headers.get('content-type')?.startsWith('text/html')) return;
      if (!/\bgzip\b/.test(request.headers.get('accept-encoding') ?? '')) return;
      const html = await response.text();
      if (done?.html !== html) done = { html, gz: gzipAsync(html, { level: 9 }) };
      const headers = new Headers(response.headers);
      headers.set('content-encoding', 'gzip');
      headers.append('vary', 'Accept-Encoding');
      headers.delete('content-length');
      setResponse(new Response(new Uint8Array(await done.gz), { status: response.status, headers }));
    },
  };
}
