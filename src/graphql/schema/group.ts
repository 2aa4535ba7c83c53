// Groups (Startalk MUC rooms): card, members and roles, membership mutations, incremental sync.
import type { GroupCard, GroupMember, GroupRole, GroupState, MembershipStatus } from '../../core/groups/types.js';
import { badInput } from '../../core/errors.js';
import { builder, viewer } from '../builder.js';
import { decodeCursor, encodeCursor } from '../cursors.js';
import { UserRef } from './user.js';

export const GroupRoleEnum = builder.enumType('GroupRole', {
  values: { OWNER: { value: 'owner' }, ADMIN: { value: 'admin' }, MEMBER: { value: 'member' } } as const,
});

const MembershipStatusEnum = builder.enumType('MembershipStatus', {
  values: {
    MEMBER: { value: 'member' }, LEFT: { value: 'left' }, REMOVED: { value: 'removed' }, DESTROYED: { value: 'destroyed' },
  } as const,
});

export const GroupCardRef = builder.objectRef<GroupCard>('GroupCard').implement({
  description: 'A group\'s card (Startalk muc_vcard_info); version increases on every change.',
  fields: (t) => ({
    id: t.exposeID('id'),
    roomName: t.exposeString('roomName', {
      description: 'Startalk room name: XMPP clients address the group as <roomName>@conference.<domain>. Never changes.',
    }),
    name: t.exposeString('name', { description: 'empty for a room created over XMPP until its card is set' }),
    topic: t.exposeString('topic', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    pictureUrl: t.exposeString('pictureUrl', { nullable: true }),
    version: t.exposeInt('version'),
    createdAt: t.float({ description: 'ms since the epoch', resolve: (c) => c.createdAt }),
    destroyed: t.exposeBoolean('destroyed'),
    memberCount: t.exposeInt('memberCount'),
  }),
});

const GroupMemberRef = builder.objectRef<GroupMember>('GroupMember').implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (m, _a, ctx) => ctx.core.accounts.userById(m.userId) }),
    role: t.field({ type: GroupRoleEnum, resolve: (m) => m.role }),
    joinedAt: t.float({ resolve: (m) => m.joinedAt.getTime() }),
  }),
});

export const GroupRef = builder.objectRef<GroupState & { viewerId: string }>('Group').implement({
  fields: (t) => ({
    id: t.id({ resolve: (g) => g.card.id }),
    card: t.field({ type: GroupCardRef, resolve: (g) => g.card }),
    myRole: t.field({ type: GroupRoleEnum, nullable: true, resolve: (g) => g.members.get(g.viewerId)?.role ?? null }),
    members: t.field({
      type: [GroupMemberRef],
      description: 'owner first, then admins, then members by join time',
      resolve: (g) => {
        const rank = { owner: 0, admin: 1, member: 2 } as const;
        return [...g.members.values()].sort((a, b) => rank[a.role] - rank[b.role] || a.joinedAt.getTime() - b.joinedAt.getTime());
      },
    }),
  }),
});

const withViewer = (g: GroupState, viewerId: string) => Object.assign(g, { viewerId });

const SyncEntry = builder.objectRef<{ card: GroupCard; status: MembershipStatus; role: GroupRole }>('GroupSyncEntry').implement({
  fields: (t) => ({
    card: t.field({ type: GroupCardRef, resolve: (e) => e.card }),
    status: t.field({ type: MembershipStatusEnum, resolve: (e) => e.status }),
    role: t.field({ type: GroupRoleEnum, resolve: (e) => e.role }),
  }),
});

const GroupSync = builder.objectRef<{ entries: { card: GroupCard; status: MembershipStatus; role: GroupRole }[]; cursor: string }>('GroupSync').implement({
  fields: (t) => ({
    entries: t.field({ type: [SyncEntry], resolve: (s) => s.entries }),
    cursor: t.exposeString('cursor', { description: 'pass as changedSince next time' }),
  }),
});

builder.queryField('group', (t) =>
  t.field({
    type: GroupRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_r, { id }, ctx) => {
      const me = viewer(ctx);
      return withViewer(await ctx.core.groups.state(me, String(id)), me.id);
    },
  }),
);

