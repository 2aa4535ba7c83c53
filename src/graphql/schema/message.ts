// Message type, sending, delivery/read marks and history paging (Relay-style connection).
import type { Message } from '../../core/messages/types.js';
import { DeliveryState, type DeliveryStateValue, type PageRequest } from '../../core/messages/types.js';
import { badInput } from '../../core/errors.js';
import { builder, viewer, type Context, type InputFields } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { UserRef } from './user.js';

export const DeliveryStateEnum = builder.enumType('DeliveryState', {
  description: "Startalk's read_flag: SENT 0, DELIVERED 1, READ 3",
  values: {
    SENT: { value: DeliveryState.SENT },
    DELIVERED: { value: DeliveryState.DELIVERED },
    READ: { value: DeliveryState.READ },
  } as const,
});

export const MessageRef = builder.objectRef<Message>('Message').implement({
  fields: (t) => ({
    id: t.exposeID('seq', { description: 'server id; also its position in the event stream' }),
    msgId: t.exposeString('msgId', { description: 'client-chosen id (Startalk msg_id), unique per sender' }),
    conversationId: t.exposeID('conversationId'),
    from: t.field({ type: UserRef, resolve: (m, _a, ctx) => ctx.core.accounts.userById(m.senderId) }),
    to: t.field({
      type: UserRef,
      nullable: true,
      description: 'the recipient of a 1:1 message',
      resolve: async (m, _a, ctx) => {
        const peer = await ctx.core.messages.recipientOf(m);
        return peer ? ctx.core.accounts.userById(peer) : null;
      },
    }),
    msgType: t.exposeInt('msgType', { description: 'Startalk msgType: 1 text, 2 voice, 3 image, 5 file, 32 video…' }),
    body: t.exposeString('body'),
    extendInfo: t.exposeString('extendInfo', { nullable: true }),
    backupInfo: t.exposeString('backupInfo', { nullable: true }),
    createdAt: t.float({ description: 'server time, ms since the epoch', resolve: (m) => m.createdAt }),
    state: t.field({ type: DeliveryStateEnum, description: '1:1 only; group read state is a per-member pointer', resolve: (m) => m.state }),
    recalled: t.boolean({ description: 'recalled by its sender: body is empty and msgType -1', resolve: (m) => m.recalledAt !== null }),
    recalledAt: t.float({ nullable: true, resolve: (m) => m.recalledAt }),
  }),
});

/** The content fields shared by 1:1 and group sends. */
const contentFields = (t: InputFields) => ({
  msgId: t.string({ description: 'client id; a retry with the same id returns the stored message' }),
  msgType: t.int({ description: 'Startalk msgType, default 1 (text)' }),
  body: t.string({ required: true }),
  extendInfo: t.string(),
  backupInfo: t.string(),
});

const SendMessageInput = builder.inputType('SendMessageInput', {
  fields: (t) => ({
    to: t.string({ required: true, description: 'recipient: "name" or "name@domain"' }),
    ...contentFields(t),
  }),
});

