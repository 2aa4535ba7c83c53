// The admin API for admin users and integrators' API keys (scopes): keys, bulk import, kicks,
// groups managed through their owner, messages as a user, compliance history.
// Startalk's counterpart is the :10050 /qtalk interface (../shared/startalk/PROTOCOL.md §6.9).
import type { ImportResult } from '../../core/admin/service.js';
import { MAX_IMPORT } from '../../core/admin/service.js';
import { API_SCOPES, type ApiKeyInfo } from '../../core/admin/scopes.js';
import type { GroupState } from '../../core/groups/types.js';
import type { Message } from '../../core/messages/types.js';
import { builder, principal } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { ConversationRef } from './conversation.js';
import { CreateGroupInput, GroupRef } from './group.js';
import { MessageRef } from './message.js';
import { UserRef } from './user.js';

export const ApiScopeEnum = builder.enumType('ApiScope', {
  description:
    'What an API key may do. USERS_READ: read users and groups; USERS_WRITE: create, update, freeze, import users; ' +
    'GROUPS_WRITE: create groups and manage members; MESSAGES_SEND: send messages and notifies as a user; ' +
    "MESSAGES_READ: any user's conversations and history (compliance); SESSIONS_KICK: end a user's sessions; " +
    'EVENTS_READ: the integrationEvents stream; WEBHOOKS_WRITE: manage webhooks and read their dead letters; ' +
    "ADMINS_WRITE: with USERS_WRITE, create admins, grant or remove the admin flag, change an admin's account " +
    '(as good as an admin user: give it sparingly).',
  values: API_SCOPES,
});

const ApiKeyRef = builder.objectRef<ApiKeyInfo>('ApiKey').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scopes: t.field({ type: [ApiScopeEnum], resolve: (k) => k.scopes }),
    createdAt: t.float({ description: 'ms since the epoch', resolve: (k) => k.createdAt.getTime() }),
    lastUsedAt: t.float({ nullable: true, description: 'to the minute', resolve: (k) => k.lastUsedAt?.getTime() ?? null }),
    revoked: t.boolean({ resolve: (k) => k.revokedAt !== null }),
  }),
});

const CreatedApiKey = builder.objectRef<{ key: ApiKeyInfo; secret: string }>('CreatedApiKey').implement({
  fields: (t) => ({
    apiKey: t.field({ type: ApiKeyRef, resolve: (c) => c.key }),
    secret: t.exposeString('secret', { description: 'send as "Authorization: Bearer <secret>"; shown only this once' }),
  }),
});

builder.mutationField('createApiKey', (t) =>
  t.field({
    type: CreatedApiKey,
    description: 'Admin users only. The key acts with exactly these scopes and never as a user.',
    args: { name: t.arg.string({ required: true }), scopes: t.arg({ type: [ApiScopeEnum], required: true }) },
    resolve: (_r, { name, scopes }, ctx) => ctx.core.apiKeys.create(principal(ctx), name, scopes),
  }),
);

builder.mutationField('revokeApiKey', (t) =>
  t.boolean({
    description: 'Admin users only. False when the key was unknown or already revoked; it stops working on every node at once and its streams end.',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.core.apiKeys.revoke(principal(ctx), String(id)),
  }),
);

builder.queryField('apiKeys', (t) =>
  t.field({
    type: [ApiKeyRef],
    description: 'Admin users only. Newest first; secrets are never shown again.',
    resolve: (_r, _a, ctx) => ctx.core.apiKeys.list(principal(ctx)),
  }),
);

builder.queryField('adminUser', (t) =>
  t.field({
    type: UserRef,
    description: 'USERS_READ. A user by address ("name" or "name@domain"), frozen ones included.',
    args: { address: t.arg.string({ required: true }) },
    resolve: (_r, { address }, ctx) => ctx.core.admin.user(principal(ctx), address),
  }),
);

const ImportUserInput = builder.inputType('ImportUserInput', {
  description: 'Give `password`, or `passwordHash` ("CRY:" + 32 hex, Startalk host_users.password) with `passwordSalt` (pwd_salt).',
  fields: (t) => ({
    username: t.string({ required: true }),
    password: t.string(),
    passwordHash: t.string(),
    passwordSalt: t.string(),
    displayName: t.string(),
    pinyin: t.string(),
    department: t.string(),
    avatarUrl: t.string(),
    isAdmin: t.boolean(),
  }),
});

const ImportError = builder.objectRef<{ code: string; message: string }>('ImportError').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

const ImportUserResult = builder.objectRef<ImportResult>('ImportUserResult').implement({
  fields: (t) => ({
    username: t.exposeString('username'),
    user: t.field({ type: UserRef, nullable: true, resolve: (r) => r.user ?? null }),
    error: t.field({ type: ImportError, nullable: true, description: 'why this row was not created (e.g. CONFLICT)', resolve: (r) => r.error ?? null }),
  }),
});

builder.mutationField('importUsers', (t) =>
  t.field({
    type: [ImportUserResult],
    description: `USERS_WRITE (a row with isAdmin also needs ADMINS_WRITE). Creates up to ${MAX_IMPORT} users; one result per row, in order; a bad row does not stop the others.`,
    args: { users: t.arg({ type: [ImportUserInput], required: true }) },
    resolve: (_r, { users }, ctx) => ctx.core.admin.importUsers(principal(ctx), users),
  }),
);

builder.mutationField('kickUser', (t) =>
  t.field({
    type: UserRef,
    description: "SESSIONS_KICK. Revokes all the user's sessions: tokens stop working, subscriptions and XMPP sessions end on every node.",
    args: { user: t.arg.string({ required: true, description: 'address' }) },
    resolve: (_r, { user }, ctx) => ctx.core.admin.kick(principal(ctx), user),
  }),
);