builder.queryField('myGroups', (t) =>
  t.field({
    type: GroupSync,
    description:
      'Without changedSince: every group the viewer is in. With it: every group whose card or whose ' +
      'membership of the viewer changed since then, including groups left, removed from or destroyed.',
    args: { changedSince: t.arg.string() },
    resolve: async (_r, { changedSince }, ctx) => {
      const me = viewer(ctx);
      const since = changedSince != null ? decodeCursor('e', changedSince, 'changedSince') : null;
      // Read the position first: a change committed meanwhile is reported now and again next time, never lost.
      const cursor = encodeCursor('e', await ctx.core.hub.position());
      return { entries: await ctx.core.groups.sync(me, since), cursor };
    },
  }),
);

export const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    topic: t.string(),
    description: t.string(),
    pictureUrl: t.string(),
    members: t.stringList({ description: 'addresses of the other initial members' }),
  }),
});

const UpdateGroupInput = builder.inputType('UpdateGroupInput', {
  fields: (t) => ({ name: t.string(), topic: t.string(), description: t.string(), pictureUrl: t.string() }),
});

builder.mutationField('createGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'The creator becomes owner and member.',
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: async (_r, { input }, ctx) => {
      const me = viewer(ctx);
      return withViewer(await ctx.core.groups.create(me, input), me.id);
    },
  }),
);

builder.mutationField('inviteToGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'Any member may invite; bounded by the member limit.',
    args: { groupId: t.arg.id({ required: true }), users: t.arg.stringList({ required: true }) },
    resolve: async (_r, { groupId, users }, ctx) => {
      const me = viewer(ctx);
      if (users.length === 0) throw badInput('give at least one user', { field: 'users' });
      return withViewer(await ctx.core.groups.invite(me, String(groupId), users), me.id);
    },
  }),
);

builder.mutationField('leaveGroup', (t) =>
  t.boolean({
    description: 'An owner who leaves hands ownership to the longest-standing admin, else member.',
    args: { groupId: t.arg.id({ required: true }) },
    resolve: async (_r, { groupId }, ctx) => {
      await ctx.core.groups.leave(viewer(ctx), String(groupId));
      return true;
    },
  }),
);

builder.mutationField('removeFromGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'Owner removes anyone; admins remove plain members.',
    args: { groupId: t.arg.id({ required: true }), user: t.arg.string({ required: true }) },
    resolve: async (_r, { groupId, user }, ctx) => {
      const me = viewer(ctx);
      return withViewer(await ctx.core.groups.remove(me, String(groupId), user), me.id);
    },
  }),
);

builder.mutationField('setGroupRole', (t) =>
  t.field({
    type: GroupRef,
    description: 'Owner only. Making someone OWNER hands ownership over (the old owner becomes ADMIN).',
    args: {
      groupId: t.arg.id({ required: true }), user: t.arg.string({ required: true }),
      role: t.arg({ type: GroupRoleEnum, required: true }),
    },
    resolve: async (_r, { groupId, user, role }, ctx) => {
      const me = viewer(ctx);
      return withViewer(await ctx.core.groups.setRole(me, String(groupId), user, role), me.id);
    },
  }),
);

builder.mutationField('updateGroup', (t) =>
  t.field({
    type: GroupRef,
    description: 'Owner or admin; an omitted field is unchanged, null clears it.',
    args: { groupId: t.arg.id({ required: true }), input: t.arg({ type: UpdateGroupInput, required: true }) },
    resolve: async (_r, { groupId, input }, ctx) => {
      const me = viewer(ctx);
      if (input.name === null) throw badInput('name cannot be cleared', { field: 'name' });
      return withViewer(await ctx.core.groups.updateCard(me, String(groupId), { ...input, name: input.name }), me.id);
    },
  }),
);

builder.mutationField('destroyGroup', (t) =>
  t.boolean({
    description: 'Owner only. The group becomes read-only history for its last members.',
    args: { groupId: t.arg.id({ required: true }) },
    resolve: async (_r, { groupId }, ctx) => {
      await ctx.core.groups.destroy(viewer(ctx), String(groupId));
      return true;
    },
  }),
);
