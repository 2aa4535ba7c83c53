// One XMPP session, whatever the transport (xmpp.js Connection / Tinode Session): stream
// negotiation state, the bound JID, and the outbound side. Modules decide what stanzas
// mean; transports carry stanzas (Transport below). The session never touches storage.
import { randomBytes } from 'node:crypto';
import type { Element } from 'ltx';
import type { AuthSession, User } from '../src/core/accounts/types.js';
import type { Core } from '../src/core/index.js';
import { TokenBucket } from '../src/core/rate-limit.js';
import { userJid } from '../src/startalk/address.js';
import type { StartalkKey } from '../src/startalk/rsa.js';
import { el, NS } from './xml.js';

/** stanzas received but not yet processed, per session */
const MAX_PENDING = 1000;

/**
 * What every transport implements, at the stanza level: modules and the session never know
 * which one they run on. The XML transports share their framing (transports/xml-stream.ts);
 * Startalk's protobuf transport turns stanzas into frames itself (transports/pb).
 */
export interface Transport {
  /** starts the server's side of the stream: <stream:stream> on TCP, <open/> on WebSocket, nothing on protobuf */
  open(streamId: string, domain: string): void;
  /** one stanza toward the client */
  send(stanza: Element): void;
  /** ends the stream with an error (RFC 6120 §4.9): <stream:error/> and the stream end, or protobuf's StreamEnd */
  end(condition: string, text?: string): void;
  /** a new stream starts after SASL success (RFC 6120 §6.4.6): reset the parser */
  restart(): void;
  close(): void;
}

export interface BridgeContext {
  core: Core;
  domain: string;
  /** hands each stanza to the modules (router.ts; typed here so session.ts needs no import of it) */
  router: { route(session: Session, stanza: Element): Promise<void> };
  sessions: SessionRegistry;
  startalkKey: StartalkKey;
  /** stanzas per second one client may send (burst twice that, at least 200); 0 = no limit */
  stanzasPerSec: number;
  /** where SASL PLAIN may run without TLS */
  plainPolicy: 'always' | 'loopback' | 'never';
  log: { warn: (o: object, m: string) => void };
}

export class Session {
  readonly streamId = randomBytes(8).toString('hex');
  user: User | null = null;
  /** the auth session when the client logged in with a GraphQL token */
  authSession: AuthSession | null = null;
  resource: string | null = null;
  /** null until the initial presence (Startalk: no chat delivery before it) */
  priority: number | null = null;
  /** stanzas per second this client may send (BridgeContext.stanzasPerSec); beyond, they are refused */
  readonly limiter: TokenBucket;
  /** refusals allowed (burst 200, then 10/s) before the stream is closed */
  readonly refusals = new TokenBucket(10, 200);
  /** Startalk's per-session HTTP key, once issued */
  sessionKey: string | null = null;
  /** XEP-0280 enabled: copies in the standard form */
  carbons = false;
  /** this session's presence device, once available */
  deviceId: string | null = null;
  /** msgIds this session sent itself: their echo is not delivered back to it */
  readonly sentHere = new Set<string>();
  /**
   * Read marks ("<state>:<msgId>", echo.ts) and revokes (msgIds) this session sent itself:
   * COMPAT: Startalk copies them to the user's *other* sessions only (qtalk_c2s carbons).
   */
  readonly marksHere = new Set<string>();
  readonly revokesHere = new Set<string>();
  closed = false;
  /** shutting down: stanzas still arriving are not processed (the client resends after reconnecting) */
  draining = false;
  private headerSent = false;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly cleanups: (() => void)[] = [];

  /** TLS is on (STARTTLS done, or a TLS front for WebSocket) */
  secure = false;
  readonly loopback: boolean;
  readonly canStartTls: boolean;

  constructor(readonly transport: Transport, readonly ctx: BridgeContext, link: { loopback: boolean; canStartTls?: boolean; secure?: boolean }) {
    this.limiter = new TokenBucket(ctx.stanzasPerSec, Math.max(200, ctx.stanzasPerSec * 2));
    this.loopback = link.loopback;
    this.canStartTls = !!link.canStartTls;
    this.secure = !!link.secure;
    ctx.sessions.open.add(this);
    this.onClose(() => ctx.sessions.open.delete(this));
  }

