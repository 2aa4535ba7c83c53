// Integrations: the durable event stream as a subscription with resume, and signed webhooks
// (README "Integrations" documents the JSON). Events here are built per subscriber.
import type { DeadLetter, Webhook } from '../../core/integration/ports.js';
import type { IntegrationEvent } from '../../core/integration/types.js';
import { badInput } from '../../core/errors.js';
import { builder, principal } from '../builder.js';

export const IntegrationKindEnum = builder.enumType('IntegrationEventKind', {
  values: {
    MESSAGE_ADDED: { value: 'message.added' },
    MESSAGE_RECALLED: { value: 'message.recalled' },
    GROUP_MEMBERS: { value: 'group.members' },
    GROUP_UPDATED: { value: 'group.updated' },
    GROUP_DESTROYED: { value: 'group.destroyed' },
  } as const,
});

const since = (v: string | null | undefined): string | null => {
  if (v == null) return null;
  if (!/^\d{1,19}$/.test(v) || BigInt(v) > 9223372036854775807n) throw badInput('since is not a valid cursor', { field: 'since' });
  return v;
};

const IntegrationEventRef = builder.objectRef<IntegrationEvent>('IntegrationEvent').implement({
  description: 'One entry of the durable stream. `json` is exactly the object webhooks receive.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'resume with integrationEvents(since: cursor)' }),
    kind: t.field({ type: IntegrationKindEnum, resolve: (e) => e.kind }),
    at: t.float({ description: 'ms since the epoch', resolve: (e) => e.at }),
    conversationId: t.exposeID('conversationId'),
    json: t.string({ resolve: (e) => JSON.stringify(e) }),
  }),
});

builder.queryField('integrationCursor', (t) =>
  t.string({
    description: 'EVENTS_READ. The current end of the stream: subscribe with it to miss nothing from now on.',
    resolve: (_r, _a, ctx) => ctx.core.integration.position(principal(ctx)),
  }),
);

builder.subscriptionField('integrationEvents', (t) =>
  t.field({
    type: IntegrationEventRef,
    description:
      'EVENTS_READ. Every message, recall and group change of the deployment, in commit order. With `since`, ' +
      'first everything after that cursor (no gap, no duplicate), then live ones.',
    args: { since: t.arg.string(), kinds: t.arg({ type: [IntegrationKindEnum] }) },
    subscribe: (_r, a, ctx) => {
      const p = principal(ctx);
      const key = ctx.apiKey;
      return ctx.core.integration.stream(p, since(a.since), a.kinds ?? null, key
        ? { keyId: key.id, stillValid: async () => (await ctx.core.apiKeys.isActive(key.id)) }
        : { userId: ctx.session?.user.id, sessionId: ctx.session?.id });
    },
    resolve: (e) => e,
  }),
);

const DeadLetterRef = builder.objectRef<DeadLetter>('WebhookDeadLetter').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    cursor: t.exposeString('cursor'),
    kind: t.field({ type: IntegrationKindEnum, resolve: (d) => d.kind }),
    attempts: t.exposeInt('attempts'),
    error: t.exposeString('error', { description: 'the last failure (status or network error)' }),
    json: t.string({ description: 'the event as it would have been delivered', resolve: (d) => JSON.stringify(d.payload) }),
    createdAt: t.float({ resolve: (d) => d.createdAt.getTime() }),
  }),
});

const WebhookRef = builder.objectRef<Webhook>('Webhook').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    kinds: t.field({ type: [IntegrationKindEnum], resolve: (w) => w.kinds }),
    cursor: t.exposeString('cursor', { description: 'last event acknowledged (2xx) or dead-lettered' }),
    failures: t.exposeInt('failures', { description: 'consecutive failed attempts at the next event' }),
    lastError: t.exposeString('lastError', { nullable: true }),
    nextAttemptAt: t.float({ resolve: (w) => w.nextAt.getTime() }),
    deliveredAt: t.float({ nullable: true, resolve: (w) => w.deliveredAt?.getTime() ?? null }),
    createdAt: t.float({ resolve: (w) => w.createdAt.getTime() }),
    deadLetters: t.field({
      type: [DeadLetterRef],
      description: 'events given up on after WEBHOOK_MAX_ATTEMPTS failures, newest first',
      args: { first: t.arg.int({ defaultValue: 50 }) },
      resolve: (w, { first }, ctx) => ctx.core.integration.deadLetters(w.id, first ?? 50),
    }),
  }),
});

const CreatedWebhook = builder.objectRef<{ webhook: Webhook; secret: string }>('CreatedWebhook').implement({
  fields: (t) => ({
    webhook: t.field({ type: WebhookRef, resolve: (c) => c.webhook }),
    secret: t.exposeString('secret', { description: 'the HMAC key of X-Stn-Signature; shown only this once' }),
  }),
});

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: CreatedWebhook,
    description: 'WEBHOOKS_WRITE. Delivers events of `kinds` after `since` (default: from now), in order, signed.',
    args: {
      url: t.arg.string({ required: true }),
      secret: t.arg.string({ description: '16-256 characters; generated when omitted' }),
      kinds: t.arg({ type: [IntegrationKindEnum], required: true }),
      since: t.arg.string({ description: 'a cursor to start after (replay); default: the current end of the stream' }),
    },
    resolve: (_r, a, ctx) => ctx.core.integration.createWebhook(principal(ctx), { ...a, since: since(a.since) }),
  }),
);

builder.mutationField('deleteWebhook', (t) =>
  t.boolean({
    description: 'WEBHOOKS_WRITE. Stops deliveries; false when unknown.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.core.integration.deleteWebhook(principal(ctx), String(id)),
  }),
);

builder.queryField('webhooks', (t) =>
  t.field({ type: [WebhookRef], description: 'WEBHOOKS_WRITE.', resolve: (_r, _a, ctx) => ctx.core.integration.webhooks(principal(ctx)) }),
);
