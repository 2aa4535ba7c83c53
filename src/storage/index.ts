// The one place that picks storage adapters from configuration.
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { AccountStore } from '../core/accounts/ports.js';
import type { Bus, EventLog } from '../core/events/ports.js';
import type { GroupStore } from '../core/groups/ports.js';
import type { MessageStore } from '../core/messages/ports.js';
import type { SyncStore } from '../core/sync/ports.js';
import type { ClientConfigStore } from '../core/client-config/ports.js';
import type { PushGateway, PushStore } from '../core/push/ports.js';
import type { PresenceStore } from '../core/presence/ports.js';
import type { ApiKeyStore } from '../core/admin/ports.js';
import type { IntegrationStore, WebhookSender } from '../core/integration/ports.js';
import { PUBLIC_ONLY, type DestinationPolicy } from '../core/integration/destination.js';
import { PgApiKeyStore } from './postgres/api-keys.js';
import { PgIntegrationStore } from './postgres/integration.js';
import { createHttpWebhookSender } from './webhook-sender/http.js';
import type { SessionKeyStore } from '../core/session-keys/ports.js';
import type { SearchIndex } from '../core/search/ports.js';
import { MeiliSearchIndex } from './meili/search.js';
import { PgSearchIndex } from './postgres/search.js';
import { createSearchSource } from './postgres/search-source.js';
import { createMemoryPresence } from './memory/presence.js';
import { createMemorySessionKeys } from './memory/session-keys.js';
import { createRedisSessionKeys } from './redis/session-keys.js';
import { createRedisPresence } from './redis/presence.js';
import { PgGroupStore } from './postgres/groups.js';
import { createMemoryBus } from './memory/bus.js';
import { PgAccountStore } from './postgres/accounts.js';
import { startEmbeddedPostgres, type EmbeddedHandle } from './postgres/embedded.js';
import { ensureWritableDataDir } from './data-dir.js';
import { PrismaClient } from './postgres/generated/client.js';
import { PgMessageStore } from './postgres/messages.js';
import { PgSyncStore } from './postgres/sync.js';
import { PgClientConfigStore } from './postgres/client-config.js';
import { PgPushStore } from './postgres/push.js';
import { createHttpPushGateway } from './push-gateway/http.js';
import { migrate } from './postgres/migrate.js';
import { StreamWriter } from './postgres/stream-writer.js';
import { createRedisBus } from './redis/bus.js';
import type { BlobStore, FileStore } from '../core/files/ports.js';
import { createLocalBlobStore } from './files/local.js';
import { createS3BlobStore } from './files/s3.js';
import { loadUrlSecret } from './files/secret.js';
import { PgFileStore } from './postgres/files.js';
import { join } from 'node:path';
import { guardStore } from './unavailable.js';

export interface StorageConfig {
  databaseUrl?: string;
  /** HTTP push gateway; unset: pushes are not queued */
  pushGateway?: { url: string; secret?: string; timeoutMs: number };
  /** timeout of one webhook POST (default 10 s) */
  webhookTimeoutMs?: number;
  /** where webhooks may be delivered (default: public addresses only) */
  webhookPolicy?: DestinationPolicy;
  redisUrl?: string;
  /** Redis channel for this deployment's events */
  redisChannel: string;
  /** Redis key prefix of this deployment */
  redisPrefix: string;
  nodeId: string;
  /** a node that stops heartbeating is considered dead after this long */
  presenceTtlMs: number;
  dataDir: string;
  embeddedPgPort: number;
  /** a tool: use the database of a server that already runs the embedded PostgreSQL of dataDir */
  embeddedAttach?: boolean;
  dbPoolSize: number;
  /** waiting for a connection (default 5 s) */
  dbConnectTimeoutMs?: number;
  /** one statement, server side; the client waits 1 s more for a silent server (default 15 s) */
  dbQueryTimeoutMs?: number;
  /** ready() answers false when its checks take longer (default 2 s) */
  readyTimeoutMs?: number;
  /** object storage: MinIO/S3 when given, else the local disk under dataDir/files */
  minio?: { endpoint: string; publicEndpoint?: string; accessKey: string; secretKey: string; bucket: string; region: string };
  filesUrlSecret?: string;
  /** people and group search on Meilisearch; unset: on PostgreSQL */
  meili?: { url: string; apiKey?: string; indexPrefix: string };
  log: { info: (msg: string) => void; error: (obj: unknown, msg: string) => void };
}

