// Push value types (../shared/startalk/PROTOCOL.md §6.7, §9).
import type { UserId } from '../accounts/types.js';
import type { ConversationId } from '../messages/types.js';

/** COMPAT: Startalk's push setting bits (setmsgsettings index). */
export const PushFlag = {
  SHOW_CONTENT: 1,
  PUSH_WHILE_DESKTOP_ONLINE: 2,
  IN_APP_SOUND: 4,
  IN_APP_VIBRATE: 8,
  ENABLED: 16,
} as const;
export const DEFAULT_PUSH_FLAGS = 1 | 4 | 8 | 16;

export interface PushDevice {
  token: string;
  /** e.g. "ios", "android", "huawei", "xiaomi" (Startalk platname) */
  platform: string;
  os: 'ios' | 'android';
  package: string | null;
}

/** What a push job carries to the gateway (the documented JSON shape, README "Push"). */
export interface PushPayload {
  /** the job id: gateways dedupe on it (a job is retried until acknowledged) */
  id: string;
  user: { id: UserId; username: string; domain: string };
  devices: PushDevice[];
  message: {
    seq: string;
    msgId: string;
    msgType: number;
    conversationId: ConversationId;
    kind: 'direct' | 'group';
    createdAt: number;
    /** the text when the user lets pushes show content, else null */
    body: string | null;
  };
  from: { username: string; domain: string; displayName: string };
  /** group name for group messages */
  group: { id: ConversationId; name: string } | null;
  /** what a notification shows */
  title: string;
  alert: string;
}
