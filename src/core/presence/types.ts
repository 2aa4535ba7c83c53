// Presence value types. A device is one live connection of a user (a GraphQL events
// subscription now; bridge sessions later), on one node.
import type { UserId } from '../accounts/types.js';

/** XMPP <show/> values plus "online" for plain available (RFC 6121 §4.7.2.1). */
export type Show = 'online' | 'chat' | 'away' | 'xa' | 'dnd';

export interface Device {
  deviceId: string;
  /** the auth session that opened it (setPresence applies to all devices of a session) */
  sessionId: string;
  /** XMPP resource or a client label */
  resource: string;
  node: string;
  show: Show;
  /** XMPP priority: messages go to the highest (Startalk needs an integer priority) */
  priority: number;
  status: string | null;
  since: number;
}

export interface UserPresence {
  userId: UserId;
  online: boolean;
  /** of the device with the highest priority */
  show: Show | null;
  status: string | null;
  devices: Device[];
}
