// SearchIndex on Meilisearch (when MEILI_URL is set). Two indexes per deployment, people
// and groups; documents follow the core's change feed through a coalescing queue (a burst
// of changes to one group is one document write), and `reindex` rebuilds both into fresh
// indexes that are swapped in, so searches keep working meanwhile. Visibility is a filter
// of every query: frozen users, and groups by member id.
import { Meilisearch, type EnqueuedTaskPromise, type Index, type Settings } from 'meilisearch';
import type { User, UserId } from '../../core/accounts/types.js';
import type { Change } from '../../core/events/changes.js';
import type { GroupCard } from '../../core/groups/types.js';
import { pinyinKeys } from '../../core/search/pinyin.js';
import type { ReindexProgress, SearchIndex } from '../../core/search/ports.js';
import type { GroupQuery, SearchPage, SharedGroupQuery, UserQuery } from '../../core/search/types.js';
import type { GroupDocSource, SearchSource } from '../postgres/search-source.js';

export interface MeiliOptions {
  url: string;
  apiKey?: string;
  /** index uids are `<prefix>_users` and `<prefix>_groups` */
  prefix: string;
  log: { error: (obj: unknown, msg: string) => void };
}

interface UserDoc {
  id: string; domain: string; username: string; displayName: string; pinyin: string | null; department: string | null;
  avatarUrl: string | null; mood: string | null; frozen: boolean; isAdmin: boolean; version: number; createdAt: number;
  /** search keys: full pinyin and initials of the display name */
  pinyinFull: string | null; initials: string | null;
}

interface GroupDoc extends Omit<GroupCard, 'destroyed'> {
  destroyed: boolean;
  memberIds: UserId[];
}

const USER_SETTINGS: Settings = {
  // order is importance (the 'attribute' ranking rule)
  searchableAttributes: ['username', 'displayName', 'pinyinFull', 'initials', 'pinyin', 'department'],
  filterableAttributes: ['domain', 'frozen'],
  sortableAttributes: ['username'],
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
  // one typo from 4 letters (`zhnagsan`), two from 8; initials are too short to guess at
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 8 }, disableOnAttributes: ['initials'] },
  displayedAttributes: ['*'],
};

const GROUP_SETTINGS: Settings = {
  searchableAttributes: ['name', 'topic'],
  filterableAttributes: ['memberIds', 'destroyed'],
  sortableAttributes: ['name'],
  rankingRules: ['words', 'typo', 'proximity', 'attribute', 'sort', 'exactness'],
  typoTolerance: { enabled: true, minWordSizeForTypos: { oneTypo: 4, twoTypos: 8 } },
};

const BATCH = 5000;
/** filter values are quoted strings; ids and domains never contain quotes, but be strict */
const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

export function userDoc(u: User): UserDoc {
  const k = pinyinKeys(u.displayName, u.pinyin);
  return {
    id: u.id, domain: u.domain, username: u.username, displayName: u.displayName, pinyin: u.pinyin, department: u.department,
    avatarUrl: u.avatarUrl, mood: u.mood, frozen: u.frozen, isAdmin: u.isAdmin, version: u.version, createdAt: u.createdAt.getTime(),
    pinyinFull: k.full, initials: k.initials,
  };
}

const groupDoc = (g: GroupDocSource): GroupDoc => ({ ...g.card, memberIds: g.memberIds });
const docToUser = ({ pinyinFull: _p, initials: _i, createdAt, ...u }: UserDoc): User => ({ ...u, createdAt: new Date(createdAt) });
const docToCard = ({ memberIds: _m, ...card }: GroupDoc): GroupCard => card;

export class MeiliSearchIndex implements SearchIndex {
  readonly name = 'meilisearch' as const;
  private readonly client: Meilisearch;
  private readonly usersUid: string;
  private readonly groupsUid: string;
  private readonly pendingUsers = new Map<UserId, User>();
  private readonly pendingGroups = new Set<string>();
  private draining: Promise<void> | null = null;

  constructor(private readonly source: SearchSource, private readonly opts: MeiliOptions) {
    this.client = new Meilisearch({ host: opts.url, apiKey: opts.apiKey, timeout: 10_000, requestInit: { redirect: 'error' } }) // the API key goes only to MEILI_URL;
    this.usersUid = `${opts.prefix}_users`;
    this.groupsUid = `${opts.prefix}_groups`;
  }

  private get usersIndex(): Index<UserDoc> {
    return this.client.index<UserDoc>(this.usersUid);
  }

  private get groupsIndex(): Index<GroupDoc> {
    return this.client.index<GroupDoc>(this.groupsUid);
  }

  async start(): Promise<void> {
    await this.prepare(this.usersUid, USER_SETTINGS);
    await this.prepare(this.groupsUid, GROUP_SETTINGS);
  }

