// Webhook POSTs: the batch JSON (README "Integrations"), signed with HMAC-SHA256 over
// "<timestamp>.<body>" with the webhook's secret, as the push gateway does.
import { createHmac } from 'node:crypto';
import type { WebhookSender } from '../../core/integration/ports.js';

export function createHttpWebhookSender(opts: { timeoutMs: number }): WebhookSender {
  return {
    async post(hook, body) {
      const ts = String(Math.floor(Date.now() / 1000));
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'startalk-next-webhooks',
        'x-stn-webhook-id': hook.id,
        'x-stn-timestamp': ts,
        'x-stn-signature': `sha256=${createHmac('sha256', hook.secret).update(`${ts}.${body}`).digest('hex')}`,
      };
      let res: Response;
      try {
        res = await fetch(hook.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs) });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        throw new Error(`webhook unreachable: ${cause ?? (err as Error).name}`);
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered ${res.status}`);
    },
  };
}
