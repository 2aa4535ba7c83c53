// Integrations: the durable stream (messages + events share one commit-ordered seq line, the
// outbox) read from a cursor, as a subscription and as signed webhooks (worker.ts).
import { randomBytes } from 'node:crypto';
import type { UserId } from '../accounts/types.js';
import { authorize, type Principal } from '../admin/scopes.js';
import { badInput, notFound, rateLimited } from '../errors.js';
import type { Bus } from '../events/ports.js';
import type { DeadLetter, IntegrationStore, StreamEvent, Webhook } from './ports.js';
import { addressAllowed, hostAllowed, literalAddress, type DestinationPolicy } from './destination.js';
import { render, type RenderDeps } from './render.js';
import { INTEGRATION_KINDS, type IntegrationEvent, type IntegrationKind } from './types.js';

export interface IntegrationOptions {
  /** how often an idle subscription re-reads the log when no bus frame woke it */
  pollMs: number;
  /** where webhooks may be delivered */
  allow: DestinationPolicy;
}

/** Who holds a stream: it ends when the session is revoked, or the key stops being valid. */
export interface StreamOwner {
  userId?: UserId;
  sessionId?: string;
  /** an API key's stream: ends when the key is revoked (bus `revokeKey`) */
  keyId?: string;
  stillValid?: () => Promise<boolean>;
}

const PAGE = 200;
/** live integration streams per node: each re-reads the log on every commit */
const MAX_STREAMS = 100;
const MAX_URL = 2048;

export class IntegrationService {
  private readonly waiters = new Set<() => void>();
  private readonly streams = new Set<LogStream>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: IntegrationStore,
    private readonly deps: RenderDeps,
    bus: Bus,
    private readonly opts: IntegrationOptions,
  ) {
    this.unsubscribe = bus.subscribe((env) => {
      if (env.frame) for (const w of [...this.waiters]) w();
      else if (env.revoke) {
        const r = env.revoke;
        for (const s of this.streams) {
          const o = s.owner;
          if (o.userId === r.userId && (r.sessionId === undefined || o.sessionId === r.sessionId) && o.sessionId !== r.exceptSessionId) s.close();
        }
      } else if (env.revokeKey) {
        for (const s of this.streams) if (s.owner.keyId === env.revokeKey.keyId) s.close();
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    for (const s of this.streams) s.close();
  }

  /** Rendered entries after a cursor; `last` is the last position scanned (kinds may skip some). */
  async page(afterSeq: string, kinds: readonly IntegrationKind[] | null, limit = PAGE): Promise<{ events: IntegrationEvent[]; last: string | null; raw: StreamEvent[] }> {
    const raw = await this.store.readAfter(afterSeq, limit);
    const wanted = kinds ? raw.filter((e) => kinds.includes(e.kind)) : raw;
    return { events: await render(this.deps, wanted), last: raw.at(-1)?.seq ?? null, raw: wanted };
  }

  render(events: StreamEvent[]): Promise<IntegrationEvent[]> {
    return render(this.deps, events);
  }

  async position(p: Principal | null): Promise<string> {
    authorize(p, 'EVENTS_READ');
    return this.store.position();
  }

  /** Every entry after `since` (from now when null), then live ones; no gap, no duplicate. */
  async stream(p: Principal | null, since: string | null, kinds: readonly IntegrationKind[] | null, owner: StreamOwner): Promise<AsyncIterableIterator<IntegrationEvent>> {
    authorize(p, 'EVENTS_READ');
    if (this.streams.size >= MAX_STREAMS) throw rateLimited(`at most ${MAX_STREAMS} integration streams per node`, 5000);
    const start = since ?? (await this.store.position());
    const s = new LogStream(start, kinds, owner, this, this.opts.pollMs);
    this.streams.add(s);
    s.onClose = () => this.streams.delete(s);
    return s;
  }

  /** Resolves on the next committed frame (any node), or after ms. */
  waitForFrame(ms: number, abort: { cancel?: () => void }): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      abort.cancel = done;
    });
  }

  async createWebhook(
    p: Principal | null, input: { url: string; secret?: string | null; kinds: IntegrationKind[]; since?: string | null },
  ): Promise<{ webhook: Webhook; secret: string }> {
    authorize(p, 'WEBHOOKS_WRITE');
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw badInput('url is not a valid URL', { field: 'url' });
    }
    if (!['http:', 'https:'].includes(url.protocol) || input.url.length > MAX_URL) throw badInput('url must be an http(s) URL', { field: 'url' });
    // Names are checked after resolution on every delivery; a literal address is refused here.
    const literal = literalAddress(url.hostname);
    if (literal !== null && !hostAllowed(url.hostname, this.opts.allow) && !addressAllowed(literal, this.opts.allow)) {
      throw badInput('url must point at a public address (private, loopback and link-local ones need WEBHOOK_ALLOW_HOSTS)', { field: 'url' });
    }
    const kinds = [...new Set(input.kinds)];
    if (kinds.length === 0 || kinds.some((k) => !INTEGRATION_KINDS.includes(k))) throw badInput('give at least one event kind', { field: 'kinds' });
    const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    if (secret.length < 16 || secret.length > 256) throw badInput('secret must be 16-256 characters', { field: 'secret' });
    const cursor = input.since ?? (await this.store.position());
    return { webhook: await this.store.createWebhook(input.url, secret, kinds, cursor), secret };
  }

  async deleteWebhook(p: Principal | null, id: string): Promise<boolean> {
    authorize(p, 'WEBHOOKS_WRITE');
    if (!/^\d{1,19}$/.test(id)) throw notFound('unknown webhook');
    return this.store.deleteWebhook(id);
  }

  async webhooks(p: Principal | null): Promise<Webhook[]> {
    authorize(p, 'WEBHOOKS_WRITE');
    return this.store.webhooks();
  }

  /** Callers already hold WEBHOOKS_WRITE (a field of Webhook). */
  deadLetters(webhookId: string, limit: number): Promise<DeadLetter[]> {
    if (limit < 1 || limit > 1000) throw badInput('first must be 1-1000', { field: 'first' });
    return this.store.deadLetters(webhookId, limit);
  }
}

/** One subscriber's position in the log: reads pages after its cursor, waits for frames when idle. */
class LogStream implements AsyncIterableIterator<IntegrationEvent> {
  private buffer: IntegrationEvent[] = [];
  private closed = false;
  private readonly abort: { cancel?: () => void } = {};
  onClose: (() => void) | null = null;

  constructor(
    private cursor: string,
    private readonly kinds: readonly IntegrationKind[] | null,
    readonly owner: StreamOwner,
    private readonly service: IntegrationService,
    private readonly pollMs: number,
  ) {}

  async next(): Promise<IteratorResult<IntegrationEvent>> {
    while (!this.closed) {
      const e = this.buffer.shift();
      if (e) return { value: e, done: false };
      const page = await this.service.page(this.cursor, this.kinds);
      if (this.closed) break;
      if (page.last !== null) {
        this.buffer = page.events;
        this.cursor = page.last;
        continue;
      }
      if (this.owner.stillValid && !(await this.owner.stillValid())) break;
      await this.service.waitForFrame(this.pollMs, this.abort);
    }
    this.close();
    return { value: undefined, done: true };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.cancel?.();
    this.onClose?.();
  }

  async return(): Promise<IteratorResult<IntegrationEvent>> {
    this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
