// GraphiQL with every asset inlined from @graphql-yoga/render-graphiql (no CDN), so it works
// on an isolated network. The bundle is ~9 MB of JS: loaded on the first GET, only when GraphiQL
// is on, and the page rendered once per option set.
import type { GraphiQLOptions } from 'graphql-yoga';

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
