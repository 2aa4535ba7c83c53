// Offline push (../shared/startalk/PROTOCOL.md §9): one dispatcher in the deployment follows
// the message stream from a durable cursor and queues a job per (message, offline recipient
// with pushes on and the conversation not muted); every node sends due jobs to the gateway,
// retrying with backoff until it acknowledges, then never again.
import type { AccountService } from '../accounts/service.js';
import { PollLoop } from '../poll-loop.js';
import type { GroupStore } from '../groups/ports.js';
import type { PresenceService } from '../presence/service.js';
import type { PushCandidate, PushGateway, PushStore } from './ports.js';
import { PushFlag, type PushPayload } from './types.js';

export interface PushWorkerOptions {
  pollMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  onError: (err: unknown) => void;
}

const BATCH = 500;
const SEND_BATCH = 20;
const LEASE_MS = 30_000;
/** Startalk resources carry the platform: V[…]_P[iOS]_…; such sessions are phones. */
const MOBILE = /_P\[(ios|android|harmony)/i;

export class PushWorker {
  private readonly loop: PollLoop;

  constructor(
    private readonly store: PushStore,
    private readonly gateway: PushGateway,
    private readonly accounts: AccountService,
    private readonly groups: GroupStore,
    private readonly presence: PresenceService,
    private readonly opts: PushWorkerOptions,
  ) {
    this.loop = new PollLoop(opts.pollMs, () => this.tick(), opts.onError);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.store.close();
  }

  /** One round: queue what is new (if this node leads), then send what is due. */
  async tick(): Promise<void> {
    if (await this.store.lead()) while ((await this.dispatch()) === BATCH);
    while ((await this.send()) === SEND_BATCH);
  }

  /** Queues jobs for the next messages after the cursor; returns how many messages it read. */
  private async dispatch(): Promise<number> {
    const { lastSeq, candidates } = await this.store.pending(BATCH);
    if (lastSeq === null) return 0;
    const online = await this.presence.devicesOf([...new Set(candidates.map((c) => c.userId))]);
    const names = new Map<string, string | null>();
    const jobs = [];
    for (const c of candidates) {
      const devices = online.get(c.userId) ?? [];
      const desktopOnly = devices.length > 0 && !devices.some((d) => MOBILE.test(d.resource));
      // Online users get the message live; COMPAT: flag 2 pushes while only a desktop is online.
      if (devices.length > 0 && !(desktopOnly && (c.flags & PushFlag.PUSH_WHILE_DESKTOP_ONLINE))) continue;
      jobs.push({ seq: c.message.seq, userId: c.userId, payload: await this.payload(c, names) });
    }
    await this.store.enqueue(jobs, lastSeq);
    return candidates.length === 0 ? 0 : Math.min(BATCH, candidates.length); // keep reading while full
  }

  /** names: group names already read in this batch (one read per group, not per recipient). */
  private async payload(c: PushCandidate, names: Map<string, string | null>): Promise<Omit<PushPayload, 'id'>> {
    const m = c.message;
    const users = await this.accounts.usersByIds([m.senderId, c.userId]);
    const from = users.get(m.senderId)!;
    const to = users.get(c.userId)!;
    if (!names.has(m.conversationId)) {
      const state = await this.groups.state(m.conversationId).catch(() => null);
      names.set(m.conversationId, state ? state.card.name : null);
    }
    const name = names.get(m.conversationId) ?? null;
    const group = name !== null ? { id: m.conversationId, name } : null;
    const show = (c.flags & PushFlag.SHOW_CONTENT) !== 0;
    const text = m.msgType === 1 ? m.body : null;
    const body = show ? text : null;
    const alert = body !== null ? `${group ? `${from.displayName}: ` : ''}${body.slice(0, 200)}` : 'You have a new message';
    return {
      user: { id: to.id, username: to.username, domain: to.domain },
      devices: c.devices,
      message: { seq: m.seq, msgId: m.msgId, msgType: m.msgType, conversationId: m.conversationId, kind: group ? 'group' : 'direct', createdAt: m.createdAt, body },
      from: { username: from.username, domain: from.domain, displayName: from.displayName },
      group,
      title: group ? group.name : from.displayName,
      alert,
    };
  }

  /** Sends due jobs; returns how many it claimed. */
  private async send(): Promise<number> {
    const jobs = await this.store.claim(SEND_BATCH, LEASE_MS);
    await Promise.all(jobs.map(async (job) => {
      try {
        // none of its devices is still the user's (moved to another user, logged out): nothing to send
        if (job.payload.devices.length > 0) await this.gateway.send(job.payload);
        await this.store.done(job.id);
      } catch (err) {
        const attempts = job.attempts + 1;
        const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempts - 1));
        const retryAt = attempts >= this.opts.maxAttempts ? null : new Date(Date.now() + delay);
        await this.store.failed(job.id, String((err as Error).message ?? err).slice(0, 500), retryAt);
      }
    }));
    return jobs.length;
  }
}
