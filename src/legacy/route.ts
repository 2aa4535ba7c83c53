// What a legacy route is and what it is given: shared by the router and every route file, so
// that neither imports the other (no import cycle between router.ts and nav.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StartalkKey } from '../startalk/rsa.js';
import type { User } from '../core/accounts/types.js';
import type { Core } from '../core/index.js';

export interface NavOptions {
  /** the URL clients reach this server at (scheme://host[:port]); unset: taken from the request's Host */
  publicUrl?: string;
  /** whether a peer is a trusted proxy (TRUST_PROXY); unset: X-Forwarded-* headers are ignored */
  trustProxy?: (addr: string, hop: number) => boolean;
  xmppPort: number | null;
  pbPort: number | null;
  /** bumped when the navigation changes; clients compare it (notify presence category 3) */
  version: number;
}

export interface LegacyDeps {
  core: Core;
  domain: string;
  /** limit for JSON bodies */
  maxBodyBytes: number;
  log: { error: (o: object, m: string) => void };
  nav: NavOptions;
  /** admin HTTP (Startalk's :10050 interface): off when unset */
  adminApiKey?: string;
  /** where the admin HTTP answers, e.g. /qtalk */
  adminPath: string;
  /** Startalk's RSA key pair (qtlogin, get_public_key) */
  startalkKey: StartalkKey;
}

export interface LegacyCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** the user proven by q_ckey (routes with auth 'ckey') */
  user: User;
  /** the parsed JSON body ({} when empty) */
  body: unknown;
}

export interface LegacyRoute {
  /**
   * ihs path below the prefix, e.g. 'nck/qtalk_nav.qunar' or 'gethistory.qunar' (answered at
   * /newapi/<path> and /package/qtapi/<path>); a path starting with '/' is absolute.
   */
  path: string;
  /**
   * 'ckey': q_ckey required (COMPAT: everything outside nck/ was checked by OpenResty);
   * 'admin': the admin API key (Startalk's :10050 interface had none)
   */
  auth: 'ckey' | 'none' | 'admin';
  /**
   * Returns the envelope's data (or {data, extra} through `withExtra`), or answers itself
   * with `call.res` and returns RAW.
   */
  handle(call: LegacyCall): Promise<unknown>;
  /** read no JSON body: the handler streams it (uploads) */
  rawBody?: boolean;
  /** match every path that starts with `path` (e.g. '/file/v2/download/' + key); exact matches win */
  prefix?: boolean;
}

export const RAW = Symbol('raw response');
export const EXTRA = Symbol('extra envelope fields');

/** data plus fields beside it in the envelope (COMPAT: get_increment_mucs puts `version` there). */
export function withExtra(data: unknown, extra: Record<string, unknown>) {
  return { [EXTRA]: extra, data };
}

