// The composition root: storage -> core -> edges, on one HTTP server. No listen() here
// except through the returned handle, and no process.env: main.ts owns both.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { hostname } from 'node:os';
import { createBridge } from '../../bridge/index.js';
import { createCore, type Core } from '../core/index.js';
import { ConnectionLimiter } from '../core/connection-limit.js';
import { startalkFileMessages } from '../startalk/file-message.js';
import { loadStartalkKey } from '../startalk/rsa.js';
import { createHttpDrain } from './drain.js';
import { createLegacyEdge } from '../legacy/index.js';
import { createGraphQLEdge } from '../graphql/yoga.js';
import { createStorage, type Storage } from '../storage/index.js';
import type { Config } from './config.js';
import { createCors } from './cors.js';
import proxyaddr from 'proxy-addr';
import { createLogger, type Logger } from './logger.js';

export interface App {
  core: Core;
  storage: Storage;
  logger: Logger;
  /** set when the first start generated the admin password (main prints it once) */
  generatedAdminPassword?: string;
  server: ReturnType<typeof createServer>;
  /** the XMPP TCP port once listening (null when off) */
  bridgePort: number | null;
  /** Startalk's protobuf port once listening (null when off) */
  pbPort: number | null;
  /** the legacy HTTP routes (tests walk them) */
  legacyRoutes(): { path: string; auth: string; prefix: boolean }[];
  /** HTTP (GraphQL) and, unless XMPP_PORT=off, XMPP over TCP; unless PB_PORT=off, Startalk's protobuf */
  listen(port?: number, host?: string): Promise<{ port: number; url: string; xmppPort: number | null; pbPort: number | null }>;
  close(): Promise<void>;
}

