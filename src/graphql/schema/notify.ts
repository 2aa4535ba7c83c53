// Startalk notify presences (../shared/startalk/PROTOCOL.md §4.6) as live events, and the
// admin mutation that sends them (what Startalk's POST :10050/qtalk/send_notify does).
import type { EventOf } from '../../core/events/types.js';
import { builder, principal } from '../builder.js';
import { EventRef } from './event.js';

builder.objectRef<EventOf<'notify'>>('NotifyEvent').implement({
  interfaces: [EventRef],
  description:
    'A server notification (Startalk notify presence): category 9 lists your online clients, others come from ' +
    'admins (1 org chart changed, 6 personal config changed, 100 kick client…). Ephemeral: never replayed.',
  isTypeOf: (e) => (e as { kind: string }).kind === 'notify',
  fields: (t) => ({
    category: t.exposeInt('category'),
    data: t.exposeString('data'),
    at: t.float({ description: 'ms since the epoch', resolve: (e) => e.at }),
  }),
});

builder.mutationField('sendNotify', (t) =>
  t.int({
    description: 'Admin users, or API keys with MESSAGES_SEND. Sends a notify (category, data) to the users\' live sessions on every node; returns how many users.',
    args: {
      to: t.arg.stringList({ required: true, description: 'user addresses' }),
      category: t.arg.int({ required: true }),
      data: t.arg.string({ required: true }),
    },
    resolve: (_r, { to, category, data }, ctx) => ctx.core.admin.sendNotify(principal(ctx), to, category, data),
  }),
);
