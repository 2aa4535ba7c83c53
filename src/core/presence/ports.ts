// Where presence lives: process memory by default, Redis across nodes.
import type { UserId } from '../accounts/types.js';
import type { Device, Show } from './types.js';

export interface PresenceStore {
  /** Adds or replaces a device of this node. */
  put(userId: UserId, device: Device): Promise<void>;
  /** Removes a device. */
  remove(userId: UserId, deviceId: string): Promise<void>;
  /** Sets show/status on every device of one auth session, on any node; returns how many changed. */
  updateSession(userId: UserId, sessionId: string, show: Show, status: string | null): Promise<number>;
  /** Live devices of each user; devices of nodes that stopped heartbeating are left out. */
  devices(userIds: readonly UserId[]): Promise<Map<UserId, Device[]>>;
  /**
   * Marks this node alive and removes the devices of nodes that died without saying
   * goodbye; returns the users who lost devices that way (to announce them offline).
   */
  heartbeat(): Promise<UserId[]>;
  /** Forgets every device of this node (graceful stop); returns their users. */
  removeNode(): Promise<UserId[]>;
  close(): Promise<void>;
}
