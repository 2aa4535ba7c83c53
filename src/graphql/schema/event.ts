// The per-user live event stream with resume from a cursor.
import type { DomainEvent } from '../../core/events/types.js';
import { builder, viewer } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { DeliveryStateEnum, MessageRef } from './message.js';
import { UserRef } from './user.js';

type AddedEvent = Extract<DomainEvent, { kind: 'message.added' }>;
type StateEvent = Extract<DomainEvent, { kind: 'message.state' }>;

const EventRef = builder.interfaceRef<DomainEvent>('Event').implement({
  description: 'Something that happened in one of the viewer\'s conversations. Resume with `events(since: cursor)`.',
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodeCursor('e', e.seq) }),
  }),
  resolveType: (e) => (e.kind === 'message.added' ? 'MessageAddedEvent' : 'MessageStateEvent'),
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
    state: t.field({ type: DeliveryStateEnum, resolve: (e) => e.state }),
    by: t.field({ type: UserRef, resolve: (e, _a, ctx) => ctx.core.accounts.userById(e.by) }),
    at: t.float({ description: 'ms since the epoch', resolve: (e) => e.at }),
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
      return ctx.core.hub.subscribe(me.id, seq, { sessionId: ctx.session!.id, expiresAt: ctx.session!.expiresAt });
    },
    resolve: (e) => e,
  }),
);
