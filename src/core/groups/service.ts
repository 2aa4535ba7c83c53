// Groups: create, invite, leave, remove, roles, card, destroy, and incremental sync.
// Rules are in rules.ts; every change is decided against the state read under the
// stream lock, so concurrent changes cannot break them (e.g. exceed the member limit).
import { randomUUID } from 'node:crypto';
import type { AccountService } from '../accounts/service.js';
import type { User, UserId } from '../accounts/types.js';
import { AppError, badInput, notFound } from '../errors.js';
import { ChangeFeed, type Change } from '../events/changes.js';
import type { Bus } from '../events/ports.js';
import type { Applied, GroupStore } from './ports.js';
import { planCard, planDestroy, planInvite, planLeave, planRemove, planRole } from './rules.js';
import type { ConversationId } from '../messages/types.js';
import type { CardPatch, GroupRole, GroupState, GroupSyncEntry } from './types.js';

export interface GroupOptions {
  /** Startalk's default max_users is 600 */
  memberLimit: number;
}

export interface CreateGroupInput extends CardPatch {
  /** addresses of the other initial members */
  members?: string[] | null;
}

const LIMITS = { name: 100, topic: 256, description: 2048, pictureUrl: 2048 } as const;
const MAX_ADDRESSES_PER_CALL = 600;
/** COMPAT: Startalk clients name rooms with a uuid (32 hex, or with dashes); a JID local part either way. */
const ROOM_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const CACHE_LIMIT = 200_000;

/** A legacy room name as stored: JID local parts compare case-insensitively (nodeprep). */
export function normalizeRoomName(name: string): string | null {
  const n = name.trim().toLowerCase();
  return ROOM_NAME_RE.test(n) ? n : null;
}

export class GroupService {
  /** room name <-> group id never change once created: cached without expiry (bounded) */
  private readonly idByRoom = new Map<string, ConversationId>();
  private readonly roomById = new Map<ConversationId, string | null>();

  constructor(
    private readonly store: GroupStore,
    private readonly accounts: AccountService,
    private readonly bus: Bus,
    private readonly opts: GroupOptions,
    private readonly changes: ChangeFeed = new ChangeFeed(),
  ) {}

  async create(actor: User, input: CreateGroupInput): Promise<GroupState> {
    const card = cleanCard(input);
    if (!card.name) throw badInput('name is required', { field: 'name' });
    const others = (await this.resolve(input.members ?? [])).filter((id) => id !== actor.id);
    if (others.length + 1 > this.opts.memberLimit) {
      throw badInput(`a group has at most ${this.opts.memberLimit} members`, { limit: this.opts.memberLimit });
    }
    const created = await this.store.create(actor.id, {
      name: card.name, topic: card.topic ?? null, description: card.description ?? null, pictureUrl: card.pictureUrl ?? null,
    }, others, randomUUID().replaceAll('-', ''));
    if (!created) throw new AppError('CONFLICT', 'room name collision, retry');
    await this.report(created.applied);
    return (await this.store.state(created.id))!;
  }

  /**
   * Startalk create_muc: the client names the room; the creator is owner and only member, and
   * the card has no name until one is set. Creating a room one already belongs to again is a
   * success (client retries); a name taken by any other group is CONFLICT.
   */
  async createRoom(actor: User, roomName: string): Promise<GroupState> {
    const name = normalizeRoomName(roomName);
    if (!name) throw badInput('invalid room name', { field: 'roomName' });
    const created = await this.store.create(actor.id, { name: '', topic: null, description: null, pictureUrl: null }, [], name);
    if (created) await this.report(created.applied);
    const id = created?.id ?? (await this.idByRoomName(name));
    const state = id ? await this.store.state(id) : null;
    if (!state || state.card.destroyed || !state.members.has(actor.id)) throw new AppError('CONFLICT', 'room name already taken');
    return state;
  }

  /** The group named roomName (Startalk room JID local part); null when there is none. Cached. */
  async idByRoomName(roomName: string): Promise<ConversationId | null> {
    const name = normalizeRoomName(roomName);
    if (!name) return null;
    const hit = this.idByRoom.get(name);
    if (hit) return hit;
    const id = await this.store.idByRoomName(name);
    if (id) this.remember(id, name);
    return id;
  }

