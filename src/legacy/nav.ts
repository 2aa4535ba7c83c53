// Navigation JSON (../shared/startalk/PROTOCOL.md §6.1, §13 A.1), generated from the server's
// own configuration: domain, host, ports and URLs have one source of truth.
import type { IncomingMessage } from 'node:http';
import { sendJson } from './http.js';
import { RAW, type LegacyDeps, type LegacyRoute, type NavOptions } from './route.js';

export type { NavOptions } from './route.js';


export function baseUrl(opts: NavOptions, req: IncomingMessage): URL {
  if (opts.publicUrl) return new URL(opts.publicUrl);
  // Forwarding headers only from a configured proxy: anyone else could point clients elsewhere.
  const trusted = opts.trustProxy?.(req.socket.remoteAddress ?? '', 0) ?? false;
  const forwarded = (name: string) => (trusted ? req.headers[name]?.toString().split(',')[0]!.trim() || undefined : undefined);
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted;
  const proto = (forwarded('x-forwarded-proto') ?? (encrypted ? 'https' : 'http')) === 'https' ? 'https' : 'http';
  const host = (forwarded('x-forwarded-host') ?? String(req.headers.host ?? 'localhost').split(',')[0]!.trim()) || 'localhost';
  try {
    return new URL(`${proto}://${host}`);
  } catch {
    return new URL(`${proto}://localhost`);
  }
}

export function navigation(deps: LegacyDeps, opts: NavOptions, req: IncomingMessage, nauth: boolean) {
  const base = baseUrl(opts, req);
  const root = base.origin + base.pathname.replace(/\/$/, '');
  const wsRoot = root.replace(/^http/, 'ws');
  // COMPAT: port numbers are numbers here but clients tolerate strings; ports that are off are left out.
  const pb = opts.pbPort ?? undefined;
  const xmpp = opts.xmppPort ?? undefined;
  return {
    Login: { loginType: nauth ? 'newpassword' : 'password' },
    // COMPAT: "baseaddess" (sic) is the key every Startalk client reads.
    baseaddess: {
      domain: deps.domain,
      xmpp: base.hostname,
      protobufPort: pb,
      protobufPcPort: pb,
      xmppport: xmpp,
      xmppmport: xmpp,
      socketurl: `${wsRoot}/websocket`,
      httpurl: `${root}/newapi`,
      javaurl: `${root}/package`,
      fileurl: root,
      apiurl: `${root}/api`,
      simpleapiurl: `${root}/api`,
      pubkey: 'rsa_public_key',
      shareurl: `${root}/py/sharemsg`,
      domainhost: base.hostname,
      appWeb: root,
      resetPwdUrl: '',
    },
    imConfig: { isToC: false, RsaEncodeType: 1, showOrganizational: true, mail: '', foundConfigUrl: '' },
    ability: { searchurl: `${root}/py/search`, new_searchurl: `${root}/py/search`, showmsgstat: true },
    version: opts.version,
  };
}

export function navRoutes(deps: LegacyDeps, opts: NavOptions): LegacyRoute[] {
  const handle: LegacyRoute['handle'] = async ({ req, res, url }) => {
    const c = url.searchParams.get('c')?.trim().toLowerCase();
    if (c && c !== deps.domain) {
      // A client configured for another domain must not be sent here half-working (Startalk's
      // most reported setup problem): say so plainly.
      sendJson(res, 404, { ret: false, errcode: 404, errmsg: `this server serves domain "${deps.domain}", not "${c.slice(0, 100)}"` });
      return RAW;
    }
    sendJson(res, 200, navigation(deps, opts, req, url.searchParams.get('nauth') === 'true'));
    return RAW;
  };
  return [
    { path: 'nck/qtalk_nav.qunar', auth: 'none', handle },
    { path: '/startalk_nav', auth: 'none', handle },
    { path: '/newapi/nck/startalk_nav', auth: 'none', handle },
    // COMPAT: data is unix seconds
    { path: 'base/getservertime.qunar', auth: 'ckey', handle: async () => Math.floor(Date.now() / 1000) },
  ];
}
