// Recent conversations with their last message and unread count.
import type { ConversationSummary } from '../../core/messages/types.js';
import { builder, viewer } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { MessageRef } from './message.js';
import { UserRef } from './user.js';

const ConversationKind = builder.enumType('ConversationKind', { values: ['DIRECT', 'GROUP'] as const });

export const ConversationRef = builder.objectRef<ConversationSummary & { viewerId: string }>('Conversation').implement({
  fields: (t) => ({
    id: t.id({ resolve: (c) => c.conversation.id }),
    cursor: t.string({ description: 'pass as `after` to get older conversations', resolve: (c) => encodeCursor('c', c.lastMessage.seq) }),
    kind: t.field({ type: ConversationKind, resolve: (c) => (c.conversation.kind === 'direct' ? 'DIRECT' : 'GROUP') }),
    peer: t.field({
      type: UserRef,
      nullable: true,
      description: 'the other participant of a 1:1 conversation',
      resolve: (c, _a, ctx) => {
        const id = c.conversation.memberIds.find((m) => m !== c.viewerId);
        return c.conversation.kind === 'direct' && id ? ctx.core.accounts.userById(id) : null;
      },
    }),
    name: t.string({ nullable: true, description: 'group name', resolve: (c) => c.name }),
    lastMessage: t.field({ type: MessageRef, resolve: (c) => c.lastMessage }),
    unreadCount: t.int({
      description: '1:1: messages from the peer not yet READ; groups: messages from others after your read pointer',
      resolve: (c) => c.unreadCount,
    }),
  }),
});

builder.queryField('conversations', (t) =>
  t.field({
    type: [ConversationRef],
    description: "The viewer's conversations that have messages, most recent first.",
    args: { first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: async (_r, { first, after }, ctx) => {
      const me = viewer(ctx);
      const before = after != null ? decodeCursor('c', after, 'after') : undefined;
      const list = await ctx.core.messages.conversations(me, first ?? 20, before);
      return list.map((c) => ({ ...c, viewerId: me.id }));
    },
  }),
);
