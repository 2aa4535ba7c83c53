// Webhook POSTs: the batch JSON (README "Integrations"), signed with HMAC-SHA256 over
// "<timestamp>.<body>" with the webhook's secret, as the push gateway does.
// The destination is checked on every delivery: the host name is resolved here, the addresses
// are checked against the policy (core/integration/destination.ts), and the socket connects to
// a checked address, so a DNS answer that changes between check and connect (rebinding) cannot
// reach a refused one. Redirects are not followed. Errors say only "unreachable" or the status:
// a connect error's code would tell an integrator which internal ports are open.
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressAllowed, hostAllowed, literalAddress, type DestinationPolicy } from '../../core/integration/destination.js';
import type { WebhookSender } from '../../core/integration/ports.js';

const REFUSED = 'EDESTINATIONREFUSED';

export function createHttpWebhookSender(opts: { timeoutMs: number; policy: DestinationPolicy }): WebhookSender {
  return {
    async post(hook, body) {
      const ts = String(Math.floor(Date.now() / 1000));
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'startalk-next-webhooks',
        'x-stn-webhook-id': hook.id,
        'x-stn-timestamp': ts,
        'x-stn-signature': `sha256=${createHmac('sha256', hook.secret).update(`${ts}.${body}`).digest('hex')}`,
      };
      const url = new URL(hook.url);
      const byName = hostAllowed(url.hostname, opts.policy);
      const literal = literalAddress(url.hostname);
      if (!byName && literal !== null && !addressAllowed(literal, opts.policy)) throw new Error('webhook destination not allowed');
      let status: number;
      try {
        status = await post(url, { method: 'POST', headers, lookup: byName ? undefined : checkedLookup(opts.policy), signal: AbortSignal.timeout(opts.timeoutMs) }, body);
      } catch (err) {
        if ((err as { code?: string }).code === REFUSED) throw new Error('webhook destination not allowed');
        throw new Error('webhook unreachable');
      }
      if (status < 200 || status >= 300) throw new Error(`webhook answered ${status}`);
    },
  };
}

function post(url: URL, options: RequestOptions, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      res.on('error', reject);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.resume();
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** dns.lookup that hands the socket only addresses the policy allows. */
function checkedLookup(policy: DestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const ok = addresses.filter((a) => addressAllowed(a.address, policy));
      if (ok.length === 0) {
        return callback(Object.assign(new Error(`${hostname} resolves to no allowed address`), { code: REFUSED }), '', 0);
      }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, ok);
      else callback(null, ok[0]!.address, ok[0]!.family);
    });
  };
}