  /** A group's room name; null for 1:1 conversations and unknown ids. Cached: delivery asks per message. */
  async roomNameOf(id: ConversationId): Promise<string | null> {
    const hit = this.roomById.get(id);
    if (hit !== undefined) return hit;
    const name = await this.store.roomName(id);
    if (name) this.remember(id, name);
    else if (/^\d{1,19}$/.test(id) && this.roomById.size < CACHE_LIMIT) this.roomById.set(id, null); // kinds never change
    return name;
  }

  private remember(id: ConversationId, name: string): void {
    if (this.roomById.size >= CACHE_LIMIT) this.roomById.clear();
    if (this.idByRoom.size >= CACHE_LIMIT) this.idByRoom.clear();
    this.roomById.set(id, name);
    this.idByRoom.set(name, id);
  }

  async invite(actor: User, groupId: string, addresses: string[]): Promise<GroupState> {
    const ids = await this.resolve(addresses);
    await this.report(await this.store.change(groupId, (s) => planInvite(s, actor.id, ids, this.opts.memberLimit)));
    return this.state(actor, groupId);
  }

  async leave(actor: User, groupId: string): Promise<void> {
    await this.report(await this.store.change(groupId, (s) => planLeave(s, actor.id)));
  }

  async remove(actor: User, groupId: string, address: string): Promise<GroupState> {
    const [target] = await this.resolve([address]);
    await this.report(await this.store.change(groupId, (s) => planRemove(s, actor.id, target!)));
    return this.state(actor, groupId);
  }

  async setRole(actor: User, groupId: string, address: string, role: GroupRole): Promise<GroupState> {
    const [target] = await this.resolve([address]);
    await this.report(await this.store.change(groupId, (s) => planRole(s, actor.id, target!, role)));
    return this.state(actor, groupId);
  }

  async updateCard(actor: User, groupId: string, patch: CardPatch): Promise<GroupState> {
    const clean = cleanCard(patch);
    if (clean.name === '') throw badInput('name cannot be empty', { field: 'name' });
    await this.report(await this.store.change(groupId, (s) => planCard(s, actor.id, clean)));
    return this.state(actor, groupId);
  }

  async destroy(actor: User, groupId: string): Promise<void> {
    await this.report(await this.store.change(groupId, (s) => planDestroy(s, actor.id)));
  }

  /** Card and members, for members only (a destroyed group stays readable by its last members). */
  async state(actor: User, groupId: string): Promise<GroupState> {
    const s = await this.store.state(groupId);
    if (!s || !s.members.has(actor.id)) throw notFound('group not found');
    return s;
  }

  /** Card and members without a membership check: for the deployment's own admin tools. */
  async systemState(groupId: string): Promise<GroupState> {
    const s = await this.store.state(groupId);
    if (!s) throw notFound('group not found');
    return s;
  }

  /** All current groups, or every change (joins, leaves, removals, destroys, card edits) after a cursor. */
  sync(actor: User, changedSince: string | null): Promise<GroupSyncEntry[]> {
    return this.store.sync(actor.id, changedSince);
  }

  /** Tells the change feed (search index) what a committed change did to groups. */
  private async report(applied: Applied | null): Promise<void> {
    for (const { event } of applied ?? []) {
      if (event.kind === 'group.members' || event.kind === 'group.updated' || event.kind === 'group.destroyed') {
        await this.changes.emit(event satisfies Change);
      }
    }
  }

  private async resolve(addresses: string[]): Promise<UserId[]> {
    if (addresses.length > MAX_ADDRESSES_PER_CALL) throw badInput(`at most ${MAX_ADDRESSES_PER_CALL} users per call`);
    const ids: UserId[] = [];
    for (const a of new Set(addresses)) ids.push((await this.accounts.findByAddress(a)).id);
    return ids;
  }
}

function cleanCard(p: CardPatch): CardPatch {
  const out: CardPatch = {};
  for (const k of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const v = p[k];
    if (v === undefined) continue;
    if (v === null) {
      if (k !== 'name') out[k] = null;
      continue;
    }
    const t = v.trim();
    if (t.length > LIMITS[k]) throw badInput(`${k} is longer than ${LIMITS[k]} characters`, { field: k });
    if (t.includes('\u0000')) throw badInput(`${k} contains a NUL character`, { field: k });
    if (k === 'pictureUrl' && t && !/^https?:\/\//i.test(t)) throw badInput('pictureUrl must be an http(s) URL', { field: k });
    if (k === 'name') out.name = t;
    else out[k] = t || null;
  }
  return out;
}
