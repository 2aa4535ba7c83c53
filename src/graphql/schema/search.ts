// Search: people, the viewer's groups, groups shared with people, and the viewer's own
// history, as one paged list of typed hits with highlights.
import { badInput } from '../../core/errors.js';
import type { SearchPosition } from '../../core/search/service.js';
import { SEARCH_KINDS, type Highlight, type SearchHit, type SearchKind } from '../../core/search/types.js';
import { builder, viewer } from '../builder.js';
import { GroupCardRef } from './group.js';
import { MessageRef } from './message.js';
import { UserRef } from './user.js';

const SearchKindEnum = builder.enumType('SearchKind', {
  values: {
    USER: { value: 'user', description: 'people: username, display name, pinyin, initials, department' },
    GROUP: { value: 'group', description: 'your groups, by name and topic' },
    SHARED_GROUP: { value: 'sharedGroup', description: 'your groups that have people matching the query' },
    MESSAGE: { value: 'message', description: 'your own conversations' },
    FILE: { value: 'file', description: 'file messages of your own conversations' },
  } as const,
});

const RangeRef = builder.objectRef<Highlight['ranges'][number]>('HighlightRange').implement({
  fields: (t) => ({
    start: t.exposeInt('start', { description: 'UTF-16 offset into value' }),
    length: t.exposeInt('length'),
  }),
});

const HighlightRef = builder.objectRef<Highlight>('SearchHighlight').implement({
  description: 'Where the query matched. For Chinese names found by pinyin, the characters it stands for.',
  fields: (t) => ({
    field: t.exposeString('field'),
    value: t.exposeString('value', { description: 'the field (for message bodies, a window around the match)' }),
    ranges: t.field({ type: [RangeRef], resolve: (h) => h.ranges }),
  }),
});

const SearchHitRef = builder.interfaceRef<SearchHit>('SearchHit').implement({
  fields: (t) => ({
    highlights: t.field({ type: [HighlightRef], resolve: (h) => h.highlights }),
  }),
});

type Of<K extends SearchHit['kind']> = Extract<SearchHit, { kind: K }>;
const is = (...kinds: SearchHit['kind'][]) => (h: unknown) => kinds.includes((h as SearchHit).kind);

builder.objectRef<Of<'user'>>('UserSearchHit').implement({
  interfaces: [SearchHitRef],
  isTypeOf: is('user'),
  fields: (t) => ({ user: t.field({ type: UserRef, resolve: (h) => h.user }) }),
});

builder.objectRef<Of<'group'>>('GroupSearchHit').implement({
  interfaces: [SearchHitRef],
  isTypeOf: is('group'),
  fields: (t) => ({ group: t.field({ type: GroupCardRef, resolve: (h) => h.card }) }),
});

builder.objectRef<Of<'sharedGroup'>>('SharedGroupSearchHit').implement({
  interfaces: [SearchHitRef],
  isTypeOf: is('sharedGroup'),
  fields: (t) => ({
    group: t.field({ type: GroupCardRef, resolve: (h) => h.card }),
    with: t.field({
      type: [UserRef],
      description: 'the people matching the query who are in this group',
      resolve: async (h, _a, ctx) => {
        const found = await ctx.core.accounts.usersByIds(h.withUserIds);
        return h.withUserIds.map((id) => found.get(id)).filter((u) => u !== undefined);
      },
    }),
  }),
});

builder.objectRef<Of<'message' | 'file'>>('MessageSearchHit').implement({
  interfaces: [SearchHitRef],
  isTypeOf: is('message', 'file'),
  fields: (t) => ({
    message: t.field({ type: MessageRef, resolve: (h) => h.match.message }),
    conversationId: t.id({ resolve: (h) => h.match.message.conversationId }),
    isFile: t.boolean({ resolve: (h) => h.kind === 'file' }),
    peer: t.field({
      type: UserRef, nullable: true, description: '1:1 conversations: the other person',
      resolve: (h, _a, ctx) => (h.match.peerId ? ctx.core.accounts.userById(h.match.peerId) : null),
    }),
    groupName: t.string({ nullable: true, resolve: (h) => h.match.groupName }),
  }),
});

type Edge = { hit: SearchHit; position: SearchPosition };

const SearchEdgeRef = builder.objectRef<Edge>('SearchEdge').implement({
  fields: (t) => ({
    cursor: t.string({ resolve: (e) => encodePosition(e.position) }),
    node: t.field({ type: SearchHitRef, resolve: (e) => e.hit }),
  }),
});

const SearchConnectionRef = builder.objectRef<{ edges: Edge[]; hasNextPage: boolean }>('SearchConnection').implement({
  description: 'Hits of each kind in turn: people, groups, shared groups, messages, files.',
  fields: (t) => ({
    edges: t.field({ type: [SearchEdgeRef], resolve: (c) => c.edges }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.string({ nullable: true, resolve: (c) => (c.edges.length ? encodePosition(c.edges.at(-1)!.position) : null) }),
  }),
});

builder.queryField('search', (t) =>
  t.field({
    type: SearchConnectionRef,
    description: 'Finds people, your groups, groups you share with people, and your own messages.',
    args: {
      query: t.arg.string({ required: true }),
      kinds: t.arg({ type: [SearchKindEnum], description: 'default: USER, GROUP, MESSAGE' }),
      first: t.arg.int({ defaultValue: 20 }),
      after: t.arg.string(),
    },
    resolve: async (_r, args, ctx) => {
      const me = viewer(ctx);
      const kinds = args.kinds?.length ? args.kinds : (['user', 'group', 'message'] as SearchKind[]);
      const after = args.after != null ? decodePosition(args.after) : null;
      const r = await ctx.core.search.search(me, args.query, kinds, args.first ?? 20, after);
      return { edges: r.hits, hasNextPage: r.hasNextPage };
    },
  }),
);

/** Opaque cursor: base64url of "s:<kind>:<offset>". */
function encodePosition(p: SearchPosition): string {
  return Buffer.from(`s:${p.kind}:${p.offset}`).toString('base64url');
}

function decodePosition(cursor: string): SearchPosition {
  const m = cursor.length <= 64 ? /^s:(\w+):(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString()) : null;
  if (!m || !SEARCH_KINDS.includes(m[1] as SearchKind)) throw badInput('after is not a valid cursor', { field: 'after' });
  return { kind: m[1] as SearchKind, offset: Number(m[2]) };
}
