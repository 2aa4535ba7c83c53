// Search: people, the searcher's groups, groups shared with people, and the searcher's own
// history. People and groups come from the SearchIndex port; history from the message store
// (PostgreSQL), whichever index is configured.
import type { User } from '../accounts/types.js';
import { badInput } from '../errors.js';
import type { ChangeFeed } from '../events/changes.js';
import type { MessageStore } from '../messages/ports.js';
import { highlightFields, snippet } from './highlight.js';
import type { SearchIndex } from './ports.js';
import { SEARCH_KINDS, type SearchHit, type SearchKind, type SearchPage } from './types.js';

export interface SearchOptions {
  maxPageSize: number;
}

/** Position in the concatenated result list: a kind and an offset within it. */
export interface SearchPosition {
  kind: SearchKind;
  offset: number;
}

const MAX_TEXT = 64;
/** how many matching people "groups shared with" looks at */
const SHARED_WITH_PEOPLE = 50;

export class SearchService {
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly index: SearchIndex,
    private readonly messages: MessageStore,
    private readonly changes: ChangeFeed,
    private readonly opts: SearchOptions,
  ) {}

  async start(): Promise<void> {
    await this.index.start();
    this.unsubscribe ??= this.changes.on((c) => this.index.apply(c));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.index.close();
  }

  /** One kind, Startalk style (a section per kind): hits from offset, and whether more follow. */
  async section(
    viewer: User, kind: SearchKind, rawText: string, offset: number, limit: number,
    only?: { conversationKind?: 'direct' | 'group' },
  ): Promise<SearchPage<SearchHit>> {
    const text = cleanText(rawText);
    const lim = Math.max(1, Math.min(limit, this.opts.maxPageSize));
    const off = Math.max(0, Math.floor(offset));
    switch (kind) {
      case 'user': {
        const p = await this.index.users({ domain: viewer.domain, text, offset: off, limit: lim });
        return {
          hasMore: p.hasMore,
          items: p.items.map((user) => ({
            kind, user,
            highlights: highlightFields(
              { displayName: user.displayName, username: user.username, department: user.department, pinyin: user.pinyin }, text, 'displayName',
            ),
          })),
        };
      }
      case 'group': {
        const p = await this.index.groups({ viewerId: viewer.id, text, offset: off, limit: lim });
        return { hasMore: p.hasMore, items: p.items.map((card) => ({ kind, card, highlights: highlightFields({ name: card.name, topic: card.topic }, text) })) };
      }
      case 'sharedGroup': {
        const people = await this.index.users({ domain: viewer.domain, text, offset: 0, limit: SHARED_WITH_PEOPLE });
        const userIds = people.items.map((u) => u.id).filter((id) => id !== viewer.id);
        if (!userIds.length) return { items: [], hasMore: false };
        const p = await this.index.sharedGroups({ viewerId: viewer.id, userIds, offset: off, limit: lim });
        return { hasMore: p.hasMore, items: p.items.map(({ card, withUserIds }) => ({ kind, card, withUserIds, highlights: [] })) };
      }
      case 'message':
      case 'file': {
        const rows = await this.messages.search(viewer.id, {
          text, files: kind === 'file', conversationKind: only?.conversationKind, offset: off, limit: lim + 1,
        });
        return {
          hasMore: rows.length > lim,
          items: rows.slice(0, lim).map((match) => ({ kind, match, highlights: [snippet(match.message.body, text)] })),
        };
      }
    }
  }

  /**
   * All requested kinds as one list, in SEARCH_KINDS order (people, groups, shared groups,
   * history, files), paged with a position: a page that ends one kind continues with the next.
   */
  async search(
    viewer: User, text: string, kinds: readonly SearchKind[], first: number, after: SearchPosition | null,
  ): Promise<{ hits: { hit: SearchHit; position: SearchPosition }[]; hasNextPage: boolean }> {
    const wanted = SEARCH_KINDS.filter((k) => kinds.includes(k));
    const limit = Math.max(1, Math.min(first, this.opts.maxPageSize));
    const hits: { hit: SearchHit; position: SearchPosition }[] = [];
    const start = after ? wanted.indexOf(after.kind) : 0;
    if (after && start < 0) throw badInput('after does not belong to these kinds', { field: 'after' });
    let offset = after ? after.offset + 1 : 0;
    for (let i = start; i < wanted.length; i++, offset = 0) {
      const kind = wanted[i]!;
      const page = await this.section(viewer, kind, text, offset, limit - hits.length);
      page.items.forEach((hit, j) => hits.push({ hit, position: { kind, offset: offset + j } }));
      if (hits.length >= limit) {
        const more = page.hasMore || (await this.anyAfter(viewer, text, wanted.slice(i + 1)));
        return { hits, hasNextPage: more };
      }
    }
    return { hits, hasNextPage: false };
  }

  private async anyAfter(viewer: User, text: string, kinds: SearchKind[]): Promise<boolean> {
    for (const k of kinds) if ((await this.section(viewer, k, text, 0, 1)).items.length) return true;
    return false;
  }
}

function cleanText(raw: string): string {
  const text = raw.trim().replace(/\s+/g, ' ').slice(0, MAX_TEXT);
  if (!text) throw badInput('query is empty', { field: 'query' });
  if (text.includes('\u0000')) throw badInput('query contains a NUL character', { field: 'query' });
  return text;
}