  async users(q: UserQuery): Promise<SearchPage<User>> {
    const r = await this.usersIndex.search(q.text, {
      filter: [`domain = ${quote(q.domain)}`, 'frozen = false'], offset: q.offset, limit: q.limit + 1,
    });
    return { items: r.hits.slice(0, q.limit).map((h) => docToUser(h)), hasMore: r.hits.length > q.limit };
  }

  async groups(q: GroupQuery): Promise<SearchPage<GroupCard>> {
    const r = await this.groupsIndex.search(q.text, {
      filter: [`memberIds = ${quote(q.viewerId)}`, 'destroyed = false'], offset: q.offset, limit: q.limit + 1,
    });
    return { items: r.hits.slice(0, q.limit).map((h) => docToCard(h)), hasMore: r.hits.length > q.limit };
  }

  async sharedGroups(q: SharedGroupQuery): Promise<SearchPage<{ card: GroupCard; withUserIds: UserId[] }>> {
    const r = await this.groupsIndex.search('', {
      filter: [`memberIds = ${quote(q.viewerId)}`, `memberIds IN [${q.userIds.map(quote).join(', ')}]`, 'destroyed = false'],
      sort: ['name:asc'], offset: q.offset, limit: q.limit + 1,
    });
    const wanted = new Set(q.userIds);
    return {
      items: r.hits.slice(0, q.limit).map((h) => ({ card: docToCard(h), withUserIds: h.memberIds.filter((id) => wanted.has(id)) })),
      hasMore: r.hits.length > q.limit,
    };
  }

  /** Queues the change; documents are written in the background (flush() waits for them). */
  async apply(change: Change): Promise<void> {
    if (change.kind === 'user.changed') this.pendingUsers.set(change.user.id, change.user);
    else this.pendingGroups.add(change.conversationId);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async reindex(progress?: ReindexProgress): Promise<{ users: number; groups: number }> {
    const users = await this.rebuild(this.usersUid, USER_SETTINGS, async (after) => {
      const rows = await this.source.usersAfter(after, BATCH);
      return { docs: rows.map(userDoc), last: rows.at(-1)?.id };
    }, (n) => progress?.('users', n));
    const groups = await this.rebuild(this.groupsUid, GROUP_SETTINGS, async (after) => {
      const rows = await this.source.groupsAfter(after, BATCH);
      return { docs: rows.map(groupDoc), last: rows.at(-1)?.card.id };
    }, (n) => progress?.('groups', n));
    return { users, groups };
  }

  async close(): Promise<void> {
    await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.pendingUsers.size || this.pendingGroups.size) {
      const users = [...this.pendingUsers.values()];
      const groupIds = [...this.pendingGroups];
      this.pendingUsers.clear();
      this.pendingGroups.clear();
      try {
        if (users.length) await this.wait(this.usersIndex.addDocuments(users.map(userDoc)));
        if (groupIds.length) {
          const found = (await Promise.all(groupIds.map((id) => this.source.group(id)))).filter((g) => g !== null);
          const gone = groupIds.filter((id) => !found.some((g) => g.card.id === id));
          if (found.length) await this.wait(this.groupsIndex.addDocuments(found.map(groupDoc)));
          if (gone.length) await this.wait(this.groupsIndex.deleteDocuments(gone));
        }
      } catch (err) {
        // the database keeps the truth: `npm run search:reindex` repairs what was lost here
        this.opts.log.error({ err, users: users.length, groups: groupIds.length }, 'search index update failed');
      }
    }
  }

  private async wait(task: EnqueuedTaskPromise): Promise<void> {
    const done = await task.waitTask({ timeout: 30_000 });
    if (done.status !== 'succeeded') throw new Error(`meilisearch task ${done.uid} ${done.status}: ${done.error?.message ?? ''}`);
  }

  private async prepare(uid: string, settings: Settings): Promise<void> {
    const created = await this.client.createIndex(uid, { primaryKey: 'id' }).waitTask({ timeout: 30_000 });
    if (created.status !== 'succeeded' && created.error?.code !== 'index_already_exists') {
      throw new Error(`cannot create meilisearch index ${uid}: ${created.error?.message ?? created.status}`);
    }
    await this.wait(this.client.index(uid).updateSettings(settings));
  }

  /** Fills `<uid>_next` from the database, swaps it in and drops the old one. */
  private async rebuild<D extends { id: string }>(
    uid: string, settings: Settings, page: (after: string) => Promise<{ docs: D[]; last?: string }>, progress: (n: number) => void,
  ): Promise<number> {
    const next = `${uid}_next`;
    await this.client.deleteIndexIfExists(next);
    await this.prepare(uid, settings); // the swap needs both to exist
    await this.prepare(next, settings);
    let after = '0';
    let n = 0;
    for (;;) {
      const { docs, last } = await page(after);
      if (!docs.length || !last) break;
      await this.wait(this.client.index<D>(next).addDocuments(docs));
      n += docs.length;
      after = last;
      progress(n);
    }
    await this.wait(this.client.swapIndexes([{ indexes: [uid, next], rename: false }]));
    await this.wait(this.client.deleteIndex(next));
    return n;
  }
}
