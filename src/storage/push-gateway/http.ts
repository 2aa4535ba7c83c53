// The push gateway over HTTP: one POST per job with the documented JSON body (README "Push"),
// signed with HMAC-SHA256 when a secret is set. APNs or FCM adapters would implement the
// same PushGateway port. The URL is the operator's (private addresses are fine), but redirects
// are not followed: a 3xx is a failed attempt, so the signed body goes only where configured.
import { createHmac } from 'node:crypto';
import type { PushGateway } from '../../core/push/ports.js';
import type { PushPayload } from '../../core/push/types.js';

export function createHttpPushGateway(opts: { url: string; secret?: string; timeoutMs: number }): PushGateway {
  return {
    async send(payload: PushPayload) {
      const body = JSON.stringify(payload);
      const ts = String(Math.floor(Date.now() / 1000));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-stn-push-id': payload.id, 'x-stn-timestamp': ts };
      if (opts.secret) headers['x-stn-signature'] = `sha256=${createHmac('sha256', opts.secret).update(`${ts}.${body}`).digest('hex')}`;
      const res = await fetch(opts.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`push gateway answered ${res.status}`);
    },
  };
}
