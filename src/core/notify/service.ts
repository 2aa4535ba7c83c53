// Startalk notify presences (../shared/startalk/PROTOCOL.md §4.6): server-to-client events
// with a category and a data string. Ephemeral: one bus publish reaches the recipients'
// sessions on every node, never stored, never replayed.
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { badInput, forbidden } from '../errors.js';
import type { Bus } from '../events/ports.js';
import type { Device } from '../presence/types.js';

/** Startalk's category for "your online clients" */
export const ONLINE_CLIENTS = 9;
const MAX_RECIPIENTS = 1000;
const MAX_DATA_BYTES = 16_384;

export class NotifyService {
  constructor(private readonly accounts: AccountService, private readonly bus: Bus) {}

  /** Admins only: one notify to the given users (addresses), in one publish. Returns how many users. */
  async send(actor: User, addresses: string[], category: number, data: string): Promise<number> {
    if (!actor.isAdmin) throw forbidden('admin only');
    return this.system(addresses, category, data);
  }

  /** The same, sent by the deployment itself (admin HTTP, server-side changes). */
  async system(addresses: string[], category: number, data: string): Promise<number> {
    if (addresses.length === 0 || addresses.length > MAX_RECIPIENTS) throw badInput(`give 1-${MAX_RECIPIENTS} users`, { field: 'to' });
    if (!Number.isInteger(category) || category < 0 || category >= 2 ** 31) throw badInput('category must be a non-negative 32-bit integer', { field: 'category' });
    if (Buffer.byteLength(data, 'utf8') > MAX_DATA_BYTES) throw badInput(`data is larger than ${MAX_DATA_BYTES} bytes`, { field: 'data' });
    if (data.includes('\u0000')) throw badInput('data contains a NUL character', { field: 'data' });
    const ids = new Set<UserId>();
    for (const a of new Set(addresses)) ids.add((await this.accounts.findByAddress(a)).id);
    this.publish([...ids], category, data);
    return ids.size;
  }

  /** Category 9 to the user's own devices, whenever a device of theirs comes or goes (any node). */
  /** A notify to one user's own sessions (e.g. category 6: their settings changed on another device). */
  toSelf(userId: UserId, category: number, data: string): void {
    this.publish([userId], category, data);
  }

  devicesChanged(userId: UserId, devices: Device[]): void {
    this.publish([userId], ONLINE_CLIENTS, JSON.stringify(devices.map((d) => clientLabel(d.resource))));
  }

  private publish(recipients: UserId[], category: number, data: string): void {
    this.bus.publish({ ephemeral: { recipients, event: { kind: 'notify', seq: '', category, data, at: Date.now() } } });
  }
}

/**
 * COMPAT: Startalk lists the 2nd "_"-separated token of each resource ("V[1.0]_P[iOS]_ID[…]"
 * -> "P[iOS]"); its own code crashes on a resource without "_": we use the whole resource.
 */
export function clientLabel(resource: string): string {
  const parts = resource.split('_');
  return parts.length > 1 ? parts[1]! : resource;
}
