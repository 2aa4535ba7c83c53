// The integration event: one stable JSON object per entry of the durable stream, the same in
// webhook batches and in the integrationEvents subscription (README "Integrations").
export const INTEGRATION_KINDS = ['message.added', 'message.recalled', 'group.members', 'group.updated', 'group.destroyed'] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export interface UserJson {
  id: string;
  username: string;
  domain: string;
  displayName: string;
}

export interface GroupJson {
  id: string;
  /** Startalk room name: <roomName>@conference.<domain> */
  roomName: string;
  name: string;
  topic: string | null;
  description: string | null;
  pictureUrl: string | null;
  version: number;
  memberCount: number;
  destroyed: boolean;
}

export interface MessageJson {
  id: string;
  msgId: string;
  conversationId: string;
  conversationKind: 'direct' | 'group';
  from: UserJson;
  /** the recipient of a 1:1 message; null in groups */
  to: UserJson | null;
  /** the group of a group message; null for 1:1 */
  group: { id: string; roomName: string } | null;
  msgType: number;
  body: string;
  extendInfo: string | null;
  backupInfo: string | null;
  createdAt: number;
  /** recalled before this event was read: body is empty and msgType -1 */
  recalled: boolean;
}

export interface IntegrationEvent {
  /** the stream position: strictly increasing; resume after it */
  cursor: string;
  kind: IntegrationKind;
  /** ms since the epoch */
  at: number;
  conversationId: string;
  /** message.added */
  message?: MessageJson;
  /** message.recalled */
  recall?: { messageId: string; msgId: string; sender: UserJson; by: UserJson };
  /** group.* */
  group?: GroupJson;
  /** group.members */
  members?: { change: 'joined' | 'left' | 'removed' | 'role'; users: UserJson[]; role: string | null };
  /** group.* : who made the change */
  by?: UserJson;
}
