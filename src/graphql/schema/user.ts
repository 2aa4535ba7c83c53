// User type, the viewer, sign-in and account administration.
import type { User } from '../../core/accounts/types.js';
import { builder, principal, viewer } from '../builder.js';
import { userJid } from '../../startalk/address.js';

export const UserRef = builder.objectRef<User>('User').implement({
  description: 'An account. Its address is username@domain (Startalk: user_id@host).',
  fields: (t) => ({
    id: t.exposeID('id'),
    username: t.exposeString('username'),
    domain: t.exposeString('domain'),
    jid: t.string({ description: 'XMPP bare JID', resolve: (u) => userJid(u) }),
    displayName: t.exposeString('displayName'),
    pinyin: t.exposeString('pinyin', { nullable: true }),
    department: t.exposeString('department', { nullable: true }),
    avatarUrl: t.exposeString('avatarUrl', { nullable: true }),
    frozen: t.exposeBoolean('frozen'),
    isAdmin: t.exposeBoolean('isAdmin'),
    version: t.exposeInt('version', { description: 'increases on every change of the card' }),
  }),
});

const LoginPayload = builder.objectRef<{ token: string; expiresAt: Date; user: User }>('LoginPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', { description: 'bearer token: send as "Authorization: Bearer <token>"' }),
    expiresAt: t.string({ resolve: (p) => p.expiresAt.toISOString() }),
    user: t.field({ type: UserRef, resolve: (p) => p.user }),
  }),
});

builder.queryField('me', (t) => t.field({ type: UserRef, resolve: (_r, _a, ctx) => viewer(ctx) }));

builder.queryField('user', (t) =>
  t.field({
    type: UserRef,
    description: 'A user by address ("name" or "name@domain").',
    args: { address: t.arg.string({ required: true }) },
    resolve: (_r, { address }, ctx) => {
      viewer(ctx);
      return ctx.core.accounts.findByAddress(address);
    },
  }),
);

builder.mutationField('login', (t) =>
  t.field({
    type: LoginPayload,
    args: { username: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: (_r, { username, password }, ctx) => ctx.core.accounts.login(username, password, ctx.userAgent),
  }),
);

builder.mutationField('logout', (t) =>
  t.boolean({
    description: 'Revokes the token of this request.',
    resolve: async (_r, _a, ctx) => {
      viewer(ctx);
      await ctx.core.accounts.logout(ctx.session!);
      return true;
    },
  }),
);

builder.mutationField('changePassword', (t) =>
  t.boolean({
    description: "Changes the viewer's password and revokes their other sessions.",
    args: { oldPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    resolve: async (_r, { oldPassword, newPassword }, ctx) => {
      viewer(ctx);
      await ctx.core.accounts.changePassword(ctx.session!, oldPassword, newPassword);
      return true;
    },
  }),
);

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    username: t.string({ required: true }),
    password: t.string({ required: true }),
    displayName: t.string(),
    pinyin: t.string(),
    department: t.string(),
    avatarUrl: t.string(),
    isAdmin: t.boolean(),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  fields: (t) => ({
    displayName: t.string(),
    pinyin: t.string(),
    department: t.string(),
    avatarUrl: t.string(),
    frozen: t.boolean({ description: 'a frozen user cannot sign in; their sessions are revoked' }),
    isAdmin: t.boolean(),
    password: t.string({ description: "resets the password and revokes the user's sessions" }),
  }),
});

builder.mutationField('createUser', (t) =>
  t.field({
    type: UserRef,
    description: 'Admin users, or API keys with USERS_WRITE (and ADMINS_WRITE for `isAdmin: true`).',
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_r, { input }, ctx) => ctx.core.admin.createUser(principal(ctx), input),
  }),
);

builder.mutationField('updateUser', (t) =>
  t.field({
    type: UserRef,
    description:
      'Admin users, or API keys with USERS_WRITE (and ADMINS_WRITE to set `isAdmin` or change an admin). ' +
      '`frozen: true`, a new password or a changed `isAdmin` ends the account\'s sessions.',
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateUserInput, required: true }) },
    resolve: (_r, { id, input }, ctx) => ctx.core.admin.updateUser(principal(ctx), String(id), input),
  }),
);
