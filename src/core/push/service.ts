// Device tokens, push settings and mutes (../shared/startalk/PROTOCOL.md §6.7): what a user
// controls. The worker (worker.ts) decides and sends.
import type { User } from '../accounts/types.js';
import { badInput } from '../errors.js';
import type { MessageService } from '../messages/service.js';
import type { ConversationId } from '../messages/types.js';
import type { PushStore } from './ports.js';
import { PushFlag, type PushDevice } from './types.js';

const TOKEN_RE = /^[A-Za-z0-9:_\-.+/=]{8,4096}$/;
const PLATFORM_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const MAX_DEVICES = 20;

export interface PushSettings {
  flags: number;
  enabled: boolean;
  showContent: boolean;
  pushWhileDesktopOnline: boolean;
}

export const settingsOf = (flags: number): PushSettings => ({
  flags,
  enabled: (flags & PushFlag.ENABLED) !== 0,
  showContent: (flags & PushFlag.SHOW_CONTENT) !== 0,
  pushWhileDesktopOnline: (flags & PushFlag.PUSH_WHILE_DESKTOP_ONLINE) !== 0,
});

export class PushService {
  constructor(private readonly store: PushStore, private readonly messages: MessageService) {}

  /**
   * Registers a device token for the actor; it stops being any other user's (a token is one
   * device, which one user uses at a time). `sessionId`: the session registering it, whose
   * end (logout) unregisters it; null when none (legacy clients).
   */
  async registerDevice(
    actor: User, d: { token: string; platform: string; os: string; package?: string | null }, sessionId: string | null = null,
  ): Promise<PushDevice> {
    const token = d.token.trim();
    if (!TOKEN_RE.test(token)) throw badInput('token must be 8-4096 characters of a device token', { field: 'token' });
    if (!PLATFORM_RE.test(d.platform)) throw badInput('platform must be a short name like ios, android, huawei', { field: 'platform' });
    const os = d.os.toLowerCase();
    if (os !== 'ios' && os !== 'android') throw badInput('os must be ios or android', { field: 'os' });
    const pkg = d.package?.trim() || null;
    if (pkg && !PLATFORM_RE.test(pkg.replace(/\./g, '_').slice(0, 32)) && pkg.length > 200) throw badInput('package is too long', { field: 'package' });
    const existing = await this.store.devices(actor.id);
    if (existing.length >= MAX_DEVICES && !existing.some((e) => e.token === token)) throw badInput(`at most ${MAX_DEVICES} push devices per user`);
    const device: PushDevice = { token, platform: d.platform.toLowerCase(), os, package: pkg };
    await this.store.registerDevice(actor.id, device, sessionId);
    return device;
  }

  /** Sessions ended (logout, password change, revocation): their devices get no more pushes. */
  sessionsEnded(ended: { userId: string; sessionId?: string; exceptSessionId?: string }): Promise<void> {
    return this.store.disableForEndedSessions(ended.userId, ended);
  }

  unregisterDevice(actor: User, token: string): Promise<boolean> {
    return this.store.unregisterDevice(actor.id, token.trim());
  }

  devices(actor: User): Promise<PushDevice[]> {
    return this.store.devices(actor.id);
  }

  async settings(actor: User): Promise<PushSettings> {
    return settingsOf(await this.store.flags(actor.id));
  }

  /** Sets or clears one flag bit (Startalk setmsgsettings index/status). */
  async setFlag(actor: User, bit: number, on: boolean): Promise<PushSettings> {
    if (!Object.values(PushFlag).includes(bit as never)) throw badInput('index must be 1, 2, 4, 8 or 16', { field: 'index' });
    const flags = await this.store.flags(actor.id);
    return settingsOf(await this.store.setFlags(actor.id, on ? flags | bit : flags & ~bit));
  }

  async update(actor: User, patch: { enabled?: boolean | null; showContent?: boolean | null; pushWhileDesktopOnline?: boolean | null }): Promise<PushSettings> {
    let flags = await this.store.flags(actor.id);
    const set = (bit: number, v: boolean | null | undefined) => {
      if (v != null) flags = v ? flags | bit : flags & ~bit;
    };
    set(PushFlag.ENABLED, patch.enabled);
    set(PushFlag.SHOW_CONTENT, patch.showContent);
    set(PushFlag.PUSH_WHILE_DESKTOP_ONLINE, patch.pushWhileDesktopOnline);
    return settingsOf(await this.store.setFlags(actor.id, flags));
  }

  /** Mutes pushes of one conversation the actor belongs to. */
  async mute(actor: User, conversationId: ConversationId, muted: boolean): Promise<void> {
    const conv = await this.messages.conversationFor(actor, conversationId);
    await this.store.setMuted(actor.id, conv.id, muted);
  }

  mutedConversations(actor: User): Promise<ConversationId[]> {
    return this.store.mutedConversations(actor.id);
  }
}