export interface Storage {
  accounts: AccountStore;
  messages: MessageStore;
  groups: GroupStore;
  events: EventLog;
  bus: Bus;
  presence: PresenceStore;
  sessionKeys: SessionKeyStore;
  search: SearchIndex;
  sync: SyncStore;
  clientConfig: ClientConfigStore;
  push: PushStore;
  pushGateway?: PushGateway;
  files: FileStore;
  blobs: BlobStore;
  /** HMAC key of the file URLs our server signs */
  filesUrlSecret: Buffer;
  apiKeys: ApiKeyStore;
  integration: IntegrationStore;
  webhookSender: WebhookSender;
  writer: StreamWriter;
  /** database reachable and bus connected */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

export async function createStorage(cfg: StorageConfig): Promise<Storage> {
  await ensureWritableDataDir(cfg.dataDir);
  let embedded: EmbeddedHandle | undefined;
  let url = cfg.databaseUrl;
  if (!url) {
    embedded = await startEmbeddedPostgres({ dataDir: cfg.dataDir, port: cfg.embeddedPgPort, log: cfg.log.info, attach: cfg.embeddedAttach });
    url = embedded.url;
    cfg.log.info(`using embedded PostgreSQL on 127.0.0.1:${new URL(url).port}`);
  }
  const queryTimeoutMs = cfg.dbQueryTimeoutMs ?? 15_000;
  // Bounded waits everywhere, so an unresponsive database (a partition, a stopped server)
  // fails calls with UNAVAILABLE instead of holding them: the server cancels long statements
  // and abandoned transactions (which may hold the stream lock), and the client gives up on
  // a silent server a little after the server would have cancelled.
  const pool = new pg.Pool({
    connectionString: url, max: cfg.dbPoolSize, keepAlive: true,
    connectionTimeoutMillis: cfg.dbConnectTimeoutMs ?? 5000,
    statement_timeout: queryTimeoutMs,
    idle_in_transaction_session_timeout: queryTimeoutMs,
    query_timeout: queryTimeoutMs + 1000,
  });
  let closing = false;
  pool.on('error', (err) => {
    if (!closing) cfg.log.error({ err: err.message }, 'idle database connection failed');
  });
  // Migrations may run long (index builds): their own connection, without the timeouts.
  const migrationPool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const applied = await migrate(migrationPool, MIGRATIONS);
    if (applied.length) cfg.log.info(`applied migrations: ${applied.join(', ')}`);
  } catch (err) {
    await pool.end();
    await embedded?.stop();
    throw err;
  } finally {
    await migrationPool.end();
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const bus = cfg.redisUrl
    ? createRedisBus({ url: cfg.redisUrl, channel: cfg.redisChannel, onError: (err) => cfg.log.error({ err: err.message }, 'redis bus error') })
    : createMemoryBus();
  const writer = new StreamWriter(pool, (frame) => bus.publish({ frame }));
  const presence = cfg.redisUrl
    ? createRedisPresence({
      url: cfg.redisUrl, prefix: cfg.redisPrefix, nodeId: cfg.nodeId, ttlMs: cfg.presenceTtlMs, commandTimeoutMs: cfg.readyTimeoutMs,
      onError: (err) => cfg.log.error({ err: err.message }, 'redis presence error'),
    })
    : createMemoryPresence();
  const sessionKeys = cfg.redisUrl
    ? createRedisSessionKeys({
      url: cfg.redisUrl, prefix: cfg.redisPrefix, nodeId: cfg.nodeId, ttlMs: cfg.presenceTtlMs, commandTimeoutMs: cfg.readyTimeoutMs,
      onError: (err) => cfg.log.error({ err: err.message }, 'redis session keys error'),
    })
    : createMemorySessionKeys();
  const messages = new PgMessageStore(pool, writer);
  const filesDir = join(cfg.dataDir, 'files');
  let blobs: BlobStore;
  let filesUrlSecret: Buffer;
  try {
    filesUrlSecret = await loadUrlSecret(filesDir, cfg.filesUrlSecret);
    blobs = cfg.minio
      ? await createS3BlobStore({ ...cfg.minio, tmpDir: join(filesDir, 'tmp') })
      : await createLocalBlobStore(filesDir);
  } catch (err) {
    await Promise.allSettled([bus.close(), presence.close(), sessionKeys.close()]);
    await pool.end();
    await embedded?.stop();
    throw err;
  }
  const search = cfg.meili
    ? new MeiliSearchIndex(createSearchSource(pool), {
      url: cfg.meili.url, apiKey: cfg.meili.apiKey, prefix: cfg.meili.indexPrefix, log: { error: cfg.log.error },
    })
    : new PgSearchIndex(pool);

  const guardedMessages = guardStore(messages);
  return {
    accounts: guardStore(new PgAccountStore(prisma)),
    messages: guardedMessages,
    groups: guardStore(new PgGroupStore(pool, writer)),
    events: guardedMessages,
    bus,
    presence: guardStore(presence),
    sessionKeys: guardStore(sessionKeys),
    search: guardStore(search),
    sync: guardStore(new PgSyncStore(pool)),
    clientConfig: guardStore(new PgClientConfigStore(pool)),
    push: guardStore(new PgPushStore(pool)),
    pushGateway: cfg.pushGateway && createHttpPushGateway(cfg.pushGateway),
    files: guardStore(new PgFileStore(pool)),
    blobs,
    filesUrlSecret,
    apiKeys: guardStore(new PgApiKeyStore(pool)),
    integration: guardStore(new PgIntegrationStore(pool)),
    webhookSender: createHttpWebhookSender({ timeoutMs: cfg.webhookTimeoutMs ?? 10_000, policy: cfg.webhookPolicy ?? PUBLIC_ONLY }),
    writer,
    async ready() {
      if (closing || !bus.isReady()) return false;
      // Bounded: a silent database or a stalled bus is "not ready", answered in time.
      const timeoutMs = cfg.readyTimeoutMs ?? 2000;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const checks = Promise.all([
        pool.query('SELECT 1').then(() => true, () => false),
        bus.probe ? bus.probe(timeoutMs) : true,
      ]).then((r) => r.every(Boolean));
      try {
        return await Promise.race([checks, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closing = true;
      await writer.close(); // what was accepted is written before the pool goes
      await search.close().catch((err) => cfg.log.error({ err: (err as Error).message }, 'search index close failed'));
      await bus.close();
      await presence.close();
      await sessionKeys.close();
      await blobs.close();
      await prisma.$disconnect();
      await pool.end();
      await embedded?.stop();
    },
  };
}
