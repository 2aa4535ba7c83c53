// Environment -> typed configuration, validated as a whole so every bad value is
// reported at once. Only main.ts passes process.env here; tests build configs directly.
import { isIP } from 'node:net';
import { parseAllowList, type DestinationPolicy } from '../core/integration/destination.js';
import proxyaddr from 'proxy-addr';

export interface Config {
  port: number;
  host: string;
  /** XMPP over TCP (RFC 6120); null = off; 0 = any free port (tests) */
  xmppPort: number | null;
  /** Startalk's protobuf transport; null = off; 0 = any free port (tests) */
  pbPort: number | null;
  /** PEM private key for Startalk's RSA password form; unset: Startalk's published default */
  startalkRsaKeyFile?: string;
  /** XMPP STARTTLS certificate chain and key files (PEM) */
  xmppTls?: { certFile: string; keyFile: string };
  /** where SASL PLAIN may run without TLS */
  xmppPlain: 'always' | 'loopback' | 'never';
  domain: string;
  /** the URL clients reach this server at, for the Startalk navigation; unset: the request's Host */
  publicUrl?: string;
  /**
   * TRUST_PROXY: whose X-Forwarded-* headers are believed; unset: nobody's. A hop count, or
   * proxy addresses/CIDRs (and proxy-addr's names loopback, linklocal, uniquelocal).
   */
  trustProxy?: { hops: number } | { addresses: string[] };
  /** admin HTTP compatible with Startalk's :10050 interface: off unless ADMIN_API_KEY is set */
  adminApiKey?: string;
  /** path prefix of the admin HTTP (Startalk's /qtalk/<action> on :10050) */
  adminHttpPath: string;
  /** offline push: where jobs are POSTed; unset: no pushes are queued */
  push: { gatewayUrl?: string; secret?: string; maxAttempts: number; retryBaseMs: number; pollMs: number };
  /** integrator webhooks: retries, dead-lettering, polling */
  webhooks: { maxAttempts: number; retryBaseMs: number; retryMaxMs: number; pollMs: number; timeoutMs: number; batchSize: number; allow: DestinationPolicy };
  databaseUrl?: string;
  redisUrl?: string;
  /** Meilisearch for people and groups; unset: PostgreSQL */
  meili?: { url: string; apiKey?: string; indexPrefix: string };
  /** key/channel prefix, so deployments can share one Redis */
  redisPrefix: string;
  adminPassword?: string;
  dataDir: string;
  embeddedPgPort: number;
  dbPoolSize: number;
  /** waiting for a database connection (a new one, or a free one in the pool) */
  dbConnectTimeoutMs: number;
  /** one statement: the server cancels it, and the client gives up a little later if no answer comes */
  dbQueryTimeoutMs: number;
  /** /readyz answers 503 when its checks (database, Redis round trip) take longer */
  readyTimeoutMs: number;
  /** on SIGTERM: how long in-flight requests and sends get to finish before connections are cut */
  shutdownGraceMs: number;
  logLevel: string;
  /** GraphiQL on GET /graphql (its assets are served from here, no CDN) */
  graphiql: boolean;
  /** schema introspection (__schema, __type) */
  introspection: boolean;
  /** CORS for every HTTP route: '*' (no credentials) or a list of origins (credentials allowed) */
  corsOrigins: '*' | string[];
  /** a manifest of trusted documents: only these operations are accepted (APQ is off) */
  trustedDocumentsFile?: string;
  limits: {
    maxMessageBytes: number;
    maxInfoBytes: number;
    maxRequestBytes: number;
    maxQueryDepth: number;
    maxQueryCost: number;
    maxAliases: number;
    maxTokens: number;
    maxPageSize: number;
    sendRatePerSec: number;
    sendBurst: number;
    loginAttemptsPerMinute: number;
    subscriptionQueue: number;
    maxSubscriptionsPerUser: number;
    groupMemberLimit: number;
    frameWaitMs: number;
    presenceTtlSeconds: number;
    presenceIntervalMs: number;
    recallWindowSeconds: number;
    typingPerSec: number;
    maxStanzaBytes: number;
    xmppStanzasPerSec: number;
    maxXmppConnections: number;
    maxWsConnections: number;
    /** long-lived connections (XMPP TCP and WebSocket, protobuf, graphql-ws) per client address; 0 = no limit */
    maxConnectionsPerIp: number;
    /** addresses the per-address limit does not count (e.g. a reverse proxy's) */
    connectionLimitExempt: string[];
    /** XMPP and protobuf: seconds from connect to authentication before the connection is closed */
    authTimeoutSeconds: number;
    /** XMPP and protobuf: seconds without any inbound byte after authentication; 0 = none */
    idleTimeoutSeconds: number;
    /** graphql-ws: ms from the WebSocket upgrade to connection_init */
    graphqlWsInitTimeoutMs: number;
    /** graphql-ws: ping interval; a socket silent since the last ping is cut; 0 = off */
    graphqlWsPingSeconds: number;
  };
  sessionTtlDays: number;
  files: FilesConfig;
}

