// The XMPP bridge: a peer edge of src/graphql that calls the core and never storage.
// The module list and its order live here (xmpp.js client/index.js): SASL first, then
// binding, then the stanza features.
import type { Server } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Core } from '../src/core/index.js';
import type { ConnectionLimiter } from '../src/core/connection-limit.js';
import { bind } from './modules/bind.js';
import { chat } from './modules/chat.js';
import { ping } from './modules/ping.js';
import { carbons } from './modules/carbons.js';
import { disco } from './modules/disco.js';
import { mam } from './modules/mam.js';
import { presence } from './modules/presence.js';
import { roster } from './modules/roster.js';
import { readmark } from './modules/readmark.js';
import { revoke } from './modules/revoke.js';
import { typingModule } from './modules/typing.js';
import { groupchatModule } from './modules/groupchat.js';
import { mucAdmin } from './modules/muc-admin.js';
import { mucCreate } from './modules/muc-create.js';
import { mucInvite } from './modules/muc-invite.js';
import { mucLeave } from './modules/muc-leave.js';
import { mucOwner } from './modules/muc-owner.js';
import { mucRegister } from './modules/muc-register.js';
import { mucUserMucs } from './modules/muc-user-mucs.js';
import { sasl } from './modules/sasl.js';
import { sessionKey } from './modules/session-key.js';
import { Router, type Module } from './router.js';
import { SessionRegistry, type BridgeContext } from './session.js';
import type { StartalkKey } from '../src/startalk/rsa.js';
import { createPbTransport } from './transports/pb/index.js';
import { createTcpTransport } from './transports/tcp.js';
import { createWebSocketTransport } from './transports/websocket.js';

export interface BridgeOptions {
  core: Core;
  domain: string;
  maxStanzaBytes: number;
  /** per-client stanza rate (0 = off) */
  stanzasPerSec: number;
  maxConnections: number;
  /** per client address, shared with the HTTP server's WebSocket paths */
  connections: ConnectionLimiter;
  /** seconds from connect to authentication */
  authTimeoutSeconds: number;
  /** seconds without inbound bytes after authentication (0 = none) */
  idleTimeoutSeconds: number;
  /** the RSA key Startalk clients encrypt passwords with (loaded once by src/server/app.ts) */
  startalkKey: StartalkKey;
  /** PEM certificate chain and key: STARTTLS (XMPP) and StartTLS (protobuf) are offered when both are set */
  tls?: { cert: string; key: string };
  plainPolicy: BridgeContext['plainPolicy'];
  log: BridgeContext['log'];
}

export interface Bridge {
  tcp: Server;
  /** Startalk's protobuf transport (port 5202) */
  pb: Server;
  /** hands an HTTP upgrade on /websocket to the RFC 7395 transport */
  upgrade: ReturnType<typeof createWebSocketTransport>['upgrade'];
  sessions: SessionRegistry;
  /** shutdown, first step: sessions stop taking stanzas; resolves when those taken are processed */
  drain(): Promise<void>;
  /** ends every session (shutdown) */
  closeAll(): void;
}

/**
 * The modules in routing order (the authorization matrix, test/authz-bridge.test.ts, lists their
 * IQ handlers here). Order matters: readmark and typing claim bodiless chat stanzas (receipts, chat
 * states) before chat; groupchat claims revoke and typing addressed to rooms before the 1:1 modules.
 */
export function bridgeModules(): Module[] {
  const modules: Module[] = [
    sasl(), bind(), sessionKey(), presence(), readmark(), groupchatModule(), typingModule(), chat(), revoke(),
    mucCreate(), mucInvite(), mucRegister(), mucLeave(), mucAdmin(), mucOwner(), mucUserMucs(),
    ping(), disco(() => modules), roster(), mam(), carbons(),
  ];
  return modules;
}

export function createBridge(opts: BridgeOptions): Bridge {
  const router = new Router();
  for (const m of bridgeModules()) router.use(m);
  const sessions = new SessionRegistry();
  const ctx: BridgeContext = {
    stanzasPerSec: opts.stanzasPerSec, core: opts.core, domain: opts.domain, router, sessions, startalkKey: opts.startalkKey, plainPolicy: opts.plainPolicy, log: opts.log,
  };
  const tls = opts.tls ? createSecureContext({ cert: opts.tls.cert, key: opts.tls.key }) : undefined;
  const deadline = { authMs: opts.authTimeoutSeconds * 1000, idleMs: opts.idleTimeoutSeconds * 1000 };
  const limits = { maxStanzaBytes: opts.maxStanzaBytes, maxConnections: opts.maxConnections, connections: opts.connections, deadline };
  const tcp = createTcpTransport(ctx, { ...limits, tls });
  const pb = createPbTransport(ctx, { ...limits, tls });
  const ws = createWebSocketTransport(ctx, limits);
  return {
    tcp, pb, sessions, upgrade: ws.upgrade,
    drain: async () => {
      await Promise.all([...sessions.open].map((s) => s.drain()));
    },
    closeAll: () => {
      for (const s of [...sessions.open]) s.streamError('system-shutdown');
    },
  };
}
