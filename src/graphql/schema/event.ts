// The per-user live event stream with resume from a cursor.
// RULE: nothing reachable from an Event may depend on the viewer (ctx.session): over
// WebSocket an event is rendered once per query and the result shared by all its
// subscribers (src/graphql/shared-subscribe.ts).
import type { DomainEvent, EventOf } from '../../core/events/types.js';
import { ONLINE_CLIENTS } from '../../core/notify/service.js';
import { builder, viewer } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { GroupCardRef, GroupRoleEnum } from './group.js';
import { DeliveryStateEnum, MessageRef } from './message.js';
import { UserRef } from './user.js';

type AddedEvent = EventOf<'message.added'>;
type StateEvent = EventOf<'message.state'>;

const TYPE_OF: Record<DomainEvent['kind'], string> = {
  'message.added': 'MessageAddedEvent',
  'message.state': 'MessageStateEvent',
  'message.recalled': 'MessageRecalledEvent',
  'group.members': 'GroupMembersEvent',
  'group.updated': 'GroupUpdatedEvent',
  'group.destroyed': 'GroupDestroyedEvent',
  'group.read': 'GroupReadEvent',
  typing: 'TypingEvent',
  presence: 'PresenceEvent',
  notify: 'NotifyEvent',
};

export const EventRef = builder.interfaceRef<DomainEvent>('Event').implement({
  description: 'Something that happened in one of the viewer\'s conversations. Resume with `events(since: cursor)`.',
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodeCursor('e', e.seq) }),
  }),
  resolveType: (e) => TYPE_OF[e.kind],
});

builder.objectRef<AddedEvent>('MessageAddedEvent').implement({
  interfaces: [EventRef],
  isTypeOf: (e) => (e as DomainEvent).kind === 'message.added',
  fields: (t) => ({
    message: t.field({ type: MessageRef, resolve: (e) => e.message }),
  }),
});

builder.objectRef<StateEvent>('MessageStateEvent').implement({
  interfaces: [EventRef],
  description: 'Delivery state of messages was raised by their recipient.',
  isTypeOf: (e) => (e as DomainEvent).kind === 'message.state',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    messageIds: t.idList({ resolve: (e) => e.messageSeqs }),
    msgIds: t.stringList({ description: 'their client ids, same order', resolve: (e) => e.msgIds ?? [] }),
    state: t.field({ type: DeliveryStateEnum, resolve: (e) => e.state }),
    by: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.by) }),
    at: t.float({ description: 'ms since the epoch', resolve: (e) => e.at }),
  }),
});

builder.objectRef<EventOf<'message.recalled'>>('MessageRecalledEvent').implement({
  interfaces: [EventRef],
  description: 'A message was recalled by its sender; history now shows the recall marker.',
  isTypeOf: (e) => (e as DomainEvent).kind === 'message.recalled',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    messageId: t.exposeID('messageSeq'),
    msgId: t.exposeString('msgId'),
    by: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.by) }),
    at: t.float({ resolve: (e) => e.at }),
  }),
});

const MemberChange = builder.enumType('GroupMemberChange', { values: ['JOINED', 'LEFT', 'REMOVED', 'ROLE_CHANGED'] as const });
const CHANGE = { joined: 'JOINED', left: 'LEFT', removed: 'REMOVED', role: 'ROLE_CHANGED' } as const;

builder.objectRef<EventOf<'group.members'>>('GroupMembersEvent').implement({
  interfaces: [EventRef],
  description: 'Members joined, left, were removed, or had their role changed.',
  isTypeOf: (e) => (e as DomainEvent).kind === 'group.members',
  fields: (t) => ({
    groupId: t.exposeID('conversationId'),
    change: t.field({ type: MemberChange, resolve: (e) => CHANGE[e.change] }),
    users: t.field({
      type: [UserRef],
      resolve: async (e, _a, ctx) => {
        const found = await ctx.core.accounts.usersByIds(e.userIds);
        return e.userIds.map((id) => found.get(id)).filter((u) => u !== undefined);
      },
    }),
    role: t.field({ type: GroupRoleEnum, nullable: true, description: 'the new role, for ROLE_CHANGED', resolve: (e) => e.role ?? null }),
    by: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.by) }),
    card: t.field({ type: GroupCardRef, resolve: (e) => e.card }),
    at: t.float({ resolve: (e) => e.at }),
  }),
});

for (const [name, kind, description] of [
  ['GroupUpdatedEvent', 'group.updated', 'The group card changed.'],
  ['GroupDestroyedEvent', 'group.destroyed', 'The owner destroyed the group.'],
] as const) {
  builder.objectRef<EventOf<'group.updated' | 'group.destroyed'>>(name).implement({
    interfaces: [EventRef],
    description,
    isTypeOf: (e) => (e as DomainEvent).kind === kind,
    fields: (t) => ({
      groupId: t.exposeID('conversationId'),
      card: t.field({ type: GroupCardRef, resolve: (e) => e.card }),
      by: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.by) }),
      at: t.float({ resolve: (e) => e.at }),
    }),
  });
}

builder.objectRef<EventOf<'group.read'>>('GroupReadEvent').implement({
  interfaces: [EventRef],
  description: 'Your read pointer in a group moved (sent to your own devices).',
  isTypeOf: (e) => (e as DomainEvent).kind === 'group.read',
  fields: (t) => ({
    groupId: t.exposeID('conversationId'),
    readUpTo: t.exposeID('readSeq', { description: 'messages up to this id are read' }),
    at: t.float({ resolve: (e) => e.at }),
  }),
});

builder.objectRef<EventOf<'typing'>>('TypingEvent').implement({
  interfaces: [EventRef],
  description: 'Someone is typing. Ephemeral: never replayed; its cursor is the last stored event you got.',
  isTypeOf: (e) => (e as DomainEvent).kind === 'typing',
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    user: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.userId) }),
    at: t.float({ resolve: (e) => e.at }),
  }),
});

builder.queryField('eventCursor', (t) =>
  t.string({
    description: 'The current end of the event stream: subscribe with it to miss nothing from now on.',
    resolve: async (_r, _a, ctx) => {
      viewer(ctx);
      return encodeCursor('e', await ctx.core.hub.position());
    },
  }),
);

builder.subscriptionField('events', (t) =>
  t.field({
    type: EventRef,
    description:
      'Live events for every device of the viewer. With `since`, first replays everything after that cursor ' +
      '(no gap, no duplicate), then continues live.',
    args: { since: t.arg.string() },
    subscribe: (_r, { since }, ctx) => {
      const me = viewer(ctx);
      const seq = since != null ? decodeCursor('e', since, 'since') : null;
      const stream = ctx.core.hub.subscribe(
        me.id, seq, { sessionId: ctx.session!.id, expiresAt: ctx.session!.expiresAt },
        // presence has its own subscription; the online-clients notify is for Startalk clients (query `presence`)
        (e) => e.kind !== 'presence' && !(e.kind === 'notify' && e.category === ONLINE_CLIENTS),
      );
      return ctx.core.presence.track(me, ctx.session!.id, stream); // a live subscription is an online device
    },
    resolve: (e) => e,
  }),
);
