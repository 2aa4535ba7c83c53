// Presence: who is online, on which devices, with what show; and its change events.
import type { EventOf } from '../../core/events/types.js';
import type { Device, Show, UserPresence } from '../../core/presence/types.js';
import { builder, viewer } from '../builder.js';
import { EventRef } from './event.js';
import { UserRef } from './user.js';

const ShowEnum = builder.enumType('PresenceShow', {
  description: 'XMPP show values; ONLINE is plain available',
  values: { ONLINE: { value: 'online' }, CHAT: { value: 'chat' }, AWAY: { value: 'away' }, XA: { value: 'xa' }, DND: { value: 'dnd' } } as const,
});

const DeviceRef = builder.objectRef<Device>('PresenceDevice').implement({
  fields: (t) => ({
    resource: t.exposeString('resource'),
    show: t.field({ type: ShowEnum, resolve: (d) => d.show }),
    priority: t.exposeInt('priority'),
    status: t.exposeString('status', { nullable: true }),
    since: t.float({ resolve: (d) => d.since }),
  }),
});

const UserPresenceRef = builder.objectRef<UserPresence>('UserPresence').implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (p, _a, ctx) => ctx.core.accounts.userById(p.userId) }),
    online: t.exposeBoolean('online'),
    show: t.field({ type: ShowEnum, nullable: true, description: 'of the highest-priority device', resolve: (p) => p.show }),
    status: t.exposeString('status', { nullable: true }),
    devices: t.field({ type: [DeviceRef], resolve: (p) => p.devices }),
  }),
});

builder.queryField('presence', (t) =>
  t.field({
    type: [UserPresenceRef],
    description: 'Presence of users given by address, across all nodes.',
    args: { users: t.arg.stringList({ required: true }) },
    resolve: (_r, { users }, ctx) => ctx.core.presence.presence(viewer(ctx), users),
  }),
);

builder.mutationField('setPresence', (t) =>
  t.boolean({
    description: 'Sets show and status on every live device of this session.',
    args: { show: t.arg({ type: ShowEnum, required: true }), status: t.arg.string() },
    resolve: async (_r, { show, status }, ctx) => {
      const me = viewer(ctx);
      await ctx.core.presence.setPresence(me, ctx.session!.id, show as Show, status ?? null);
      return true;
    },
  }),
);

const PresenceEventRef = builder.objectRef<EventOf<'presence'>>('PresenceEvent');
PresenceEventRef.implement({
  interfaces: [EventRef],
  description: 'A user you share a conversation with (or you) changed presence. Ephemeral, rate-limited.',
  isTypeOf: (e) => (e as { kind: string }).kind === 'presence',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.userId) }),
    online: t.exposeBoolean('online'),
    show: t.field({ type: ShowEnum, nullable: true, resolve: (e) => e.show }),
    status: t.exposeString('status', { nullable: true }),
    at: t.float({ resolve: (e) => e.at }),
  }),
});

builder.subscriptionField('presenceChanges', (t) =>
  t.field({
    type: PresenceEventRef,
    description:
      'Presence changes of the viewer and of everyone who shares a conversation or group with them. ' +
      'Live only (presence is not stored); query `presence` after (re)subscribing for the current state.',
    subscribe: (_r, _a, ctx) => {
      const me = viewer(ctx);
      return ctx.core.hub.subscribe(me.id, null, { sessionId: ctx.session!.id, expiresAt: ctx.session!.expiresAt }, (e) => e.kind === 'presence');
    },
    resolve: (e) => e as EventOf<'presence'>,
  }),
);