const asOwner = (g: GroupState) => {
  const owner = [...g.members.values()].find((m) => m.role === 'owner');
  return Object.assign(g, { viewerId: owner?.userId ?? '' });
};

builder.queryField('adminGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'USERS_READ. Any group with its members (myRole is the owner\'s).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => asOwner(await ctx.core.admin.group(principal(ctx), String(id))),
  }),
);

builder.mutationField('adminCreateGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'GROUPS_WRITE. A group owned by `owner`, as if they had created it.',
    args: { owner: t.arg.string({ required: true }), input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: async (_r, { owner, input }, ctx) => asOwner(await ctx.core.admin.createGroup(principal(ctx), owner, input)),
  }),
);

builder.mutationField('adminAddGroupMembers', (t) =>
  t.field({
    type: GroupRef,
    description: "GROUPS_WRITE. Added by the group's owner, under the group rules (member limit).",
    args: { groupId: t.arg.id({ required: true }), users: t.arg.stringList({ required: true }) },
    resolve: async (_r, { groupId, users }, ctx) => asOwner(await ctx.core.admin.addGroupMembers(principal(ctx), String(groupId), users)),
  }),
);

builder.mutationField('adminRemoveGroupMembers', (t) =>
  t.field({
    type: GroupRef,
    description: "GROUPS_WRITE. Removed by the group's owner (who cannot be removed; hand ownership over first).",
    args: { groupId: t.arg.id({ required: true }), users: t.arg.stringList({ required: true }) },
    resolve: async (_r, { groupId, users }, ctx) => asOwner(await ctx.core.admin.removeGroupMembers(principal(ctx), String(groupId), users)),
  }),
);

builder.mutationField('adminSetGroupOwner', (t) =>
  t.field({
    type: GroupRef,
    description: 'GROUPS_WRITE. Hands ownership to a member; the old owner becomes admin.',
    args: { groupId: t.arg.id({ required: true }), user: t.arg.string({ required: true }) },
    resolve: async (_r, { groupId, user }, ctx) => asOwner(await ctx.core.admin.setGroupOwner(principal(ctx), String(groupId), user)),
  }),
);

builder.mutationField('adminDestroyGroup', (t) =>
  t.boolean({
    description: "GROUPS_WRITE. Destroyed by its owner: read-only history for the last members.",
    args: { groupId: t.arg.id({ required: true }) },
    resolve: async (_r, { groupId }, ctx) => {
      await ctx.core.admin.destroyGroup(principal(ctx), String(groupId));
      return true;
    },
  }),
);

const AdminSendMessageInput = builder.inputType('AdminSendMessageInput', {
  fields: (t) => ({
    from: t.string({ required: true, description: 'the sender: any active user, e.g. a system account' }),
    to: t.string({ description: 'recipient address, for a 1:1 message' }),
    groupId: t.id({ description: 'or a group the sender belongs to' }),
    msgId: t.string({ description: 'client id; a retry with the same id returns the stored message' }),
    msgType: t.int({ description: 'Startalk msgType, default 1 (text)' }),
    body: t.string({ required: true }),
    extendInfo: t.string(),
    backupInfo: t.string(),
  }),
});

builder.mutationField('adminSendMessage', (t) =>
  t.field({
    type: MessageRef,
    description: 'MESSAGES_SEND. Sends as `from`, exactly as if they had sent it (same limits, same delivery).',
    args: { input: t.arg({ type: AdminSendMessageInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      ctx.core.admin.send(principal(ctx), { ...input, groupId: input.groupId == null ? null : String(input.groupId) }),
  }),
);

builder.queryField('adminConversations', (t) =>
  t.field({
    type: [ConversationRef],
    description: "MESSAGES_READ. A user's conversations, most recent first (to find what to export); `peer` is seen from that user.",
    args: { user: t.arg.string({ required: true }), first: t.arg.int({ defaultValue: 20 }), after: t.arg.string() },
    resolve: async (_r, { user, first, after }, ctx) => {
      const before = after != null ? decodeCursor('c', after, 'after') : undefined;
      const r = await ctx.core.admin.conversations(principal(ctx), user, first ?? 20, before);
      return r.list.map((c) => ({ ...c, viewerId: r.user.id }));
    },
  }),
);

const CompliancePage = builder.objectRef<{ messages: Message[]; hasNextPage: boolean }>('ComplianceMessagePage').implement({
  fields: (t) => ({
    messages: t.field({ type: [MessageRef], resolve: (p) => p.messages }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({
      nullable: true, description: 'pass as `after` for the next page',
      resolve: (p) => (p.messages.length ? encodeCursor('m', p.messages.at(-1)!.seq) : null),
    }),
  }),
});

builder.queryField('complianceMessages', (t) =>
  t.field({
    type: CompliancePage,
    description:
      'MESSAGES_READ. Any conversation\'s history, oldest first, optionally within [from, to) (ms since the epoch). ' +
      'Recalled messages show as recall markers, or with their original content with `includeRecalled`.',
    args: {
      conversationId: t.arg.id({ required: true }),
      from: t.arg.float(),
      to: t.arg.float(),
      first: t.arg.int({ defaultValue: 100 }),
      after: t.arg.string(),
      includeRecalled: t.arg.boolean({ defaultValue: false, description: 'recalled messages with their original content (recalled stays true)' }),
    },
    resolve: async (_r, a, ctx) => {
      const r = await ctx.core.admin.history(principal(ctx), String(a.conversationId), {
        afterSeq: a.after != null ? decodeCursor('m', a.after, 'after') : undefined,
        fromMs: a.from ?? undefined, toMs: a.to ?? undefined, limit: a.first ?? 100, originals: a.includeRecalled ?? false,
      });
      return { messages: r.messages, hasNextPage: r.hasMore };
    },
  }),
);