builder.mutationField('sendMessage', (t) =>
  t.field({
    type: MessageRef,
    description: 'Sends a 1:1 message. Returns once it is stored.',
    args: { input: t.arg({ type: SendMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.core.messages.sendDirect(viewer(ctx), input),
  }),
);

const SendGroupMessageInput = builder.inputType('SendGroupMessageInput', {
  fields: (t) => ({ groupId: t.id({ required: true }), ...contentFields(t) }),
});

builder.mutationField('sendGroupMessage', (t) =>
  t.field({
    type: MessageRef,
    description: "Posts in a group (members only). Delivered to every member's devices, the sender's included.",
    args: { input: t.arg({ type: SendGroupMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.core.messages.sendGroup(viewer(ctx), { ...input, groupId: String(input.groupId) }),
  }),
);

builder.mutationField('recallMessage', (t) =>
  t.field({
    type: MessageRef,
    description: 'The sender recalls a message within the recall window (default 120 s, as in Startalk).',
    args: { messageId: t.arg.id({ required: true }) },
    resolve: (_r, { messageId }, ctx) => ctx.core.messages.recall(viewer(ctx), String(messageId)),
  }),
);

builder.mutationField('markGroupRead', (t) =>
  t.boolean({
    description: 'Moves your read pointer in a group up to and including a message (Startalk read_type 2).',
    args: { groupId: t.arg.id({ required: true }), upTo: t.arg.id({ required: true }) },
    resolve: async (_r, { groupId, upTo }, ctx) => {
      await ctx.core.messages.markGroupRead(viewer(ctx), String(groupId), String(upTo));
      return true;
    },
  }),
);

builder.mutationField('markAllRead', (t) =>
  t.boolean({
    description: 'Everything you received up to `before` (ms since the epoch) is read (Startalk read_type 0).',
    args: { before: t.arg.float({ required: true }) },
    resolve: async (_r, { before }, ctx) => {
      await ctx.core.messages.markAllRead(viewer(ctx), before);
      return true;
    },
  }),
);

builder.mutationField('sendTyping', (t) =>
  t.boolean({
    description: 'Tells the peer (`to`) or the group that you are typing. Never stored; rate-limited.',
    args: { to: t.arg.string(), groupId: t.arg.id() },
    resolve: async (_r, { to, groupId }, ctx) => {
      await ctx.core.messages.typing(viewer(ctx), { to, groupId: groupId == null ? null : String(groupId) });
      return true;
    },
  }),
);

const MarkResult = builder.objectRef<{ changed: string[] }>('MarkMessagesPayload').implement({
  fields: (t) => ({
    changedIds: t.idList({ description: 'messages whose state was raised', resolve: (p) => p.changed }),
  }),
});

builder.mutationField('markMessages', (t) =>
  t.field({
    type: MarkResult,
    description: 'Marks received 1:1 messages DELIVERED or READ (Startalk read_type 3 / 4). States only rise. '
      + 'In a group, READ moves only your read pointer (as markGroupRead) and changedIds is empty: one member never changes what others see.',
    args: {
      conversationId: t.arg.id({ required: true }),
      messageIds: t.arg.idList({ required: true }),
      state: t.arg({ type: DeliveryStateEnum, required: true }),
    },
    resolve: async (_r, args, ctx) => {
      if (args.state === DeliveryState.SENT) throw badInput('state must be DELIVERED or READ', { field: 'state' });
      const ev = await ctx.core.messages.markMessages(
        viewer(ctx), String(args.conversationId), args.messageIds.map(String), args.state as DeliveryStateValue,
      );
      return { changed: ev?.messageSeqs ?? [] };
    },
  }),
);

// ---- history ----

const PageInfo = builder
  .objectRef<{ hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null }>('PageInfo')
  .implement({
    fields: (t) => ({
      hasNextPage: t.exposeBoolean('hasNextPage'),
      hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
      startCursor: t.exposeString('startCursor', { nullable: true }),
      endCursor: t.exposeString('endCursor', { nullable: true }),
    }),
  });

type Connection = { edges: Message[]; pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null } };

const MessageEdge = builder.objectRef<Message>('MessageEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (m) => encodeCursor('m', m.seq) }),
    node: t.field({ type: MessageRef, resolve: (m) => m }),
  }),
});

const MessageConnection = builder.objectRef<Connection>('MessageConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [MessageEdge], resolve: (c) => c.edges }),
    nodes: t.field({ type: [MessageRef], resolve: (c) => c.edges }),
    pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
  }),
});

const MessageOrder = builder.enumType('MessageOrder', { values: ['NEWEST_FIRST', 'OLDEST_FIRST'] as const });

builder.queryField('messages', (t) =>
  t.field({
    type: MessageConnection,
    description:
      'History of one conversation, given by peer address (`with`) or id. Edges are in `order`; ' +
      '`first`/`after` page forward in that order, `last`/`before` backward.',
    args: {
      with: t.arg.string(),
      conversationId: t.arg.id(),
      first: t.arg.int(),
      after: t.arg.string(),
      last: t.arg.int(),
      before: t.arg.string(),
      order: t.arg({ type: MessageOrder, defaultValue: 'NEWEST_FIRST' }),
    },
    resolve: async (_r, args, ctx) => history(ctx, args),
  }),
);

async function history(
  ctx: Context,
  args: {
    with?: string | null; conversationId?: string | number | null; first?: number | null; after?: string | null;
    last?: number | null; before?: string | null; order?: 'NEWEST_FIRST' | 'OLDEST_FIRST' | null;
  },
): Promise<Connection> {
  const me = viewer(ctx);
  if ((args.with == null) === (args.conversationId == null)) throw badInput('give exactly one of `with` and `conversationId`');
  if (args.first != null && args.last != null) throw badInput('give `first` or `last`, not both');
  const conv = args.with != null
    ? await ctx.core.messages.directWith(me, args.with)
    : await ctx.core.messages.conversationFor(me, String(args.conversationId));
  const after = args.after != null ? decodeCursor('m', args.after, 'after') : undefined;
  const before = args.before != null ? decodeCursor('m', args.before, 'before') : undefined;
  const newestFirst = (args.order ?? 'NEWEST_FIRST') === 'NEWEST_FIRST';
  // Translate cursors in display order into seq bounds.
  const bounds: Pick<PageRequest, 'beforeSeq' | 'afterSeq'> = newestFirst
    ? { beforeSeq: after, afterSeq: before }
    : { afterSeq: after, beforeSeq: before };
  const backward = args.last != null;
  const n = backward ? args.last! : args.first ?? 20;
  const fromNewest = newestFirst !== backward;
  const { messages: page, hasMore: more } = await ctx.core.messages.history(me, conv.id, {
    ...bounds, limit: n, from: fromNewest ? 'newest' : 'oldest',
  });
  if (backward) page.reverse();
  return {
    edges: page,
    pageInfo: {
      hasNextPage: backward ? before !== undefined : more,
      hasPreviousPage: backward ? more : after !== undefined,
      startCursor: page.length ? encodeCursor('m', page[0]!.seq) : null,
      endCursor: page.length ? encodeCursor('m', page[page.length - 1]!.seq) : null,
    },
  };
}