export async function buildApp(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<App> {
  const nodeId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const presenceTtlMs = config.limits.presenceTtlSeconds * 1000;
  const storage = await createStorage({
    redisPrefix: `${config.redisPrefix}:${config.domain}`,
    nodeId,
    presenceTtlMs,
    databaseUrl: config.databaseUrl,
    redisUrl: config.redisUrl,
    redisChannel: `${config.redisPrefix}:${config.domain}:events`,
    dataDir: config.dataDir,
    embeddedPgPort: config.embeddedPgPort,
    dbPoolSize: config.dbPoolSize,
    dbConnectTimeoutMs: config.dbConnectTimeoutMs,
    dbQueryTimeoutMs: config.dbQueryTimeoutMs,
    readyTimeoutMs: config.readyTimeoutMs,
    meili: config.meili,
    webhookTimeoutMs: config.webhooks.timeoutMs,
    webhookPolicy: config.webhooks.allow,
    pushGateway: config.push.gatewayUrl ? { url: config.push.gatewayUrl, secret: config.push.secret, timeoutMs: 10_000 } : undefined,
    minio: config.files.minio,
    filesUrlSecret: config.files.urlSecret,
    log: { info: (m) => logger.info(m), error: (o, m) => logger.error(o, m) },
  });
  try {
    return await assemble(config, logger, storage, nodeId, presenceTtlMs);
  } catch (err) {
    await storage.close().catch(() => {}); // a half-built app must not keep connections or the embedded database
    throw err;
  }
}

async function assemble(config: Config, logger: Logger, storage: Storage, nodeId: string, presenceTtlMs: number): Promise<App> {
  const core = await createCore(storage, {
    domain: config.domain,
    sessionTtlMs: config.sessionTtlDays * 86_400_000,
    loginAttemptsPerMinute: config.limits.loginAttemptsPerMinute,
    subscriptionQueue: config.limits.subscriptionQueue,
    maxSubscriptionsPerUser: config.limits.maxSubscriptionsPerUser,
    frameWaitMs: config.limits.frameWaitMs,
    presence: {
      nodeId, heartbeatMs: Math.max(500, Math.floor(presenceTtlMs / 3)), eventIntervalMs: config.limits.presenceIntervalMs,
      onError: (err) => logger.error({ err }, 'presence error'),
    },
    messages: {
      maxBodyBytes: config.limits.maxMessageBytes,
      maxInfoBytes: config.limits.maxInfoBytes,
      sendRatePerSec: config.limits.sendRatePerSec,
      sendBurst: config.limits.sendBurst,
      maxPageSize: config.limits.maxPageSize,
      recallWindowMs: config.limits.recallWindowSeconds * 1000,
      typingPerSec: config.limits.typingPerSec,
    },
    groups: { memberLimit: config.limits.groupMemberLimit },
    search: { maxPageSize: config.limits.maxPageSize },
    onChangeError: (err, change) => logger.error({ err, change: change.kind }, 'a change listener (search index) failed'),
    push: {
      pollMs: config.push.pollMs, maxAttempts: config.push.maxAttempts, retryBaseMs: config.push.retryBaseMs, retryMaxMs: 10 * 60_000,
      onError: (err) => logger.error({ err }, 'push worker error'),
    },
    files: {
      maxBytes: config.files.maxBytes, uploadTtlSec: config.files.uploadTtlSeconds, downloadTtlSec: config.files.downloadTtlSeconds,
      publicUrls: config.files.publicUrls, urlSecret: storage.filesUrlSecret, publicBase: config.publicUrl,
      messageFormat: startalkFileMessages,
    },
    webhooks: {
      pollMs: config.webhooks.pollMs, maxAttempts: config.webhooks.maxAttempts, retryBaseMs: config.webhooks.retryBaseMs,
      retryMaxMs: config.webhooks.retryMaxMs, batchSize: config.webhooks.batchSize, allow: config.webhooks.allow,
      onError: (err) => logger.error({ err }, 'webhook worker error'),
    },
  });
  const { generatedPassword } = await core.accounts.bootstrap(config.adminPassword);

  const gql = createGraphQLEdge({
    core,
    limits: config.limits,
    graphiql: config.graphiql,
    introspection: config.introspection,
    trustedDocumentsJson: config.trustedDocumentsFile ? readFileSync(config.trustedDocumentsFile, 'utf8') : null,
    logError: (err) => logger.error({ err }, 'unexpected error in a GraphQL operation'),
  });

  // The navigation advertises the ports actually listened on (set in listen()).
  const nav = {
    publicUrl: config.publicUrl, trustProxy: trustProxy(config.trustProxy),
    xmppPort: null as number | null, pbPort: null as number | null, version: 1,
  };
  // Startalk's RSA key, loaded once for both edges that read Startalk logins (bridge SASL, legacy qtlogin).
  const startalkKey = loadStartalkKey(config.startalkRsaKeyFile);
  if (startalkKey.isDefault) {
    logger.warn({}, "Startalk logins use Startalk's published default RSA key: set STARTALK_RSA_PRIVATE_KEY_FILE for a private pair");
  }
  const legacy = createLegacyEdge({
    core, domain: config.domain, maxBodyBytes: config.limits.maxRequestBytes,
    log: { error: (o, m) => logger.error(o, m) },
    nav,
    startalkKey,
    adminApiKey: config.adminApiKey,
    adminPath: config.adminHttpPath,
  });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const cors = createCors(config.corsOrigins);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (http.refuse(req, res)) return; // shutting down
    // a request target that is no URL (e.g. 'GET http://[x HTTP/1.1') would throw in every edge
    if (!URL.canParse(req.url ?? '/', 'http://localhost')) return json(res, 400, { error: 'bad request target' });
    if (cors(req, res)) return; // a preflight, answered for every route
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      void storage.ready().then((ok) => json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' }));
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/graphql' }).end();
      return;
    }
    if (path === '/graphql') return void gql.yoga(req, res);
    if (legacy.handle(req, res)) return;
    json(res, 404, { error: 'not found' });
  });
  // Longer than the usual 60 s idle timeout of load balancers, so they close first (no reuse race).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;
  const http = createHttpDrain(server);
  let draining = false;
  const ws = gql.attachWebSocket();
  // one count per client address across XMPP (TCP, WebSocket), protobuf and graphql-ws
  const connections = new ConnectionLimiter(config.limits.maxConnectionsPerIp, config.limits.connectionLimitExempt);
  const bridge = createBridge({
    core, domain: config.domain, maxStanzaBytes: config.limits.maxStanzaBytes, stanzasPerSec: config.limits.xmppStanzasPerSec,
    maxConnections: config.limits.maxXmppConnections, connections,
    authTimeoutSeconds: config.limits.authTimeoutSeconds, idleTimeoutSeconds: config.limits.idleTimeoutSeconds,
    startalkKey,
    plainPolicy: config.xmppPlain,
    tls: config.xmppTls && { cert: readFileSync(config.xmppTls.certFile, 'utf8'), key: readFileSync(config.xmppTls.keyFile, 'utf8') },
    log: { warn: (o, m) => logger.warn(o, m) },
  });
  // WebSocket upgrades by path: GraphQL (graphql-ws) and XMPP (RFC 7395, Startalk's web path).
  server.on('upgrade', (req, socket, head) => {
    if (draining) return void socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    const path = (req.url ?? '').split('?', 1)[0];
    const xmpp = path === '/websocket' && config.xmppPort !== null;
    if (path !== '/graphql' && !xmpp) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    // behind a proxy listed in TRUST_PROXY, the client's address is the one it forwarded
    const address = nav.trustProxy ? proxyaddr(req, nav.trustProxy) : req.socket.remoteAddress ?? '';
    const release = connections.acquire(address);
    if (!release) return void socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.once('close', release);
    if (xmpp) bridge.upgrade(req, socket, head, { address, secure: linkIsEncrypted(req, nav.trustProxy) });
    else ws.upgrade(req, socket, head);
  });

  const app: App = {
    bridgePort: null,
    pbPort: null,
    core,
    storage,
    logger,
    generatedAdminPassword: generatedPassword,
    server,
    legacyRoutes: () => legacy.routes(),
    async listen(port = config.port, host = config.host) {
      const listenOn = (s: NetServer, p: number) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(p, host, () => resolve((s.address() as AddressInfo).port));
        });
      const httpPort = await listenOn(server, port);
      const xmppPort = config.xmppPort === null ? null : await listenOn(bridge.tcp, port === 0 ? 0 : config.xmppPort);
      const pbPort = config.pbPort === null ? null : await listenOn(bridge.pb, port === 0 ? 0 : config.pbPort);
      app.bridgePort = xmppPort;
      nav.xmppPort = xmppPort;
      nav.pbPort = pbPort;
      app.pbPort = pbPort;
      return { port: httpPort, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${httpPort}/graphql`, xmppPort, pbPort };
    },
    async close() {
      // 1. Stop taking work on every connection: no new connections or WebSocket upgrades;
      //    HTTP answers 503 (Connection: close) to new requests and closes after the ones in
      //    flight; XMPP/PB sessions stop reading stanzas. What was taken gets the grace period.
      draining = true;
      bridge.tcp.close();
      bridge.pb.close();
      await Promise.race([
        Promise.all([http.drain(config.shutdownGraceMs), bridge.drain()]),
        new Promise((r) => setTimeout(r, config.shutdownGraceMs).unref()),
      ]);
      // 2. Write what was accepted (sends still arriving get UNAVAILABLE), so their acks go out.
      await storage.writer.close();
      await new Promise((r) => setImmediate(r));
      // 3. Tell the clients, so they reconnect at once (to another node): graphql-ws 1001
      //    "going away", XMPP <system-shutdown/> (TCP and WebSocket), protobuf StreamEnd.
      for (const c of ws.wss.clients) c.close(1001, 'server shutting down');
      bridge.closeAll();
      server.closeAllConnections();
      for (let waited = 0; ws.wss.clients.size > 0 && waited < 1000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      for (const c of ws.wss.clients) c.terminate(); // those that did not answer the close
      // 4. Background work, then the pool (nothing may use it afterwards).
      await core.pushWorker?.stop();
      await core.webhookWorker.stop();
      core.integration.stop();
      await core.presence.stop();
      await core.search.stop().catch((err) => logger.error({ err }, 'search stop failed'));
      core.hub.stop();
      await ws.close();
      await storage.close();
    },
  };
  return app;
}

/** TRUST_PROXY as a predicate on (peer address, hops from us), as proxy-addr and Express use it. */
/** TLS up to us, or up to a trusted proxy that says so (X-Forwarded-Proto: https). */
function linkIsEncrypted(req: IncomingMessage, trusted?: (addr: string, hop: number) => boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trusted?.(req.socket.remoteAddress ?? '', 0)) return false;
  return String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim() === 'https';
}

function trustProxy(t: Config['trustProxy']): ((addr: string, hop: number) => boolean) | undefined {
  if (!t) return undefined;
  if ('hops' in t) return (_addr, hop) => hop < t.hops;
  return proxyaddr.compile(t.addresses);
}
