// Builds the domain services from their ports. Edges (GraphQL, bridge) receive a Core.
import type { AccountStore } from './accounts/ports.js';
import { AccountService } from './accounts/service.js';
import { ChangeFeed, type Change } from './events/changes.js';
import type { Bus, EventLog } from './events/ports.js';
import { EventHub } from './events/hub.js';
import type { GroupStore } from './groups/ports.js';
import { GroupService, type GroupOptions } from './groups/service.js';
import type { SessionKeyStore } from './session-keys/ports.js';
import { SessionKeyService } from './session-keys/service.js';
import type { BlobStore, FileStore } from './files/ports.js';
import { FileService, type FileOptions } from './files/service.js';
import type { MessageStore } from './messages/ports.js';
import type { PresenceStore } from './presence/ports.js';
import type { ClientConfigStore } from './client-config/ports.js';
import { ClientConfigService } from './client-config/service.js';
import type { SyncStore } from './sync/ports.js';
import { SyncService } from './sync/service.js';
import { PresenceService, type PresenceOptions } from './presence/service.js';
import { MessageService, type MessageOptions } from './messages/service.js';
import type { SearchIndex } from './search/ports.js';
import { SearchService, type SearchOptions } from './search/service.js';
import { NotifyService } from './notify/service.js';
import type { PushGateway, PushStore } from './push/ports.js';
import { PushService } from './push/service.js';
import { PushWorker, type PushWorkerOptions } from './push/worker.js';
import type { ApiKeyStore } from './admin/ports.js';
import { ApiKeyService } from './admin/api-keys.js';
import { AdminService } from './admin/service.js';
import type { DestinationPolicy } from './integration/destination.js';
import type { IntegrationStore, WebhookSender } from './integration/ports.js';
import { IntegrationService } from './integration/service.js';
import { WebhookWorker, type WebhookWorkerOptions } from './integration/worker.js';

export interface CorePorts {
  accounts: AccountStore;
  messages: MessageStore;
  groups: GroupStore;
  events: EventLog;
  bus: Bus;
  presence: PresenceStore;
  sessionKeys: SessionKeyStore;
  sync: SyncStore;
  clientConfig: ClientConfigStore;
  push: PushStore;
  /** where push jobs go; unset: no pushes are queued */
  pushGateway?: PushGateway;
  files: FileStore;
  blobs: BlobStore;
  search: SearchIndex;
  apiKeys: ApiKeyStore;
  integration: IntegrationStore;
  webhookSender: WebhookSender;
}

export interface CoreOptions {
  domain: string;
  sessionTtlMs: number;
  loginAttemptsPerMinute: number;
  messages: MessageOptions;
  groups: GroupOptions;
  subscriptionQueue: number;
  maxSubscriptionsPerUser: number;
  frameWaitMs: number;
  presence: Omit<PresenceOptions, 'contactsOf'>;
  push: PushWorkerOptions;
  files: FileOptions;
  search: SearchOptions;
  /** a listener of committed changes (the search index) failed */
  onChangeError?: (err: unknown, change: Change) => void;
  /** allow: where webhooks may be delivered (checked at creation for literal addresses) */
  webhooks: WebhookWorkerOptions & { allow: DestinationPolicy };
}

export interface Core {
  accounts: AccountService;
  messages: MessageService;
  groups: GroupService;
  hub: EventHub;
  presence: PresenceService;
  notify: NotifyService;
  sessionKeys: SessionKeyService;
  sync: SyncService;
  clientConfig: ClientConfigService;
  push: PushService;
  /** running when a push gateway is configured */
  pushWorker: PushWorker | null;
  files: FileService;
  search: SearchService;
  /** committed user and group changes, on this node */
  changes: ChangeFeed;
  apiKeys: ApiKeyService;
  admin: AdminService;
  integration: IntegrationService;
  webhookWorker: WebhookWorker;
}

export async function createCore(ports: CorePorts, opts: CoreOptions): Promise<Core> {
  const changes = new ChangeFeed(opts.onChangeError);
  const accounts = new AccountService(ports.accounts, ports.bus, {
    domain: opts.domain, sessionTtlMs: opts.sessionTtlMs, loginAttemptsPerMinute: opts.loginAttemptsPerMinute,
  }, changes);
  const files = new FileService(ports.files, ports.blobs, opts.files);
  const messages = new MessageService(ports.messages, accounts, ports.bus, opts.messages, files);
  const groups = new GroupService(ports.groups, accounts, ports.bus, opts.groups, changes);
  const search = new SearchService(ports.search, ports.messages, changes, opts.search);
  await search.start();
  const hub = new EventHub(ports.bus, ports.events, {
    queueLimit: opts.subscriptionQueue, pageSize: 200, maxPerUser: opts.maxSubscriptionsPerUser, frameWaitMs: opts.frameWaitMs,
  });
  await hub.start();
  const notify = new NotifyService(accounts, ports.bus);
  const presence = new PresenceService(ports.presence, ports.bus, accounts, {
    ...opts.presence, contactsOf: (u) => ports.messages.contacts(u),
    onDevicesChanged: (u, devices) => notify.devicesChanged(u, devices),
  });
  presence.start();
  const sync = new SyncService(ports.sync, ports.messages, messages, { maxPage: 1000 });
  const pushWorker = ports.pushGateway
    ? new PushWorker(ports.push, ports.pushGateway, accounts, ports.groups, presence, opts.push) : null;
  pushWorker?.start();
  const push = new PushService(ports.push, messages);
  // a device registered by a session that ended (logout, password change) gets no more pushes
  accounts.onSessionsEnded((ended) => push.sessionsEnded(ended));
  const integration = new IntegrationService(ports.integration, { accounts, messages, groups }, ports.bus, { pollMs: opts.webhooks.pollMs, allow: opts.webhooks.allow });
  const webhookWorker = new WebhookWorker(ports.integration, ports.webhookSender, integration, opts.webhooks);
  webhookWorker.start();
  return { accounts, messages, groups, hub, presence, notify, sessionKeys: new SessionKeyService(ports.sessionKeys), sync,
    clientConfig: new ClientConfigService(ports.clientConfig),
    push, pushWorker, search, changes,
    files,
    apiKeys: new ApiKeyService(ports.apiKeys, ports.bus), admin: new AdminService(accounts, groups, messages, notify), integration, webhookWorker,
  };
}
