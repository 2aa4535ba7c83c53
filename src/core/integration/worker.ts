// Webhook delivery: one worker in the deployment (advisory lock) follows the stream from each
// webhook's durable cursor and POSTs signed batches in order. The cursor moves only on a 2xx.
// After a failure only the head event is retried (exponential backoff), so a consumer that
// rejects one event dead-letters exactly that event after maxAttempts and the rest flows on.
import { PollLoop } from '../poll-loop.js';
import type { IntegrationService } from './service.js';
import type { IntegrationStore, Webhook, WebhookSender } from './ports.js';

export interface WebhookWorkerOptions {
  pollMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** events per POST */
  batchSize: number;
  onError: (err: unknown) => void;
}

const HOOKS_PER_TICK = 50;

export class WebhookWorker {
  private readonly loop: PollLoop;

  constructor(
    private readonly store: IntegrationStore,
    private readonly sender: WebhookSender,
    private readonly integration: IntegrationService,
    private readonly opts: WebhookWorkerOptions,
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

  /** One round if this node leads: every due webhook gets attempts until it is idle or failing. */
  async tick(): Promise<void> {
    // Lead (and hold a connection for the lock) only once there is something to deliver.
    let hooks = await this.store.due(HOOKS_PER_TICK);
    if (hooks.length === 0 || !(await this.store.lead())) return;
    for (let round = 0; round < 100 && !this.loop.isStopped; round++) {
      if (round > 0) hooks = await this.store.due(HOOKS_PER_TICK);
      const more = await Promise.all(hooks.map((h) => this.deliver(h).catch((err) => (this.opts.onError(err), false))));
      if (!more.includes(true)) break;
    }
  }

  /** One attempt for one webhook; true when it should be tried again at once. */
  private async deliver(hook: Webhook & { secret: string }): Promise<boolean> {
    const failing = hook.failures > 0;
    const { events, last } = await this.integration.page(hook.cursor, hook.kinds, this.opts.batchSize);
    if (last === null) return false;
    if (events.length === 0) {
      await this.store.delivered(hook.id, last); // nothing of its kinds: skip ahead
      return true;
    }
    const batch = failing ? events.slice(0, 1) : events;
    const upTo = failing ? batch[0]!.cursor : last;
    try {
      await this.sender.post(hook, JSON.stringify({ webhookId: hook.id, events: batch }));
    } catch (err) {
      const failures = hook.failures + 1;
      const error = String((err as Error)?.message ?? err).slice(0, 500);
      if (failures >= this.opts.maxAttempts) {
        await this.store.deadLetter(hook.id, batch[0]!, failures, error);
        return true;
      }
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (failures - 1));
      await this.store.failed(hook.id, failures, error, new Date(Date.now() + delay));
      return false;
    }
    await this.store.delivered(hook.id, upTo);
    return true;
  }
}