  get jid(): string {
    return `${userJid(this.user!)}/${this.resource}`;
  }

  get bareJid(): string {
    return userJid(this.user!);
  }

  /** The client opened (or re-opened) the stream: answer with our header and features. */
  open(): void {
    this.header();
    // The prefix is declared on the element itself: a WebSocket frame is a document of its own (RFC 7395 §3.3.3).
    const features = el('stream:features', { 'xmlns:stream': NS.stream });
    if (!this.user) {
      const tls = this.canStartTls && !this.secure;
      if (tls) features.cnode(el('starttls', { xmlns: NS.tls }, ...(this.plainAllowed() ? [] : [el('required')])));
      if (this.plainAllowed()) features.cnode(el('mechanisms', { xmlns: NS.sasl }, el('mechanism', {}, 'PLAIN')));
    } else {
      features.cnode(el('bind', { xmlns: NS.bind }));
      features.cnode(el('session', { xmlns: NS.session }, el('optional')));
    }
    this.send(features);
  }

  /** PLAIN sends the password in clear: only over TLS, or where XMPP_PLAIN allows it. */
  plainAllowed(): boolean {
    const policy = this.ctx.plainPolicy;
    return this.secure || policy === 'always' || (policy === 'loopback' && this.loopback);
  }

  private header(): void {
    this.headerSent = true;
    this.transport.open(this.streamId, this.ctx.domain);
  }

  /**
   * Stanzas are processed one after another, in arrival order (RFC 6120 §10.1). Sends release
   * the order once their message has its place in the stream (in-order.ts), not at commit,
   * so a client can still pipeline. Past MAX_PENDING waiting stanzas the stream is closed.
   */
  handle(stanza: Element): Promise<void> {
    if (this.closed || this.draining) return Promise.resolve();
    if (++this.pending > MAX_PENDING) {
      this.streamError('policy-violation', 'too many stanzas waiting');
      return Promise.resolve();
    }
    const run = this.chain.then(async () => {
      try {
        if (!this.closed) await this.ctx.router.route(this, stanza);
      } finally {
        this.pending--;
      }
    });
    this.chain = run.catch(() => {});
    return run;
  }

  send(stanza: Element): void {
    if (this.closed) return;
    this.transport.send(stanza);
  }

  /** Stops taking stanzas; resolves once those already taken have been processed. */
  drain(): Promise<void> {
    this.draining = true;
    return this.chain;
  }

  /** Ends the stream with a stream error (RFC 6120 §4.9). */
  streamError(condition: string, text?: string): void {
    if (this.closed) return;
    if (!this.headerSent) this.header(); // RFC 6120 §4.9.1.1: the error needs a stream to live in
    this.transport.end(condition, text);
    this.close();
  }

  onClose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // a cleanup failing must not keep the others from running
      }
    }
    this.transport.close();
  }
}

/** Bound sessions of this node by user and resource. */
export class SessionRegistry {
  private readonly byUser = new Map<string, Map<string, Session>>();
  /** every connected session, bound or not */
  readonly open = new Set<Session>();

  get(userId: string): Session[] {
    return [...(this.byUser.get(userId)?.values() ?? [])];
  }

  add(s: Session): Session | undefined {
    let m = this.byUser.get(s.user!.id);
    if (!m) this.byUser.set(s.user!.id, (m = new Map()));
    const old = m.get(s.resource!);
    m.set(s.resource!, s);
    return old;
  }

  remove(s: Session): void {
    const m = this.byUser.get(s.user?.id ?? '');
    if (m?.get(s.resource ?? '') === s) m.delete(s.resource!);
    if (m?.size === 0) this.byUser.delete(s.user!.id);
  }

  count(userId: string): number {
    return this.byUser.get(userId)?.size ?? 0;
  }
}
