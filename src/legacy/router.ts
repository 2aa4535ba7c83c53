// Routes of the legacy HTTP edge. OpenResty served every ihs endpoint under two prefixes,
// /newapi/… and /package/qtapi/… (../shared/startalk/PROTOCOL.md §1.2); a route is declared
// once by its ihs path and answered under both.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User } from '../core/accounts/types.js';
import { isAppError } from '../core/errors.js';
import { authenticateCKey } from './ckey.js';
import { ERR, LegacyError, envelope, readJson, refusal, sendJson } from './http.js';
import { EXTRA, RAW, type LegacyCall, type LegacyDeps, type LegacyRoute } from './route.js';

export { RAW, withExtra, type LegacyCall, type LegacyDeps, type LegacyRoute } from './route.js';

const PREFIXES = ['/newapi/', '/package/qtapi/', '/im_http_service/newapi/'];

export class LegacyRouter {
  private readonly routes = new Map<string, LegacyRoute>();
  private readonly prefixed: [string, LegacyRoute][] = [];

  constructor(private readonly deps: LegacyDeps) {}

  add(...routes: LegacyRoute[]): this {
    for (const r of routes) {
      const paths = r.path.startsWith('/') ? [r.path] : PREFIXES.map((p) => p + r.path);
      for (const path of paths) {
        if (r.prefix) this.prefixed.push([path, r]);
        else this.routes.set(path, r);
      }
    }
    return this;
  }

  /** every path answered, with its auth and whether it is a prefix (tests walk them) */
  list(): { path: string; auth: LegacyRoute['auth']; prefix: boolean }[] {
    return [...this.routes, ...this.prefixed].map(([path, r]) => ({ path, auth: r.auth, prefix: !!r.prefix }));
  }

  /** Answers the request when a route matches; false lets the server try its other edges. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (!URL.canParse(req.url ?? '/', 'http://localhost')) return false; // the server answers 400
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/{2,}/g, '/');
    const route = this.routes.get(path) ?? this.prefixed.find(([p]) => path.startsWith(p))?.[1];
    if (!route) return false;
    void this.run(route, req, res, url);
    return true;
  }

  private async run(route: LegacyRoute, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (route.auth === 'admin') checkAdminKey(this.deps.adminApiKey, req);
      const user = route.auth === 'ckey' ? await authenticateCKey(this.deps.core, this.deps.domain, req) : (undefined as unknown as User);
      const body = route.rawBody || req.method === 'GET' || req.method === 'HEAD' ? {} : await readJson(req, this.deps.maxBodyBytes);
      const out = await route.handle({ req, res, url, user, body });
      if (out === RAW) return;
      if (out && typeof out === 'object' && EXTRA in out) {
        const o = out as { [EXTRA]: Record<string, unknown>; data: unknown };
        return sendJson(res, 200, envelope(o.data, o[EXTRA]));
      }
      sendJson(res, 200, envelope(out));
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e = toLegacyError(err);
      if (e.errcode === ERR.INTERNAL) this.deps.log.error({ err, path: url.pathname }, 'legacy HTTP call failed');
      const extra: Record<string, string> = e.httpStatus === 413 ? { connection: 'close' } : e.httpStatus === 503 ? { 'retry-after': '1' } : {};
      sendJson(res, e.httpStatus, refusal(e), extra);
    }
  }
}

/** Bearer or x-api-key header, compared in constant time. */
function checkAdminKey(expected: string | undefined, req: IncomingMessage): void {
  const auth = req.headers.authorization;
  const given = (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined) ?? String(req.headers['x-api-key'] ?? '');
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected ?? randomBytes(16)).digest();
  if (!expected || !given || !timingSafeEqual(a, b)) throw new LegacyError(ERR.FORBIDDEN, 'admin API key required', 401);
}

/** Domain errors (src/core/errors.ts) keep their message; anything else is an opaque 500. */
function toLegacyError(err: unknown): LegacyError {
  if (err instanceof LegacyError) return err;
  // decodeURIComponent of a client's bad percent-encoding: the client's fault, not ours
  if (err instanceof URIError) return new LegacyError(ERR.BAD_INPUT, 'malformed percent-encoding', 400);
  if (isAppError(err)) {
    if (err.code === 'INTERNAL') return new LegacyError(ERR.INTERNAL, 'internal error');
    // Not COMPAT's HTTP 200: a real 503 makes clients and proxies treat it as the transient failure it is.
    if (err.code === 'UNAVAILABLE') return new LegacyError(ERR.UNAVAILABLE, err.message, 503);
    const code = ({ NOT_FOUND: ERR.NOT_FOUND, FORBIDDEN: ERR.FORBIDDEN, UNAUTHENTICATED: ERR.FORBIDDEN } as Record<string, number>)[err.code];
    return new LegacyError(code ?? ERR.BAD_INPUT, err.message);
  }
  return new LegacyError(ERR.INTERNAL, 'internal error');
}