export interface FilesConfig {
  /** MinIO/S3 when MINIO_ENDPOINT is set; else the local disk under DATA_DIR/files */
  minio?: { endpoint: string; publicEndpoint?: string; accessKey: string; secretKey: string; bucket: string; region: string };
  /** COMPAT: Startalk's qfproxy served files to anyone with the URL; off: signed or signed-in */
  publicUrls: boolean;
  /** HMAC key of our signed file URLs; unset: generated once and kept in DATA_DIR/files */
  urlSecret?: string;
  uploadTtlSeconds: number;
  downloadTtlSeconds: number;
  maxBytes: { file: number; image: number; avatar: number; voice: number; video: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const MB = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const str = (k: string) => {
    const v = env[k]?.trim();
    return v ? v : undefined;
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    const raw = str(k);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (k: string, def: boolean): boolean => {
    const raw = str(k)?.toLowerCase();
    if (raw === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${k}=${JSON.stringify(raw)} must be true or false`);
    return def;
  };
  const oneOf = <T extends string>(k: string, values: readonly T[], def: T): T => {
    const raw = str(k)?.toLowerCase();
    if (raw === undefined) return def;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${k}=${JSON.stringify(raw)} must be one of ${values.join(', ')}`);
    return def;
  };
  const url = (k: string, schemes: string[]): string | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    try {
      const u = new URL(raw);
      if (!schemes.includes(u.protocol)) throw new Error();
      return raw;
    } catch {
      // never echo the value: URLs carry passwords
      problems.push(`${k} must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);
      return undefined;
    }
  };

  const domain = (str('DOMAIN') ?? 'localhost').toLowerCase();
  if (!DOMAIN_RE.test(domain)) problems.push(`DOMAIN=${JSON.stringify(domain)} is not a valid domain name`);
  const adminPassword = str('ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 8) problems.push('ADMIN_PASSWORD must be at least 8 characters');
  const logLevel = str('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL=${JSON.stringify(logLevel)} must be one of ${LOG_LEVELS.join(', ')}`);

  const webhookAllow = parseAllowList(str('WEBHOOK_ALLOW_HOSTS'));
  if (webhookAllow.bad.length) problems.push(`WEBHOOK_ALLOW_HOSTS: ${webhookAllow.bad.map((b) => JSON.stringify(b)).join(', ')} not a host name, address or CIDR`);
  const trustProxy = parseTrustProxy(str('TRUST_PROXY'), problems);
  // "development" is anything but NODE_ENV=production: GraphiQL and introspection default on there
  const production = str('NODE_ENV') === 'production';
  const config: Config = {
    port: int('PORT', 8080, 0, 65535),
    startalkRsaKeyFile: str('STARTALK_RSA_PRIVATE_KEY_FILE'),
    xmppTls: str('XMPP_TLS_CERT_FILE') && str('XMPP_TLS_KEY_FILE')
      ? { certFile: str('XMPP_TLS_CERT_FILE')!, keyFile: str('XMPP_TLS_KEY_FILE')! } : undefined,
    xmppPlain: oneOf('XMPP_PLAIN', ['always', 'loopback', 'never'] as const, 'loopback'),
    xmppPort: str('XMPP_PORT')?.toLowerCase() === 'off' ? null : int('XMPP_PORT', 5222, 0, 65535),
    pbPort: str('PB_PORT')?.toLowerCase() === 'off' ? null : int('PB_PORT', 5202, 0, 65535),
    host: str('HOST') ?? '0.0.0.0',
    domain,
    publicUrl: url('PUBLIC_URL', ['http:', 'https:']),
    trustProxy,
    adminApiKey: str('ADMIN_API_KEY'),
    adminHttpPath: (str('ADMIN_HTTP_PATH') ?? '/qtalk').replace(/\/+$/, ''),
    push: {
      gatewayUrl: url('PUSH_GATEWAY_URL', ['http:', 'https:']),
      secret: str('PUSH_GATEWAY_SECRET'),
      maxAttempts: int('PUSH_MAX_ATTEMPTS', 10, 1, 100),
      retryBaseMs: int('PUSH_RETRY_BASE_MS', 1000, 10, 3_600_000),
      pollMs: int('PUSH_POLL_MS', 250, 10, 60_000),
    },
    webhooks: {
      maxAttempts: int('WEBHOOK_MAX_ATTEMPTS', 10, 1, 1000),
      retryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 1000, 10, 3_600_000),
      retryMaxMs: int('WEBHOOK_RETRY_MAX_MS', 600_000, 10, 86_400_000),
      pollMs: int('WEBHOOK_POLL_MS', 500, 10, 60_000),
      timeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
      batchSize: int('WEBHOOK_BATCH_SIZE', 100, 1, 1000),
      allow: webhookAllow.policy,
    },
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    meili: url('MEILI_URL', ['http:', 'https:'])
      ? { url: str('MEILI_URL')!, apiKey: str('MEILI_API_KEY'), indexPrefix: str('MEILI_INDEX_PREFIX') ?? `stn_${domain.replace(/[^a-z0-9]/g, '_')}` }
      : undefined,
    redisPrefix: str('REDIS_PREFIX') ?? 'stn',
    adminPassword,
    dataDir: str('DATA_DIR') ?? './data',
    embeddedPgPort: int('EMBEDDED_PG_PORT', 54329, 1, 65535),
    dbPoolSize: int('DB_POOL_SIZE', 10, 2, 200),
    dbConnectTimeoutMs: int('DB_CONNECT_TIMEOUT_MS', 5000, 100, 600_000),
    dbQueryTimeoutMs: int('DB_QUERY_TIMEOUT_MS', 15_000, 100, 3_600_000),
    readyTimeoutMs: int('READY_TIMEOUT_MS', 2000, 100, 60_000),
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 5000, 0, 600_000),
    logLevel,
    graphiql: bool('GRAPHIQL', !production),
    introspection: bool('GRAPHQL_INTROSPECTION', !production),
    corsOrigins: corsOrigins(),
    trustedDocumentsFile: str('TRUSTED_DOCUMENTS'),
    limits: {
      maxMessageBytes: int('MAX_MESSAGE_BYTES', 32 * 1024, 1, 1024 * 1024),
      maxInfoBytes: int('MAX_INFO_BYTES', 16 * 1024, 0, 1024 * 1024),
      maxRequestBytes: int('MAX_REQUEST_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
      maxQueryDepth: int('MAX_QUERY_DEPTH', 10, 2, 100),
      maxQueryCost: int('MAX_QUERY_COST', 5000, 10, 1_000_000),
      maxAliases: int('MAX_QUERY_ALIASES', 15, 1, 1000),
      maxTokens: int('MAX_QUERY_TOKENS', 2000, 50, 100_000),
      maxPageSize: int('MAX_PAGE_SIZE', 200, 1, 10_000),
      sendRatePerSec: int('SEND_RATE_PER_SEC', 50, 0, 1_000_000),
      sendBurst: int('SEND_BURST', 100, 1, 1_000_000),
      loginAttemptsPerMinute: int('LOGIN_ATTEMPTS_PER_MINUTE', 10, 1, 100_000),
      subscriptionQueue: int('SUBSCRIPTION_QUEUE', 1000, 10, 1_000_000),
      presenceTtlSeconds: int('PRESENCE_TTL_SECONDS', 15, 2, 3600),
      presenceIntervalMs: int('PRESENCE_EVENT_INTERVAL_MS', 1000, 0, 600_000),
      frameWaitMs: int('FRAME_WAIT_MS', 500, 10, 60_000),
      groupMemberLimit: int('GROUP_MEMBER_LIMIT', 600, 2, 100_000),
      recallWindowSeconds: int('RECALL_WINDOW_SECONDS', 120, 0, 30 * 86_400),
      maxStanzaBytes: int('MAX_STANZA_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
      xmppStanzasPerSec: int('XMPP_STANZAS_PER_SEC', 100, 0, 1_000_000),
      maxXmppConnections: int('MAX_XMPP_CONNECTIONS', 10_000, 1, 1_000_000),
      typingPerSec: int('TYPING_PER_SEC', 1, 0, 1000),
      maxSubscriptionsPerUser: int('MAX_SUBSCRIPTIONS_PER_USER', 20, 1, 10_000),
      maxWsConnections: int('MAX_WS_CONNECTIONS', 10_000, 1, 1_000_000),
      maxConnectionsPerIp: int('MAX_CONNECTIONS_PER_IP', 100, 0, 1_000_000),
      connectionLimitExempt: (str('CONNECTION_LIMIT_EXEMPT') ?? '').split(',').map((a) => a.trim()).filter(Boolean),
      authTimeoutSeconds: int('AUTH_TIMEOUT_SECONDS', 60, 1, 3600),
      idleTimeoutSeconds: int('IDLE_TIMEOUT_SECONDS', 600, 0, 86_400),
      graphqlWsInitTimeoutMs: int('GRAPHQL_WS_INIT_TIMEOUT_MS', 3000, 100, 600_000),
      graphqlWsPingSeconds: int('GRAPHQL_WS_PING_SECONDS', 30, 0, 3600),
    },
    sessionTtlDays: int('SESSION_TTL_DAYS', 30, 1, 3650),
    files: {
      minio: minioConfig(),
      publicUrls: bool('FILES_PUBLIC_URLS', false),
      urlSecret: str('FILES_URL_SECRET'),
      uploadTtlSeconds: int('FILES_UPLOAD_TTL_SECONDS', 900, 1, 7 * 86_400),
      downloadTtlSeconds: int('FILES_URL_TTL_SECONDS', 3600, 1, 7 * 86_400),
      maxBytes: {
        file: int('MAX_FILE_BYTES', 100 * MB, 1, 5 * 1024 * MB),
        image: int('MAX_IMAGE_BYTES', 20 * MB, 1, 1024 * MB),
        avatar: int('MAX_AVATAR_BYTES', 2 * MB, 1, 100 * MB),
        voice: int('MAX_VOICE_BYTES', 10 * MB, 1, 1024 * MB),
        video: int('MAX_VIDEO_BYTES', 100 * MB, 1, 5 * 1024 * MB),
      },
    },
  };
  function corsOrigins(): Config['corsOrigins'] {
    const raw = str('CORS_ORIGINS');
    if (raw === undefined || raw === '*') return '*';
    const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
    for (const o of list) {
      let ok = false;
      try {
        ok = new URL(o).origin === o;
      } catch { /* reported below */ }
      if (!ok) problems.push(`CORS_ORIGINS: ${JSON.stringify(o)} is not an origin like https://app.example.com (or use * alone)`);
    }
    return list;
  }
  function minioConfig(): FilesConfig['minio'] {
    const raw = str('MINIO_ENDPOINT');
    if (raw === undefined) return undefined;
    // a URL, or host[:port] with MINIO_USE_SSL
    const endpoint = /^https?:\/\//i.test(raw) ? raw : `${bool('MINIO_USE_SSL', false) ? 'https' : 'http'}://${raw}`;
    try {
      new URL(endpoint);
    } catch {
      problems.push('MINIO_ENDPOINT must be http(s)://host[:port] or host[:port]');
    }
    const accessKey = str('MINIO_ACCESS_KEY');
    const secretKey = str('MINIO_SECRET_KEY');
    if (!accessKey || !secretKey) problems.push('MINIO_ENDPOINT needs MINIO_ACCESS_KEY and MINIO_SECRET_KEY');
    const bucket = str('MINIO_BUCKET') ?? 'startalk-files';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) problems.push(`MINIO_BUCKET=${JSON.stringify(bucket)} is not a valid bucket name`);
    return {
      endpoint, publicEndpoint: url('MINIO_PUBLIC_URL', ['http:', 'https:']), accessKey: accessKey ?? '', secretKey: secretKey ?? '',
      bucket, region: str('MINIO_REGION') ?? 'us-east-1',
    };
  }
  const filesSecret = str('FILES_URL_SECRET');
  if (filesSecret !== undefined && filesSecret.length < 32) problems.push('FILES_URL_SECRET must be at least 32 characters');
  const apiKey = str('ADMIN_API_KEY');
  if (apiKey !== undefined && apiKey.length < 16) problems.push('ADMIN_API_KEY must be at least 16 characters');
  if (!/^\/[A-Za-z0-9/_-]{1,100}$/.test(config.adminHttpPath)) problems.push('ADMIN_HTTP_PATH must be a path like /qtalk');
  const meiliPrefix = str('MEILI_INDEX_PREFIX');
  if (meiliPrefix !== undefined && !/^[A-Za-z0-9_-]{1,200}$/.test(meiliPrefix)) problems.push('MEILI_INDEX_PREFIX may only contain letters, digits, "-" and "_"');
  for (const a of config.limits.connectionLimitExempt) {
    if (isIP(a) === 0) problems.push(`CONNECTION_LIMIT_EXEMPT: ${JSON.stringify(a)} is not an IP address`);
  }
  if (!!str('XMPP_TLS_CERT_FILE') !== !!str('XMPP_TLS_KEY_FILE')) problems.push('XMPP_TLS_CERT_FILE and XMPP_TLS_KEY_FILE go together');
  if (problems.length) throw new ConfigError(problems);
  return config;
}

function parseTrustProxy(raw: string | undefined, problems: string[]): Config['trustProxy'] {
  if (raw === undefined || ['', 'false', 'off', '0'].includes(raw.toLowerCase())) return undefined;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops <= 32) return { hops };
  } else {
    const addresses = raw.split(',').map((a) => a.trim()).filter(Boolean);
    try {
      proxyaddr.compile(addresses);
      return { addresses };
    } catch {
      // reported below
    }
  }
  problems.push(`TRUST_PROXY=${JSON.stringify(raw)} must be off, a hop count (1-32), or proxy addresses/CIDRs separated by commas`);
  return undefined;
}
