// Offline push: device tokens, settings (Startalk's flags), per-conversation mutes.
import type { PushDevice } from '../../core/push/types.js';
import type { PushSettings } from '../../core/push/service.js';
import { builder, viewer } from '../builder.js';

const PushOs = builder.enumType('PushOs', { values: { IOS: { value: 'ios' }, ANDROID: { value: 'android' } } as const });

const PushDeviceRef = builder.objectRef<PushDevice>('PushDevice').implement({
  fields: (t) => ({
    token: t.exposeString('token'),
    platform: t.exposeString('platform', { description: 'ios, android, huawei, xiaomi… (the gateway picks the provider)' }),
    os: t.field({ type: PushOs, resolve: (d) => d.os }),
    package: t.exposeString('package', { nullable: true }),
  }),
});

const PushSettingsRef = builder.objectRef<PushSettings & { muted: string[] }>('PushSettings').implement({
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled', { description: 'master switch' }),
    showContent: t.exposeBoolean('showContent', { description: 'notifications show the text' }),
    pushWhileDesktopOnline: t.exposeBoolean('pushWhileDesktopOnline', { description: 'push even while only a desktop session is online' }),
    flags: t.exposeInt('flags', { description: "Startalk's bit flags (1 content, 2 desktop, 4 sound, 8 vibrate, 16 enabled)" }),
    mutedConversations: t.idList({ resolve: (s) => s.muted }),
    devices: t.field({ type: [PushDeviceRef], resolve: (_s, _a, ctx) => ctx.core.push.devices(viewer(ctx)) }),
  }),
});

const withMutes = async (ctx: Parameters<typeof viewer>[0], s: PushSettings) => ({ ...s, muted: await ctx.core.push.mutedConversations(viewer(ctx)) });

builder.queryField('pushSettings', (t) =>
  t.field({ type: PushSettingsRef, resolve: async (_r, _a, ctx) => withMutes(ctx, await ctx.core.push.settings(viewer(ctx))) }),
);

builder.mutationField('registerPushDevice', (t) =>
  t.field({
    type: PushDeviceRef,
    description: 'Registers (or re-enables) a device token for offline pushes. A token is one user\'s at a time: '
      + 'registering it takes it from anyone else. Logging this session out unregisters it.',
    args: {
      token: t.arg.string({ required: true }),
      platform: t.arg.string({ required: true }),
      os: t.arg({ type: PushOs, required: true }),
      package: t.arg.string(),
    },
    resolve: (_r, a, ctx) => ctx.core.push.registerDevice(
      viewer(ctx), { token: a.token, platform: a.platform, os: a.os, package: a.package }, ctx.session?.id ?? null,
    ),
  }),
);

builder.mutationField('unregisterPushDevice', (t) =>
  t.boolean({
    description: 'Stops pushes to a device token; false when it was not registered.',
    args: { token: t.arg.string({ required: true }) },
    resolve: (_r, { token }, ctx) => ctx.core.push.unregisterDevice(viewer(ctx), token),
  }),
);

builder.mutationField('updatePushSettings', (t) =>
  t.field({
    type: PushSettingsRef,
    args: { enabled: t.arg.boolean(), showContent: t.arg.boolean(), pushWhileDesktopOnline: t.arg.boolean() },
    resolve: async (_r, a, ctx) => withMutes(ctx, await ctx.core.push.update(viewer(ctx), a)),
  }),
);

builder.mutationField('mutePushes', (t) =>
  t.boolean({
    description: 'Mutes (or unmutes) offline pushes of one of your conversations.',
    args: { conversationId: t.arg.id({ required: true }), muted: t.arg.boolean({ required: true }) },
    resolve: async (_r, { conversationId, muted }, ctx) => {
      await ctx.core.push.mute(viewer(ctx), String(conversationId), muted);
      return true;
    },
  }),
);
