// Presence: which devices of a user are online, with what show and priority, on any node;
// changes are announced (ephemeral, rate-limited per user) to the user's own devices and
// to everyone who shares a conversation or group with them.
import { randomBytes } from 'node:crypto';
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { badInput } from '../errors.js';
import type { Bus } from '../events/ports.js';
import type { PresenceStore } from './ports.js';
import type { Device, Show, UserPresence } from './types.js';

export interface PresenceOptions {
  nodeId: string;
  heartbeatMs: number;
  /** at most one presence event per user per this many ms (later changes coalesce) */
  eventIntervalMs: number;
  /** users a presence change must reach (sharing a conversation or group) */
  contactsOf: (userId: UserId) => Promise<UserId[]>;
  /** a device of the user came or went (Startalk's category-9 notify to their own devices) */
  onDevicesChanged?: (userId: UserId, devices: Device[]) => void;
  onError: (err: unknown) => void;
}

const SHOWS: readonly Show[] = ['online', 'chat', 'away', 'xa', 'dnd'];
const MAX_QUERY = 500;

export function summarize(userId: UserId, devices: Device[]): UserPresence {
  const best = [...devices].sort((a, b) => b.priority - a.priority || SHOWS.indexOf(a.show) - SHOWS.indexOf(b.show))[0];
  return { userId, online: devices.length > 0, show: best?.show ?? null, status: best?.status ?? null, devices };
}

export class PresenceService {
  private timer: NodeJS.Timeout | undefined;
  private readonly last = new Map<UserId, { key: string; at: number; pending?: NodeJS.Timeout }>();

  constructor(
    private readonly store: PresenceStore,
    private readonly bus: Bus,
    private readonly accounts: AccountService,
    private readonly opts: PresenceOptions,
  ) {}

  start(): void {
    const beat = () =>
      this.store.heartbeat().then((gone) => gone.forEach((u) => (this.changed(u), this.devicesChanged(u))), this.opts.onError);
    void beat();
    this.timer = setInterval(beat, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Graceful stop: this node's devices go offline now rather than after the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const l of this.last.values()) clearTimeout(l.pending);
    const users = await this.store.removeNode().catch((e) => (this.opts.onError(e), []));
    await Promise.all(users.map((u) => this.announce(u).catch(this.opts.onError)));
  }

  /** A device came online; returns its id for deviceOffline. */
  async deviceOnline(user: User, d: { sessionId: string; resource?: string; show?: Show; priority?: number }): Promise<string> {
    const deviceId = randomBytes(8).toString('hex');
    await this.store.put(user.id, {
      deviceId, sessionId: d.sessionId, resource: d.resource ?? `graphql-${deviceId.slice(0, 6)}`,
      node: this.opts.nodeId, show: d.show ?? 'online', priority: d.priority ?? 0, status: null, since: Date.now(),
    });
    this.changed(user.id);
    this.devicesChanged(user.id);
    return deviceId;
  }

  /**
   * Keeps a device online for as long as a live stream runs: online when it starts,
   * offline when it ends (returned, completed or closed by the server).
   */
  track<T>(user: User, sessionId: string, stream: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
    const online = this.deviceOnline(user, { sessionId }).catch((e) => (this.opts.onError(e), null));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      void online.then((id) => (id ? this.deviceOffline(user.id, id) : undefined)).catch(this.opts.onError);
    };
    return {
      async next() {
        const r = await stream.next();
        if (r.done) end();
        return r;
      },
      async return(v?: unknown) {
        end();
        return stream.return ? stream.return(v) : { value: undefined, done: true };
      },
      async throw(e?: unknown) {
        end();
        if (stream.throw) return stream.throw(e);
        throw e;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  async deviceOffline(userId: UserId, deviceId: string): Promise<void> {
    await this.store.remove(userId, deviceId);
    this.changed(userId);
    this.devicesChanged(userId);
  }

  /** Sets show and status on every device of the caller's session. */
  async setPresence(user: User, sessionId: string, show: Show, status: string | null): Promise<void> {
    if (!SHOWS.includes(show)) throw badInput('unknown show');
    if (status != null && status.length > 256) throw badInput('status is longer than 256 characters', { field: 'status' });
    if ((await this.store.updateSession(user.id, sessionId, show, status ?? null)) > 0) this.changed(user.id);
  }

  /** Live devices of users by id, on any node (for server-side decisions such as push). */
  devicesOf(userIds: readonly UserId[]): Promise<Map<UserId, Device[]>> {
    return userIds.length ? this.store.devices(userIds) : Promise.resolve(new Map());
  }

  async presence(viewer: User, addresses: string[]): Promise<UserPresence[]> {
    void viewer; // presence is visible within the deployment, like Startalk's org-wide status
    if (addresses.length > MAX_QUERY) throw badInput(`at most ${MAX_QUERY} users per query`);
    const ids: UserId[] = [];
    for (const a of addresses) ids.push((await this.accounts.findByAddress(a)).id);
    const all = await this.store.devices(ids);
    return ids.map((id) => summarize(id, all.get(id) ?? []));
  }

  /** Every device change, not coalesced: the user's own clients list them (Startalk notify category 9). */
  private devicesChanged(userId: UserId): void {
    const hook = this.opts.onDevicesChanged;
    if (!hook) return;
    void this.store.devices([userId]).then((all) => hook(userId, all.get(userId) ?? []), this.opts.onError);
  }

  /** Announces the user's presence if it changed, at most once per interval (trailing edge). */
  private changed(userId: UserId): void {
    const l = this.last.get(userId);
    const wait = l ? l.at + this.opts.eventIntervalMs - Date.now() : 0;
    if (wait > 0) {
      if (l && !l.pending) l.pending = setTimeout(() => void this.announce(userId).catch(this.opts.onError), wait);
      return;
    }
    void this.announce(userId).catch(this.opts.onError);
  }

  private async announce(userId: UserId): Promise<void> {
    const p = summarize(userId, (await this.store.devices([userId])).get(userId) ?? []);
    const key = `${p.online}/${p.show}/${p.status}`;
    const l = this.last.get(userId);
    if (l) clearTimeout(l.pending);
    if (l?.key === key) return void (l.pending = undefined);
    if (this.last.size > 100_000) this.last.clear();
    this.last.set(userId, { key, at: Date.now() });
    const contacts = await this.opts.contactsOf(userId);
    this.bus.publish({
      ephemeral: {
        recipients: [...new Set([userId, ...contacts])],
        event: { kind: 'presence', seq: '', userId, online: p.online, show: p.show, status: p.status, at: Date.now() },
      },
    });
  }
}
